/* report.c — `prompt-logger report -o FILE`: collects the calls (report_data.c) and writes one
 * self-contained HTML file: the page template (exporter/report_template.html, compiled in by
 * scripts/embed.sh) with the data inlined as JSON. The page makes no network request. */
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_data.h"
#include "report_prompts.h"
#include "report_template.h"   /* pl_report_template, generated into $(BUILD)/gen */
#include "when.h"

#define DATA_MARK "__PL_REPORT_DATA__"

static const char USAGE_REPORT[] =
    "usage: prompt-logger report -o FILE [OPTIONS]\n"
    "\n"
    "Writes one self-contained HTML file (inline CSS, JS and SVG; opens from disk with no network):\n"
    "overview (calls, errors, tokens, cost, p50/p95 latency and time to first token over time: the\n"
    "numbers of `stats --json`), a table per namespace, provider and model, conversations with their\n"
    "threads, prompt versions (numbered as `prompts` numbers them) with their diffs, and the slowest,\n"
    "most expensive and failed calls.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE     where to write the report (- = stdout)\n"
    "  --since TIME          calls started at or after TIME (2026-11-29[T10:00] local,\n"
    "                        ...Z for UTC, 30m/12h/7d ago, @EPOCH)\n"
    "  --until TIME          calls started before TIME\n"
    "  -n, --namespace NS    only this namespace (default: all)\n"
    "  -l, --limit N         only the newest N calls\n"
    "  -d, --database URL    (default $PROMPTLOG_DATABASE, else sqlite:///prompts.db)\n"
    "  -h, --help            show this help\n";

/* JSON inside <script>: "</" would end the element early, so it is written "<\/". */
static int write_json_in_script(FILE *out, const char *json)
{
    for (const char *p = json; *p; p++) {
        if (p[0] == '<' && p[1] == '/') {
            if (fputs("<\\/", out) == EOF)
                return -1;
            p++;
        } else if (fputc(*p, out) == EOF) {
            return -1;
        }
    }
    return 0;
}

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "prompt-logger report: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'prompt-logger report --help' for the options.\n");
    return 2;
}

int pl_report_main(int argc, char **argv, const char *default_db)
{
    enum { OPT_SINCE = 1000, OPT_UNTIL };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},  {"since", required_argument, NULL, OPT_SINCE},
        {"until", required_argument, NULL, OPT_UNTIL}, {"namespace", required_argument, NULL, 'n'},
        {"limit", required_argument, NULL, 'l'},   {"database", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *database = default_db, *file = NULL;
    pl_report_filter f = {.since = -1, .until = -1};
    opterr = 0;
    optind = 1;
    int ch;
    char *end;
    while ((ch = getopt_long(argc, argv, ":o:n:l:d:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': fputs(USAGE_REPORT, stdout); return 0;
        case 'o': file = optarg; break;
        case 'n': f.ns = optarg; break;
        case 'd': database = optarg; break;
        case 'l':
            f.last = strtoll(optarg, &end, 10);
            if (!*optarg || *end || f.last < 0)
                return usage("--limit needs a number >= 0, not '%s'", optarg);
            break;
        case OPT_SINCE:
        case OPT_UNTIL:
            if (pl_when_parse(optarg, (double)time(NULL), ch == OPT_SINCE ? &f.since : &f.until) != 0)
                return usage("cannot read '%s' as a time", optarg);
            break;
        case ':': return usage("option %s needs a value", argv[optind - 1]);
        default: return usage("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage("unexpected argument '%s'", argv[optind]);
    if (!file)
        return usage("%s", "missing -o FILE");

    char err[768] = "";
    pl_store *s = NULL;
    if (pl_store_open(database, PL_STORE_READONLY, NULL, &s, err, sizeof err) != 0) {
        fprintf(stderr, "prompt-logger: %s\n", err);
        return 1;
    }
    cJSON *data = pl_report_collect(s, &f, err, sizeof err);
    pl_store_close(s);
    if (data && pl_report_prompts(database, &f, data, err, sizeof err) != 0) {
        cJSON_Delete(data);
        data = NULL;
    }
    if (!data) {
        fprintf(stderr, "prompt-logger: %s\n", err);
        return 1;
    }
    cJSON_AddNumberToObject(data, "generated", (double)time(NULL));
    cJSON_AddStringToObject(data, "database", database);
    cJSON *filt = cJSON_AddObjectToObject(data, "filter");
    if (f.ns)
        cJSON_AddStringToObject(filt, "namespace", f.ns);
    if (f.since >= 0)
        cJSON_AddNumberToObject(filt, "since", f.since);
    if (f.until >= 0)
        cJSON_AddNumberToObject(filt, "until", f.until);
    if (f.last > 0)
        cJSON_AddNumberToObject(filt, "limit", (double)f.last);
    char *json = cJSON_PrintUnformatted(data);
    cJSON_Delete(data);
    const char *mark = strstr(pl_report_template, DATA_MARK);
    if (!json || !mark) {
        cJSON_free(json);
        fprintf(stderr, "prompt-logger report: out of memory\n");
        return 1;
    }
    FILE *out = strcmp(file, "-") == 0 ? stdout : fopen(file, "w");
    if (!out) {
        cJSON_free(json);
        fprintf(stderr, "prompt-logger report: cannot write %s: %s\n", file, strerror(errno));
        return 1;
    }
    int bad = fwrite(pl_report_template, 1, (size_t)(mark - pl_report_template), out) != (size_t)(mark - pl_report_template) ||
              write_json_in_script(out, json) != 0 || fputs(mark + strlen(DATA_MARK), out) == EOF;
    cJSON_free(json);
    bad |= fflush(out) != 0;
    if (out != stdout)
        bad |= fclose(out) != 0;
    if (bad) {
        fprintf(stderr, "prompt-logger report: error writing %s: %s\n", file, strerror(errno));
        return 1;
    }
    return 0;
}
