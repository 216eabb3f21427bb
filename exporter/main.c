/* main.c — the prompt-logger command line: finds the command, parses its options (the way the
 * Python prompt-logger CLI accepts them: -n NS, --namespace=NS, --namespace NS) and hands over.
 * Exit 0 ok, 1 runtime failure, 2 usage error; a usage error never opens the database. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "doctor.h"
#include "help.h"
#include "report.h"
#include "ship.h"
#include "when.h"

#ifndef PL_VERSION
#define PL_VERSION "0.4.0"
#endif

enum {   /* option bits; a command lists the ones it takes */
    O_NS = 1 << 0, O_DB = 1 << 1, O_MODELS = 1 << 2, O_TYPE = 1 << 3, O_LIMIT = 1 << 4,
    O_SINCE = 1 << 5, O_UNTIL = 1 << 6, O_JSON = 1 << 7, O_ALLNS = 1 << 8, O_YES = 1 << 9,
    O_VACUUM = 1 << 10, O_BEFORE = 1 << 11, O_FOLLOW = 1 << 12, O_INTERVAL = 1 << 13, O_CONV = 1 << 14,
    O_PROMPT = 1 << 15, O_REBUILD = 1 << 16,
};
enum { V_TYPE = 1000, V_SINCE, V_UNTIL, V_JSON, V_ALLNS, V_VACUUM, V_BEFORE, V_INTERVAL, V_PROMPT, V_REBUILD };

