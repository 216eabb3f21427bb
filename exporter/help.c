/* help.c — every help text of prompt-logger (see help.h). Kept apart from the parser so the
 * texts can be read (and checked against the man page) in one place. */
#include "help.h"

#include <string.h>

#define DB_OPT \
    "  -d, --database URL    sqlite:///relative.db, sqlite:////absolute.db or a path\n" \
    "                        (default $PROMPTLOG_DATABASE, else " PL_DEFAULT_DATABASE ")\n"
#define TIME_OPTS \
    "      --since TIME      only calls started at or after TIME\n" \
    "      --until TIME      only calls started before TIME\n" \
    "                        TIME: 2026-11-29, 2026-11-29T10:00[:SS][Z|+01:00] (local time\n" \
    "                        unless an offset is given), or 30s, 30m, 2h, 7d, 2w ago\n"
#define HELP_OPT "  -h, --help            show this help\n"

const char PL_HELP_MAIN[] =
    "usage: prompt-logger COMMAND [OPTIONS]\n"
    "\n"
    "Runs programs under libpromptlog.so and reads the LLM calls it captured into SQLite.\n"
    "\n"
    "commands:\n"
    "  run -- CMD ARGS...     run a command with the capture library preloaded\n"
    "  list                   one line per captured call, newest last\n"
    "  show ID                everything stored for one call: columns, headers, bodies\n"
    "  show -c ID             the conversation of call ID, turn by turn (readable store)\n"
    "  tail [-f]              the last calls; with -f, each new call as it is captured\n"
    "  stats                  calls, tokens and cost per namespace, provider and model\n"
    "  export models FILE     the models seen, one JSON object per line\n"
    "  export prompts FILE    prompts and completions, prompt-logger JSON lines\n"
    "  conversations          one line per conversation (readable store)\n"
    "  prompts                system-prompt and tool-list versions (readable store)\n"
    "  search QUERY           calls whose messages or completions contain QUERY, newest first\n"
    "  diff A B               unified diff of two calls: model, params, tools, messages, completion\n"
    "  delete                 delete calls by id, namespace or age\n"
    "  path                   print the database path and whether it exists\n"
    "  ship                   send calls to an OpenTelemetry collector (OTLP GenAI spans)\n"
    "  report                 write a one-file HTML report\n"
    "  doctor PROGRAM         will PROGRAM be captured, and how (run this first when nothing is)\n"
    "  prices                 print the price table used for cost_usd\n"
    "\n"
    "options: --version, --help. Run `prompt-logger COMMAND --help` for a command's options.\n"
    "The database defaults to $PROMPTLOG_DATABASE, else " PL_DEFAULT_DATABASE ".\n"
    "\n"
    "example:\n"
    "  prompt-logger run -n my-agent -- python3 agent.py && prompt-logger list -n my-agent\n";

static const char HELP_RUN[] =
    "usage: prompt-logger run [-n NAMESPACE] [-d DATABASE] [--] CMD [ARGS...]\n"
    "\n"
    "Runs CMD with libpromptlog.so preloaded (LD_PRELOAD, added after any preload already set),\n"
    "so its LLM calls are captured. The library is looked for next to prompt-logger, then in\n"
    "../lib/promptlog/ of its install prefix. The exit status is CMD's own; 127 if CMD cannot be run.\n"
    "\n"
    "options:\n"
    "  -n, --namespace NS    PROMPTLOG_NAMESPACE for CMD (default: as in the environment)\n"
    "  -d, --database URL    PROMPTLOG_DATABASE for CMD (default: as in the environment)\n"
    HELP_OPT
    "\n"
    "example:\n"
    "  prompt-logger run -n demo -d sqlite:///demo.db -- curl -sS https://api.openai.com/v1/chat/completions ...\n";

