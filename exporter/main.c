/* main.c — the prompt-logger command line: parses commands and options the way the Python
 * prompt-logger CLI accepts them, then hands over to commands.c. Exit 0 ok, 1 failure, 2 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "report.h"
#include "ship.h"
#include "doctor.h"

#define DEFAULT_DATABASE "sqlite:///prompts.db"
#define DEFAULT_NAMESPACE "default"

static const char USAGE[] =
    "usage: prompt-logger COMMAND [OPTIONS]\n"
    "\n"
    "Reads the calls that libpromptlog.so captured into a SQLite database.\n"
    "\n"
    "commands:\n"
    "  export models FILE     write the models seen, one JSON object per line\n"
    "  export prompts FILE    write the prompts and completions, one JSON object per line\n"
    "  list                   one line per captured call, newest last\n"
    "  show ID                everything stored for one call: columns, headers, bodies\n"
    "  stats                  call and token counts per namespace, provider and model\n"
    "  ship                   send calls to an OpenTelemetry collector (OTLP GenAI spans)\n"
    "  report                 write a one-file HTML report\n"
    "  doctor PROGRAM         will PROGRAM be captured, and how (run this first when nothing is)\n"
    "\n"
    "Run `prompt-logger COMMAND --help` for a command's options.\n"
    "The database defaults to $PROMPTLOG_DATABASE, else " DEFAULT_DATABASE ".\n";

static const char USAGE_EXPORT[] =
    "usage: prompt-logger export models FILE [-n NAMESPACE] [-d DATABASE]\n"
    "       prompt-logger export prompts FILE [--type chat|text] [-n NAMESPACE] [-m MODELS] [-d DATABASE]\n"
    "\n"
    "Writes JSON lines compatible with the Python prompt-logger package. FILE - is stdout.\n";

static const char USAGE_MODELS[] =
    "usage: prompt-logger export models FILE [OPTIONS]\n"
    "\n"
    "Writes one line per model seen in the namespace, oldest first:\n"
    "  {\"id\", \"namespace\", \"name\", \"provider\", \"created\"}   (created: epoch seconds)\n"
    "FILE - writes to stdout.\n"
    "\n"
    "options:\n"
    "  -n, --namespace NS    namespace to export (default $PROMPTLOG_NAMESPACE, else " DEFAULT_NAMESPACE ")\n"
    "  -d, --database URL    sqlite:///relative.db, sqlite:////absolute.db or a path\n"
    "                        (default $PROMPTLOG_DATABASE, else " DEFAULT_DATABASE ")\n"
    "  -h, --help            show this help\n";

static const char USAGE_PROMPTS[] =
    "usage: prompt-logger export prompts FILE [OPTIONS]\n"
    "\n"
    "Writes one line per captured prompt, oldest first. Chat lines:\n"
    "  {id, namespace, model, messages, tools, generation_kwargs, completions, inference_on,\n"
    "   inference_seconds, provider, endpoint, status, stream, usage, pid, program, error, incomplete}\n"
    "Text lines: {id, namespace, prompt, response, model, inference_on, ...same extras}.\n"
    "Empty values are left out. Embedding calls are never exported as prompts.\n"
    "FILE - writes to stdout.\n"
    "\n"
    "options:\n"
    "  --type chat|text      which prompts (default chat)\n"
    "  -n, --namespace NS    namespace to export (default $PROMPTLOG_NAMESPACE, else " DEFAULT_NAMESPACE ")\n"
    "  -m, --models A,B      only these model names (exact match; default all)\n"
    "  --rebuild             re-normalize every stored body instead of reading the stored\n"
    "                        messages (after a normalizer fix; automatic for older records)\n"
    "  -d, --database URL    sqlite:///relative.db, sqlite:////absolute.db or a path\n"
    "                        (default $PROMPTLOG_DATABASE, else " DEFAULT_DATABASE ")\n"
    "  -h, --help            show this help\n";

static const char USAGE_LIST[] =
    "usage: prompt-logger list [OPTIONS]\n"
    "\n"
    "One line per captured call: id, start time, namespace, provider, model, HTTP status,\n"
    "input/output tokens and a preview of the prompt and completion. Newest calls, oldest first.\n"
    "\n"
    "options:\n"
    "  -n, --namespace NS    only this namespace (default: all)\n"
    "  -l, --limit N         the newest N calls (default 50; 0 = all)\n"
    "  -d, --database URL    (default $PROMPTLOG_DATABASE, else " DEFAULT_DATABASE ")\n"
    "  -h, --help            show this help\n";

static const char USAGE_SHOW[] =
    "usage: prompt-logger show ID [OPTIONS]\n"
    "\n"
    "Prints everything stored for call ID: its columns, the redacted headers, the decompressed\n"
    "request and response bodies, and the record normalized from them.\n"
    "\n"
    "options:\n"
    "  -d, --database URL    (default $PROMPTLOG_DATABASE, else " DEFAULT_DATABASE ")\n"
    "  -h, --help            show this help\n";

static const char USAGE_STATS[] =
    "usage: prompt-logger stats [OPTIONS]\n"
    "\n"
    "Calls, errors (HTTP >= 400 or transport errors) and tokens per namespace, provider and model.\n"
    "\n"
    "options:\n"
    "  -n, --namespace NS    only this namespace (default: all)\n"
    "  -d, --database URL    (default $PROMPTLOG_DATABASE, else " DEFAULT_DATABASE ")\n"
    "  -h, --help            show this help\n";

enum { OPT_TYPE = 1000, OPT_REBUILD };

typedef struct command {
    const char *name;           /* as typed: "export prompts" */
    const char *usage;
    const char *shortopts;      /* leading ':' so missing arguments are reported as such */
    int positionals;            /* required positional arguments */
    const char *positional_name;
} command;