static const struct option LONGOPTS[] = {
    {"namespace", required_argument, NULL, 'n'}, {"database", required_argument, NULL, 'd'},
    {"models", required_argument, NULL, 'm'},    {"type", required_argument, NULL, V_TYPE},
    {"limit", required_argument, NULL, 'l'},     {"since", required_argument, NULL, V_SINCE},
    {"until", required_argument, NULL, V_UNTIL}, {"json", no_argument, NULL, V_JSON},
    {"all-namespaces", no_argument, NULL, V_ALLNS}, {"yes", no_argument, NULL, 'y'},
    {"vacuum", no_argument, NULL, V_VACUUM},     {"before", required_argument, NULL, V_BEFORE},
    {"follow", no_argument, NULL, 'f'},          {"interval", required_argument, NULL, V_INTERVAL},
    {"conversation", optional_argument, NULL, 'c'}, {"prompt", no_argument, NULL, V_PROMPT},
    {"rebuild", no_argument, NULL, V_REBUILD},
       {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static unsigned opt_bit(int val)
{
    switch (val) {
    case 'n': return O_NS;
    case 'd': return O_DB;
    case 'm': return O_MODELS;
    case 'l': return O_LIMIT;
    case 'y': return O_YES;
    case 'f': return O_FOLLOW;
    case 'c': return O_CONV;
    case V_TYPE: return O_TYPE;
    case V_SINCE: return O_SINCE;
    case V_UNTIL: return O_UNTIL;
    case V_JSON: return O_JSON;
    case V_ALLNS: return O_ALLNS;
    case V_VACUUM: return O_VACUUM;
    case V_BEFORE: return O_BEFORE;
    case V_INTERVAL: return O_INTERVAL;
    case V_PROMPT: return O_PROMPT;
    case V_REBUILD: return O_REBUILD;
    default: return 0;
    }
}

typedef enum { POS_NONE, POS_FILE, POS_ID, POS_OPT_ID, POS_TWO_IDS, POS_QUERY } pos_kind;

typedef struct command {
    const char *name;           /* as typed: "export prompts" */
    unsigned opts;
    pos_kind pos;
    int (*fn)(const pl_cli_opts *);
} command;

static const command COMMANDS[] = {
    {"list", O_NS | O_DB | O_LIMIT | O_SINCE | O_UNTIL | O_JSON, POS_NONE, pl_cmd_list},
    {"show", O_DB | O_JSON | O_CONV, POS_ID, pl_cmd_show},
    {"tail", O_NS | O_DB | O_LIMIT | O_FOLLOW | O_INTERVAL | O_JSON, POS_NONE, pl_cmd_tail},
    {"stats", O_NS | O_DB | O_SINCE | O_UNTIL | O_JSON, POS_NONE, pl_cmd_stats},
    {"export models", O_NS | O_DB | O_ALLNS, POS_FILE, pl_cmd_export_models},
    {"export prompts", O_NS | O_DB | O_ALLNS | O_MODELS | O_TYPE | O_SINCE | O_UNTIL | O_REBUILD, POS_FILE,
     pl_cmd_export_prompts},
    {"delete", O_NS | O_DB | O_BEFORE | O_YES | O_VACUUM | O_CONV, POS_OPT_ID, pl_cmd_delete},
    {"path", O_DB, POS_NONE, pl_cmd_path},
    {"diff", O_DB | O_PROMPT | O_NS, POS_TWO_IDS, pl_cmd_diff},
    {"conversations", O_NS | O_DB | O_LIMIT | O_SINCE | O_UNTIL | O_JSON, POS_NONE, pl_cmd_conversations},
    {"prompts", O_NS | O_DB | O_SINCE | O_UNTIL | O_JSON, POS_NONE, pl_cmd_prompts},
    {"search", O_NS | O_DB | O_LIMIT | O_SINCE | O_UNTIL | O_JSON, POS_QUERY, pl_cmd_search},
    {"prices", O_JSON, POS_NONE, pl_cmd_prices},
};

/* One line: what is wrong, and where the help is. */
static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "prompt-logger%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see prompt-logger %s%s--help)\n", cmd ? cmd : "", cmd ? " " : "");
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

static void free_models(const char **models)
{
    if (models && models[0])
        free((void *)models[0]);   /* the one copy every name points into */
    free(models);
}

static int parse_time(const char *cmd, const char *opt, const char *arg, double *out)
{
    if (pl_when_parse(arg, (double)time(NULL), out) != 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: cannot read '%%s' as a time (use 2026-11-29, 2026-11-29T10:00, 30m, 2h, 7d)", opt);
        return usage_error(cmd, msg, arg);
    }
    return 0;
}

/* Builds the short-option string of a command from its option bits. */
static void shortopts_for(unsigned opts, char *out)
{
    char *p = out;
    *p++ = ':';   /* report a missing value as ':' */
    static const struct { unsigned bit; const char *s; } map[] = {
        {O_NS, "n:"}, {O_DB, "d:"}, {O_MODELS, "m:"}, {O_LIMIT, "l:"}, {O_YES, "y"}, {O_FOLLOW, "f"}, {O_CONV, "c"},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (opts & map[i].bit)
            for (const char *s = map[i].s; *s; s++)
                *p++ = *s;
    *p++ = 'h';
    *p = '\0';
}

static int run_command(const command *c, int argc, char **argv, pl_cli_opts *o)
{
    char shortopts[32];
    shortopts_for(c->opts, shortopts);
    const char **models = NULL;
    opterr = 0;
    optind = 1;
    int ch, longidx = -1, rc = 2;
    while ((ch = getopt_long(argc, argv, shortopts, LONGOPTS, &longidx)) != -1) {
        if (ch == ':') {
            rc = usage_error(c->name, "option %s needs a value", argv[optind - 1]);
            goto out;
        }
        /* Long options exist for every command; refuse the ones this command lacks. */
        if (ch == '?' || (ch != 'h' && !(c->opts & opt_bit(ch)))) {
            char opt[64];
            if (ch == '?' && optopt && optopt < 256)
                snprintf(opt, sizeof opt, "-%c", optopt);
            else if (longidx >= 0)
                snprintf(opt, sizeof opt, "--%s", LONGOPTS[longidx].name);
            else
                snprintf(opt, sizeof opt, "%.60s", argv[optind - 1]);
            rc = usage_error(c->name, "unknown option %s", opt);
            goto out;
        }
        longidx = -1;
        switch (ch) {
        case 'h':
            fputs(pl_help_for(c->name), stdout);
            rc = 0;
            goto out;
        case 'n':
            if (!*optarg) {
                rc = usage_error(c->name, "%s--namespace needs a name", "");
                goto out;
            }
            o->ns = optarg;
            o->ns_given = 1;
            break;
        case 'd':
            o->database = optarg;
            break;
        case 'm':
            free_models(models);
            models = split_models(optarg);
            if (!models) {
                fprintf(stderr, "prompt-logger: out of memory\n");
                rc = 1;
                goto out;
            }
            o->models = models[0] ? models : NULL;
            break;
        case V_TYPE:
            if (strcmp(optarg, "chat") != 0 && strcmp(optarg, "text") != 0) {
                rc = usage_error(c->name, "--type must be chat or text, not '%s'", optarg);
                goto out;
            }
            o->type = optarg;
            break;
        case 'l':
            if (parse_int(optarg, 0, &o->limit) != 0) {
                rc = usage_error(c->name, "--limit needs a number >= 0, not '%s'", optarg);
                goto out;
            }
            break;
        case V_SINCE:
            if (parse_time(c->name, "--since", optarg, &o->since))
                goto out;
            break;
        case V_UNTIL:
            if (parse_time(c->name, "--until", optarg, &o->until))
                goto out;
            break;
        case V_BEFORE:
            if (parse_time(c->name, "--before", optarg, &o->before))
                goto out;
            break;
        case V_INTERVAL: {
            char *end;
            o->interval = strtod(optarg, &end);
            if (end == optarg || *end || !(o->interval >= 0.01 && o->interval <= 3600)) {
                rc = usage_error(c->name, "--interval needs seconds between 0.01 and 3600, not '%s'", optarg);
                goto out;
            }
            break;
        }
        case V_JSON: o->json = 1; break;
        case V_ALLNS: o->ns = NULL; o->all_ns = 1; break;
        case 'y': o->yes = 1; break;
        case V_VACUUM: o->vacuum = 1; break;
        case 'f': o->follow = 1; break;
        case 'c':   /* -c ID (ID positional) or --conversation=ID */
            o->conversation = 1;
            if (optarg && parse_int(optarg, 1, &o->id) != 0) {
                rc = usage_error(c->name, "ID must be a positive number, not '%s'", optarg);
                goto out;
            }
            break;
        case V_PROMPT: o->prompt = 1; break;
        case V_REBUILD: o->rebuild = 1; break;
        }
    }
    if (o->all_ns && o->ns_given) {
        rc = usage_error(c->name, "%s--all-namespaces and --namespace exclude each other", "");
        goto out;
    }
    if (o->all_ns)
        o->ns = NULL;
    int npos = argc - optind;
    int need = c->pos == POS_FILE || c->pos == POS_ID || c->pos == POS_QUERY || c->pos == POS_TWO_IDS;
    int maxpos = c->pos == POS_NONE ? 0 : c->pos == POS_TWO_IDS ? 2 : 1;
    if (npos < need && !(o->conversation && o->id > 0 && npos == 0)) {   /* --conversation=ID */
        rc = usage_error(c->name, "missing %s", c->pos == POS_FILE ? "FILE" : c->pos == POS_QUERY ? "QUERY" : c->pos == POS_TWO_IDS ? "ID (A B, or one call to diff with its parent)" : "ID");
        goto out;
    }
    if (npos > maxpos) {
        rc = usage_error(c->name, "unexpected argument '%s'", argv[optind + maxpos]);
        goto out;
    }
    if (npos) {
        const char *arg = argv[optind];
        if (c->pos == POS_FILE) {
            o->file = arg;
        } else if (c->pos == POS_QUERY) {
            o->query = arg;
        } else if (parse_int(arg, 1, &o->id) != 0) {
            rc = usage_error(c->name, "ID must be a positive number, not '%s'", arg);
            goto out;
        }
        if (npos > 1 && parse_int(argv[optind + 1], 1, &o->id2) != 0) {
            rc = usage_error(c->name, "ID must be a positive number, not '%s'", argv[optind + 1]);
            goto out;
        }
    }
    if (c->fn == pl_cmd_diff && o->prompt && o->id2 <= 0) {
        rc = usage_error(c->name, "--prompt needs two versions: %s", "diff --prompt V1 V2");
        goto out;
    }
    rc = c->fn == pl_cmd_show && o->conversation ? pl_cmd_show_conversation(o)
       : c->fn == pl_cmd_diff && o->prompt       ? pl_cmd_diff_prompt(o)
                                                 : c->fn(o);
out:
    free_models(models);
    return rc;
}

/* run [-n NS] [-d DB] [--] CMD ARGS...: options end at the first word that is not one, so the
 * command's own options are never read as ours. */
static int run_run(int argc, char **argv, pl_cli_opts *o)
{
    static const struct option longopts[] = {
        {"namespace", required_argument, NULL, 'n'}, {"database", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    o->ns = NULL;
    o->database = NULL;
    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "+:n:d:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            fputs(pl_help_for("run"), stdout);
            return 0;
        case 'n':
            if (!*optarg)
                return usage_error("run", "%s--namespace needs a name", "");
            o->ns = optarg;
            break;
        case 'd':
            o->database = optarg;
            break;
        case ':':
            return usage_error("run", "option %s needs a value", argv[optind - 1]);
        default:
            return usage_error("run", "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("run", "missing the command to run%s", "");
    o->argv = argv + optind;
    return pl_cmd_run(o);
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
    o.database = env_db && *env_db ? env_db : PL_DEFAULT_DATABASE;
    const char *default_ns = env_ns && *env_ns ? env_ns : PL_DEFAULT_NAMESPACE;
    o.type = "chat";

    if (argc < 2) {
        fputs(PL_HELP_MAIN, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (is_help(cmd)) {
        if (argc > 2 && pl_help_for(argv[2])) {
            fputs(pl_help_for(argv[2]), stdout);
            return 0;
        }
        fputs(PL_HELP_MAIN, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        printf("prompt-logger (promptlog) %s\n", PL_VERSION);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        return run_run(argc - 1, argv + 1, &o);
    /* these parse their own options (ship.c, report.c, doctor.c) */
    if (strcmp(cmd, "ship") == 0)
        return pl_ship_main(argc - 1, argv + 1, o.database);
    if (strcmp(cmd, "report") == 0)
        return pl_report_main(argc - 1, argv + 1, o.database);
    if (strcmp(cmd, "doctor") == 0)
        return pl_doctor_main(argc - 1, argv + 1);
    char name[64];
    int skip = 1;
    if (strcmp(cmd, "export") == 0) {
        if (argc < 3)
            return usage_error("export", "missing what to export (%s)", "models or prompts");
        if (is_help(argv[2])) {
            fputs(pl_help_for("export"), stdout);
            return 0;
        }
        if (strcmp(argv[2], "models") != 0 && strcmp(argv[2], "prompts") != 0)
            return usage_error("export", "unknown export '%s' (models or prompts)", argv[2]);
        snprintf(name, sizeof name, "export %s", argv[2]);
        skip = 2;
        o.ns = default_ns;
    } else {
        snprintf(name, sizeof name, "%.60s", cmd);
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++) {
        if (strcmp(COMMANDS[i].name, name) != 0)
            continue;
        if (strcmp(name, "list") == 0)
            o.limit = 50;
        if (strcmp(name, "search") == 0)
            o.limit = 20;
        if (strcmp(name, "tail") == 0) {
            o.limit = 10;
            o.interval = 0.25;
        }
        return run_command(&COMMANDS[i], argc - skip, argv + skip, &o);
    }
    if (cmd[0] == '-')
        return usage_error(NULL, "unknown option %s (options go after the command)", cmd);
    return usage_error(NULL, "unknown command '%s'", cmd);
}