static const char HELP_LIST[] =
    "usage: prompt-logger list [OPTIONS]\n"
    "\n"
    "One line per captured call: id, start time (local, with offset), namespace, provider, model,\n"
    "HTTP status, input/output tokens, cost and a preview of the prompt and completion.\n"
    "The newest calls, oldest first; lines fit the terminal.\n"
    "\n"
    "options:\n"
    "  -n, --namespace NS    only this namespace (default: all)\n"
    "  -l, --limit N         the newest N calls (default 50; 0 = all)\n"
    TIME_OPTS
    "      --json            one JSON object per line (keys: see the README, \"JSON output\")\n"
    DB_OPT HELP_OPT
    "\n"
    "example:\n"
    "  prompt-logger list --since 2h -n my-agent\n";

static const char HELP_SHOW[] =
    "usage: prompt-logger show ID [OPTIONS]\n"
    "\n"
    "Prints everything stored for call ID: its columns, cost, the redacted headers, the\n"
    "decompressed request and response bodies, and the record normalized from them.\n"
    "With -c, prints the conversation call ID belongs to instead, once, turn by turn: each call\n"
    "shows the messages it added and its completion, marked [continues N], [retry of N] (the same\n"
    "input as an earlier sibling) or [branch from N]. Needs the readable store (schema 3).\n"
    "\n"
    "options:\n"
    "  -c, --conversation    the whole conversation of call ID\n"
    "      --json            one JSON document (the list keys plus url, headers, bodies, record)\n"
    DB_OPT HELP_OPT
    "\n"
    "example:\n"
    "  prompt-logger show 12 --json\n";

static const char HELP_TAIL[] =
    "usage: prompt-logger tail [OPTIONS]\n"
    "\n"
    "Prints the last calls as `list` does; with -f, keeps printing each new call as it is\n"
    "committed, until Ctrl-C. While idle it only checks SQLite's data_version on an interval.\n"
    "\n"
    "options:\n"
    "  -f, --follow          keep printing new calls\n"
    "  -l, --limit N         how many calls to print first (default 10; 0 = none)\n"
    "  -n, --namespace NS    only this namespace (default: all)\n"
    "      --interval SECS   how often -f checks for new calls (default 0.25)\n"
    "      --json            one JSON object per line\n"
    DB_OPT HELP_OPT
    "\n"
    "example:\n"
    "  prompt-logger tail -f -n my-agent\n";

static const char HELP_STATS[] =
    "usage: prompt-logger stats [OPTIONS]\n"
    "\n"
    "Calls, errors (HTTP >= 400 or transport errors), tokens and cost per namespace, provider and\n"
    "model. Unknown token counts and costs show as '-'; a cost marked * leaves out calls without\n"
    "a known price.\n"
    "\n"
    "options:\n"
    "  -n, --namespace NS    only this namespace (default: all)\n"
    TIME_OPTS
    "      --json            one JSON document: {\"groups\": [...], \"total\": {...}}\n"
    DB_OPT HELP_OPT
    "\n"
    "example:\n"
    "  prompt-logger stats --since 7d\n";

static const char HELP_EXPORT[] =
    "usage: prompt-logger export models FILE [OPTIONS]\n"
    "       prompt-logger export prompts FILE [OPTIONS]\n"
    "\n"
    "Writes JSON lines compatible with the Python prompt-logger package. FILE - is stdout.\n"
    "Run `prompt-logger export models --help` or `export prompts --help` for the options.\n"
    "\n"
    "example:\n"
    "  prompt-logger export prompts prompts.jsonl -n my-agent\n";

static const char HELP_MODELS[] =
    "usage: prompt-logger export models FILE [OPTIONS]\n"
    "\n"
    "Writes one line per model seen in the namespace, oldest first:\n"
    "  {\"id\", \"namespace\", \"name\", \"provider\", \"created\"}   (created: epoch seconds)\n"
    "FILE - writes to stdout.\n"
    "\n"
    "options:\n"
    "  -n, --namespace NS    namespace to export (default $PROMPTLOG_NAMESPACE, else " PL_DEFAULT_NAMESPACE ")\n"
    "      --all-namespaces  every namespace\n"
    DB_OPT HELP_OPT
    "\n"
    "example:\n"
    "  prompt-logger export models - --all-namespaces\n";