static int usage_error(const command *c, const char *fmt, const char *arg)
{
    fprintf(stderr, "prompt-logger %s: ", c->name);
    fprintf(stderr, fmt, arg);
    /* the synopsis line only; the full text is one --help away */
    fprintf(stderr, "\n%.*s\nRun 'prompt-logger %s --help' for the options.\n", (int)strcspn(c->usage, "\n"),
            c->usage, c->name);
    return 2;
}

static int parse_int(const char *s, long long min, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < min)
        return -1;
    *out = v;
    return 0;
}

/* "a, b,,c" -> {"a","b","c",NULL}; the strings live in one copy of s. */
static const char **split_models(const char *s)
{
    size_t n = 2;
    for (const char *p = s; *p; p++)
        n += *p == ',';
    const char **list = calloc(n, sizeof *list);
    char *copy = strdup(s);
    if (!list || !copy) {
        free(list);
        free(copy);
        return NULL;
    }
    size_t k = 0;
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        char *end = tok + strlen(tok);
        while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (*tok)
            list[k++] = tok;
    }
    if (k == 0)
        free(copy);   /* nothing to filter by: "-m ''" means every model */
    return list;
}

static int run(const command *c, int argc, char **argv, pl_cli_opts *o, int (*fn)(const pl_cli_opts *))
{
    static const struct option longopts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"database", required_argument, NULL, 'd'},
        {"models", required_argument, NULL, 'm'},
        {"type", required_argument, NULL, OPT_TYPE},
        {"rebuild", no_argument, NULL, OPT_REBUILD},
        {"limit", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **models = NULL;
    opterr = 0;
    optind = 1;
    int ch, longidx = -1;
    while ((ch = getopt_long(argc, argv, c->shortopts, longopts, &longidx)) != -1) {
        /* Long options exist for every command; refuse the ones this command lacks. */
        int known = ch == OPT_TYPE || ch == OPT_REBUILD ? strcmp(c->name, "export prompts") == 0
                                   : (ch != '?' && ch != ':' && strchr(c->shortopts + 1, ch) != NULL);
        if (ch == ':')
            return usage_error(c, "option %s needs a value", argv[optind - 1]);
        if (ch == '?' || !known) {
            if (ch == '?' && optopt && optopt != OPT_TYPE && optopt != OPT_REBUILD) {
                char opt[3] = {'-', (char)optopt, '\0'};
                return usage_error(c, "unknown option %s", opt);
            }
            if (longidx >= 0) {
                char opt[32];
                snprintf(opt, sizeof opt, "--%s", longopts[longidx].name);
                return usage_error(c, "unknown option %s", opt);
            }
            return usage_error(c, "unknown option %s", argv[optind - 1]);
        }
        longidx = -1;
        switch (ch) {
        case 'h':
            fputs(c->usage, stdout);
            return 0;
        case 'n':
            o->ns = optarg;
            break;
        case 'd':
            o->database = optarg;
            break;
        case 'm':
            free(models);
            models = split_models(optarg);
            if (!models) {
                fprintf(stderr, "prompt-logger: out of memory\n");
                return 1;
            }
            o->models = models[0] ? models : NULL;
            break;
        case OPT_TYPE:
            if (strcmp(optarg, "chat") != 0 && strcmp(optarg, "text") != 0)
                return usage_error(c, "--type must be chat or text, not '%s'", optarg);
            o->type = optarg;
            break;
        case OPT_REBUILD:
            o->rebuild = 1;
            break;
        case 'l':
            if (parse_int(optarg, 0, &o->limit) != 0)
                return usage_error(c, "--limit needs a number >= 0, not '%s'", optarg);
            break;
        }
    }
    int npos = argc - optind;
    if (npos < c->positionals)
        return usage_error(c, "missing %s", c->positional_name);
    if (npos > c->positionals)
        return usage_error(c, "unexpected argument '%s'", argv[optind + c->positionals]);
    if (c->positionals) {
        const char *arg = argv[optind];
        if (strcmp(c->positional_name, "ID") == 0) {
            if (parse_int(arg, 1, &o->id) != 0)
                return usage_error(c, "ID must be a positive number, not '%s'", arg);
        } else {
            o->file = arg;
        }
    }
    int rc = fn(o);
    if (models) {
        if (models[0])
            free((void *)models[0]);   /* the one copy every name points into */
        free(models);
    }
    return rc;
}

static int is_help(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "help") == 0;
}

int main(int argc, char **argv)
{
    pl_cli_opts o = {0};
    const char *env_db = getenv("PROMPTLOG_DATABASE");
    const char *env_ns = getenv("PROMPTLOG_NAMESPACE");
    o.database = env_db && *env_db ? env_db : DEFAULT_DATABASE;
    const char *default_ns = env_ns && *env_ns ? env_ns : DEFAULT_NAMESPACE;
    o.type = "chat";

    if (argc < 2) {
        fputs(USAGE, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (is_help(cmd)) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (strcmp(cmd, "ship") == 0)
        return pl_ship_main(argc - 1, argv + 1, o.database);
    if (strcmp(cmd, "report") == 0)
        return pl_report_main(argc - 1, argv + 1, o.database);
    if (strcmp(cmd, "doctor") == 0)
        return pl_doctor_main(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0) {
        if (argc < 3) {
            fprintf(stderr, "prompt-logger export: missing what to export (models or prompts)\n%s", USAGE_EXPORT);
            return 2;
        }
        if (is_help(argv[2])) {
            fputs(USAGE_EXPORT, stdout);
            return 0;
        }
        o.ns = default_ns;
        if (strcmp(argv[2], "models") == 0) {
            static const command c = {"export models", USAGE_MODELS, ":n:d:h", 1, "FILE"};
            return run(&c, argc - 2, argv + 2, &o, pl_cmd_export_models);
        }
        if (strcmp(argv[2], "prompts") == 0) {
            static const command c = {"export prompts", USAGE_PROMPTS, ":n:d:m:h", 1, "FILE"};
            return run(&c, argc - 2, argv + 2, &o, pl_cmd_export_prompts);
        }
        fprintf(stderr, "prompt-logger export: unknown export '%s' (models or prompts)\n%s", argv[2], USAGE_EXPORT);
        return 2;
    }
    if (strcmp(cmd, "list") == 0) {
        static const command c = {"list", USAGE_LIST, ":n:d:l:h", 0, NULL};
        o.limit = 50;
        return run(&c, argc - 1, argv + 1, &o, pl_cmd_list);
    }
    if (strcmp(cmd, "show") == 0) {
        static const command c = {"show", USAGE_SHOW, ":d:h", 1, "ID"};
        return run(&c, argc - 1, argv + 1, &o, pl_cmd_show);
    }
    if (strcmp(cmd, "stats") == 0) {
        static const command c = {"stats", USAGE_STATS, ":n:d:h", 0, NULL};
        return run(&c, argc - 1, argv + 1, &o, pl_cmd_stats);
    }
    fprintf(stderr, "prompt-logger: unknown command '%s'\n%s", cmd, USAGE);
    return 2;
}