static const char HELP_PROMPTS[] =
    "usage: prompt-logger export prompts FILE [OPTIONS]\n"
    "\n"
    "Writes one line per captured prompt, oldest first. Chat lines:\n"
    "  {id, namespace, model, messages, tools?, generation_kwargs, completions, inference_on,\n"
    "   inference_seconds, provider, endpoint, status, stream, usage, pid, program, error?,\n"
    "   incomplete?, cost_usd}\n"
    "Text lines: {id, namespace, prompt, response, model, inference_on, ...same extras}.\n"
    "messages, generation_kwargs and completions (prompt and response for text) are always\n"
    "present, empty when there is nothing. Embedding calls are never exported as prompts.\n"
    "FILE - writes to stdout. A progress bar shows on stderr when it is a terminal.\n"
    "\n"
    "options:\n"
    "      --type chat|text  which prompts (default chat)\n"
    "  -n, --namespace NS    namespace to export (default $PROMPTLOG_NAMESPACE, else " PL_DEFAULT_NAMESPACE ")\n"
    "      --all-namespaces  every namespace\n"
    "  -m, --models A,B      only these model names (exact match; default all)\n"
    "      --rebuild         re-normalize every stored body instead of reading the stored\n"
    "                        messages (after a normalizer improvement)\n"
    TIME_OPTS
    DB_OPT HELP_OPT
    "\n"
    "example:\n"
    "  prompt-logger export prompts prompts.jsonl -n my-agent --since 2026-11-01\n";

static const char HELP_DELETE[] =
    "usage: prompt-logger delete [ID] [OPTIONS]\n"
    "\n"
    "Deletes calls: call ID, or with -c the whole conversation call ID belongs to, and/or every\n"
    "call of a namespace, and/or every call started before a time (given together, a call must\n"
    "match all). Messages, tool lists and models no call uses any more are removed too; calls\n"
    "that stay keep their messages and bodies whole (see the README). Asks for confirmation on a\n"
    "terminal; otherwise --yes is required. Waits for capturing processes like they wait for each\n"
    "other (one write transaction, busy timeout).\n"
    "\n"
    "options:\n"
    "  -c, --conversation    ID names a call: delete its whole conversation (also --conversation=ID)\n"
    "  -n, --namespace NS    calls of this namespace\n"
    "      --before TIME     calls started before TIME (same forms as --since)\n"
    "  -y, --yes             do not ask\n"
    "      --vacuum          reclaim the freed space afterwards (VACUUM); alone: only that\n"
    DB_OPT HELP_OPT
    "\n"
    "example:\n"
    "  prompt-logger delete --before 30d -n test --yes --vacuum\n";

static const char HELP_PATH[] =
    "usage: prompt-logger path [OPTIONS]\n"
    "\n"
    "Prints the absolute path of the database on the first line, and on the second whether it\n"
    "exists and is a promptlog database.\n"
    "\n"
    "options:\n"
    DB_OPT HELP_OPT
    "\n"
    "example:\n"
    "  sqlite3 \"$(prompt-logger path | head -1)\" 'select count(*) from calls'\n";

static const char HELP_PRICES[] =
    "usage: prompt-logger prices [OPTIONS]\n"
    "\n"
    "Prints the price table used for cost_usd (USD per 1M tokens): the built-in one, or the file\n"
    "named by $PROMPTLOG_PRICES (format: see data/prices.txt and the README).\n"
    "\n"
    "options:\n"
    "      --json            one JSON object per line\n"
    HELP_OPT
    "\n"
    "example:\n"
    "  PROMPTLOG_PRICES=my-prices.txt prompt-logger prices\n";

static const char HELP_DIFF[] =
    "usage: prompt-logger diff A B [OPTIONS]\n"
    "       prompt-logger diff ID [OPTIONS]      (ID against the call it continues; schema 3)\n"
    "       prompt-logger diff --prompt V1 V2 [-n NS]   (two prompt versions; schema 3)\n"
    "\n"
    "A unified diff of calls A and B, each written as an outline of its normalized record: model,\n"
    "provider, api, parameters (sorted), tools, messages turn by turn, the completion, the error.\n"
    "Prints nothing when they are the same. Colours only when stdout is a terminal and NO_COLOR\n"
    "is not set.\n"
    "\n"
    "options:\n"
    "      --prompt          A and B are prompt versions (prompt-logger prompts): their system\n"
    "                        prompts and tool lists are diffed\n"
    "  -n, --namespace NS    the namespace of the versions (needed when several have versions)\n"
    DB_OPT HELP_OPT
    "\n"
    "example:\n"
    "  prompt-logger diff 12 13\n";

static const char HELP_SEARCH[] =
    "usage: prompt-logger search QUERY [OPTIONS]\n"
    "\n"
    "Calls whose messages or completions match QUERY, newest first, each with a snippet around\n"
    "the match, highlighted on a terminal (not with NO_COLOR). On the readable store (schema 3)\n"
    "QUERY is an FTS5 query: timeout AND retry, retr*, OR, NOT (no phrases). On an older\n"
    "store every word of QUERY must occur (any case; \"a quoted phrase\" is one word).\n"
    "\n"
    "options:\n"
    "  -n, --namespace NS    only this namespace (default: all)\n"
    "  -l, --limit N         the newest N matches (default 20; 0 = all)\n"
    TIME_OPTS
    "      --json            one JSON object per line: the list keys plus match_role, snippet\n"
    DB_OPT HELP_OPT
    "\n"
    "example:\n"
    "  prompt-logger search 'timeout retry' --since 7d\n";

static const char HELP_CONVERSATIONS[] =
    "usage: prompt-logger conversations [OPTIONS]\n"
    "\n"
    "One line per conversation the store linked (schema 3): id (its root call), namespace, first\n"
    "and last time, calls, models, tokens, cost_usd (a * when some calls have no known price) and\n"
    "the first user message. Oldest first; lines fit the terminal.\n"
    "\n"
    "options:\n"
    "  -n, --namespace NS    only this namespace (default: all)\n"
    "  -l, --limit N         the newest N conversations (default all)\n"
    TIME_OPTS
    "      --json            one JSON object per line\n"
    DB_OPT HELP_OPT
    "\n"
    "example:\n"
    "  prompt-logger conversations --since 1d && prompt-logger show -c 42\n";

static const char HELP_PROMPTS_V[] =
    "usage: prompt-logger prompts [OPTIONS]\n"
    "\n"
    "System-prompt and tool-list versions per namespace (schema 3): version number, first and last\n"
    "use, calls, models, the system prompt's start and the tool names.\n"
    "\n"
    "options:\n"
    "  -n, --namespace NS    only this namespace (default: all)\n"
    TIME_OPTS
    "      --json            one JSON object per line\n"
    DB_OPT HELP_OPT
    "\n"
    "example:\n"
    "  prompt-logger prompts -n my-agent --json\n";

static const struct { const char *name, *text; } HELPS[] = {
    {"conversations", HELP_CONVERSATIONS}, {"prompts", HELP_PROMPTS_V},
    {"search", HELP_SEARCH},
    {"diff", HELP_DIFF},
    {"run", HELP_RUN}, {"list", HELP_LIST}, {"show", HELP_SHOW}, {"tail", HELP_TAIL},
    {"stats", HELP_STATS}, {"export", HELP_EXPORT}, {"export models", HELP_MODELS},
    {"export prompts", HELP_PROMPTS}, {"delete", HELP_DELETE}, {"path", HELP_PATH},
    {"prices", HELP_PRICES},
};

const char *pl_help_for(const char *name)
{
    for (size_t i = 0; i < sizeof HELPS / sizeof *HELPS; i++)
        if (strcmp(HELPS[i].name, name) == 0)
            return HELPS[i].text;
    return NULL;
}
