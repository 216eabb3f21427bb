/* ship.c — `prompt-logger ship`: reads calls after the destination's cursor, turns each into a
 * GenAI span, sends them in batches over OTLP/HTTP and advances the cursor only after the
 * collector acknowledged a batch (at least once). -f keeps following the database.
 * Retries with exponential backoff on connection errors, 408, 429 and 5xx (Retry-After honoured);
 * a 413 halves the batch; any other 4xx stops at once with the status and the collector's message. */
#include "ship.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../store/cursor.h"
#include "../store/redact.h"
#include "export.h"
#include "ship_http.h"
#include "when.h"

static const char USAGE_SHIP[] =
    "usage: prompt-logger ship [OPTIONS]\n"
    "\n"
    "Sends captured calls to an OpenTelemetry collector as OTLP/HTTP spans, one per call, under the\n"
    "GenAI semantic conventions (v1.37.0, Development). Delivery is at least once: a cursor per\n"
    "destination in the database records what the collector acknowledged.\n"
    "\n"
    "options:\n"
    "  --endpoint URL        collector base URL (/v1/traces is appended unless present); default\n"
    "                        $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is), else\n"
    "                        $OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318\n"
    "  --protocol P          http/protobuf (default) or http/json ($OTEL_EXPORTER_OTLP_PROTOCOL)\n"
    "  --compression C       gzip (default) or none ($OTEL_EXPORTER_OTLP_COMPRESSION)\n"
    "  --content             also send prompts, completions, system instructions and tool definitions\n"
    "  -f, --follow          keep running and send new calls as they are captured\n"
    "  --since TIME          only calls started at or after TIME: YYYY-MM-DD[THH:MM[:SS]] local time\n"
    "                        (Z or +01:00 for another zone), an age such as 30m, 12h, 7d, or @EPOCH\n"
    "  -n, --namespace NS    only this namespace (default: all)\n"
    "  --batch N             calls per request (default 100)\n"
    "  --max-attempts N      attempts per batch before giving up, 0 = forever (default 10; -f: 0)\n"
    "  -d, --database URL    (default $PROMPTLOG_DATABASE, else sqlite:///prompts.db)\n"
    "  -h, --help            show this help\n"
    "Headers come from $OTEL_EXPORTER_OTLP_TRACES_HEADERS or $OTEL_EXPORTER_OTLP_HEADERS (k=v,k2=v2);\n"
    "they are never printed or stored. $OTEL_SERVICE_NAME sets service.name (default promptlog).\n";

enum { OPT_ENDPOINT = 1000, OPT_PROTOCOL, OPT_COMPRESSION, OPT_CONTENT, OPT_SINCE, OPT_BATCH, OPT_ATTEMPTS };

typedef struct ship_opts {
    const char *database, *ns, *endpoint, *protocol;
    int gzip, content, follow, batch;
    long max_attempts;
    double since;
} ship_opts;

static volatile sig_atomic_t stopping;
static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* Sleeps up to secs, waking early when a signal asks us to stop. */
static void nap(double secs)
{
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    while (!stopping && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static char *traces_url(const char *endpoint)
{
    const char *base = endpoint;
    if (!base) {
        const char *t = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        if (t && *t)
            return strdup(t);   /* the signal-specific variable is used as is */
        base = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
        if (!base || !*base)
            base = "http://localhost:4318";
    }
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    if (n >= 10 && strncmp(base + n - 10, "/v1/traces", 10) == 0)
        return strndup(base, n);
    char *url = malloc(n + 11);
    if (url)
        snprintf(url, n + 11, "%.*s/v1/traces", (int)n, base);
    return url;
}

typedef struct batch {
    pl_otlp_span *spans;
    size_t n;
    const pl_ship_span_opts *so;
    int failed;
} batch;

static int row_cb(const pl_row *row, void *vctx)
{
    batch *b = vctx;
    cJSON *record = pl_export_record(row);
    pl_otlp_span *s = &b->spans[b->n];
    memset(s, 0, sizeof *s);
    if (pl_ship_span_from_row(row, record, b->so, s) != 0)
        b->failed = 1;
    else
        b->n++;
    cJSON_Delete(record);
    return b->failed;
}

/* Sends one encoded batch of n calls, retrying as the outcome allows. 0 sent, 1 give up,
 * 2 too large (413) for a batch of more than one call: send fewer. */
static int send_with_retry(pl_ship_http *h, const pl_buf *body, int n, const ship_opts *o, const char *shown_url)
{
    double backoff = 0.5;
    for (long attempt = 1; !stopping; attempt++) {
        pl_ship_result res;
        int out = pl_ship_http_post(h, body->data, body->len, &res);
        if (out == PL_SHIP_SENT) {
            if (res.rejected > 0)
                fprintf(stderr, "prompt-logger ship: %s accepted the batch but dropped %lld spans%s%s (not resent)\n",
                        shown_url, res.rejected, res.msg[0] ? ": " : "", res.msg);
            return 0;
        }
        if (out == PL_SHIP_TOO_LARGE && n > 1)
            return 2;
        if (out == PL_SHIP_REJECTED || out == PL_SHIP_TOO_LARGE) {
            fprintf(stderr, "prompt-logger ship: %s rejected the batch with HTTP %ld%s%s; not retrying (fix the\n"
                            "  endpoint, headers or protocol and run ship again: nothing is lost, the cursor did not move)\n",
                    shown_url, res.status, res.msg[0] ? ": " : "", res.msg);
            return 1;
        }
        double wait = res.retry_after >= 0 ? res.retry_after : backoff;
        if (wait > 300)
            wait = 300;
        char what[64];
        if (res.status)
            snprintf(what, sizeof what, "HTTP %ld", res.status);
        else
            snprintf(what, sizeof what, "connection failed");
        if (o->max_attempts > 0 && attempt >= o->max_attempts) {
            fprintf(stderr, "prompt-logger ship: %s: %s%s%s; gave up after %ld attempts (the cursor did not move)\n",
                    shown_url, what, res.msg[0] ? ": " : "", res.msg, attempt);
            return 1;
        }
        fprintf(stderr, "prompt-logger ship: %s: %s%s%s; retrying in %.1fs%s\n", shown_url, what,
                res.msg[0] ? ": " : "", res.msg, wait, res.retry_after >= 0 ? " (Retry-After)" : "");
        nap(wait);
        backoff = backoff * 2 > 30 ? 30 : backoff * 2;
    }
    return 1;
}

static int run_ship(const ship_opts *o)
{
    char err[768] = "";
    pl_store *s = NULL;
    pl_cursor *cur = NULL;
    pl_ship_http *h = NULL;
    char *url = traces_url(o->endpoint), *shown = url ? pl_redact_url(url, NULL) : NULL;
    char *dest = NULL, *salt = NULL, *dbpath = NULL;
    long long *ids = calloc((size_t)o->batch, sizeof *ids);
    pl_otlp_span *spans = calloc((size_t)o->batch, sizeof *spans);
    int rc = 1;
    if (!url || !shown || !ids || !spans) {
        fprintf(stderr, "prompt-logger ship: out of memory\n");
        goto out;
    }
    if (pl_store_open(o->database, PL_STORE_READONLY, NULL, &s, err, sizeof err) != 0 ||
        pl_cursor_open(o->database, &cur, err, sizeof err) != 0) {
        fprintf(stderr, "prompt-logger ship: %s\n", err);
        goto out;
    }
    if (!(h = pl_ship_http_new(url, o->protocol, o->gzip, err, sizeof err))) {
        fprintf(stderr, "prompt-logger ship: %s\n", err);
        goto out;
    }
    /* The cursor key names the destination (redacted URL, protocol) and the namespace filter. */
    size_t dl = strlen(shown) + strlen(o->protocol) + (o->ns ? strlen(o->ns) : 1) + 16;
    dest = malloc(dl);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    dbpath = pl_store_path_from_url(o->database);
    char *real = dbpath ? realpath(dbpath, NULL) : NULL;
    size_t sl = strlen(host) + (real ? strlen(real) : 0) + 2;
    salt = malloc(sl);
    if (!dest || !salt) {
        free(real);
        fprintf(stderr, "prompt-logger ship: out of memory\n");
        goto out;
    }
    snprintf(dest, dl, "%s %s ns=%s", o->protocol, shown, o->ns ? o->ns : "*");
    snprintf(salt, sl, "%s:%s", host, real ? real : "");
    free(real);
    const char *svc = getenv("OTEL_SERVICE_NAME");
    pl_ship_span_opts so = {.content = o->content, .salt = salt, .host_name = host,
                            .service_name = svc && *svc ? svc : "promptlog"};

    long long last = 0, version = -1, total = 0;
    int batch_size = o->batch;   /* halved when the collector answers 413 */
    if (pl_cursor_get(cur, dest, &last, err, sizeof err) != 0) {
        fprintf(stderr, "prompt-logger ship: %s\n", err);
        goto out;
    }
    for (;;) {
        if (stopping)
            break;
        long long v = 0;
        pl_cursor_data_version(cur, &v);
        int n = 0;
        if (pl_cursor_pending(cur, last, o->ns, o->since, ids, batch_size, &n, err, sizeof err) != 0) {
            fprintf(stderr, "prompt-logger ship: %s\n", err);
            goto out;
        }
        if (n == 0) {
            if (!o->follow)
                break;
            /* Follow: wait for another connection to commit (data_version moves), 100 ms polls. */
            version = v;
            while (!stopping && pl_cursor_data_version(cur, &v) == 0 && v == version)
                nap(0.1);
            /* a delete of the newest calls lowers the cursor (their ids come back): follow it */
            long long stored = last;
            if (pl_cursor_get(cur, dest, &stored, err, sizeof err) == 0 && stored < last)
                last = stored;
            continue;
        }
        batch b = {.spans = spans, .so = &so};
        for (int k = 0; k < n && !b.failed; k++) {
            pl_store_query q = {.id = ids[k]};
            if (pl_store_each_row_q(s, &q, row_cb, &b, err, sizeof err) != 0 && !b.failed) {
                fprintf(stderr, "prompt-logger ship: %s\n", err);
                b.failed = 1;
            }
        }
        pl_buf body = {0};
        int enc = b.failed ? -1
                  : strcmp(o->protocol, "http/json") == 0 ? pl_otlp_encode_json(spans, b.n, &body)
                                                          : pl_otlp_encode_proto(spans, b.n, &body);
        for (size_t k = 0; k < b.n; k++)
            pl_otlp_span_free(&spans[k]);
        if (enc != 0) {
            pl_buf_free(&body);
            fprintf(stderr, "prompt-logger ship: cannot build the batch (out of memory or unreadable call)\n");
            goto out;
        }
        int sent = send_with_retry(h, &body, n, o, shown);
        pl_buf_free(&body);
        if (sent == 2) {
            batch_size = n / 2;
            fprintf(stderr, "prompt-logger ship: %s: HTTP 413 for %d calls; sending %d per request\n", shown, n, batch_size);
            continue;
        }
        if (sent != 0)
            goto out;
        if (pl_cursor_set(cur, dest, ids[n - 1], err, sizeof err) != 0) {
            fprintf(stderr, "prompt-logger ship: %s\n", err);
            goto out;
        }
        last = ids[n - 1];
        total += n;
        printf("sent %d calls (ids %lld..%lld) to %s\n", n, ids[0], ids[n - 1], shown);
        fflush(stdout);
    }
    printf("%lld calls sent to %s\n", total, shown);
    rc = fflush(stdout) != 0;
out:
    pl_ship_http_free(h);
    pl_cursor_close(cur);
    pl_store_close(s);
    free(url);
    free(shown);
    free(dest);
    free(salt);
    free(dbpath);
    free(ids);
    free(spans);
    return rc;
}

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "prompt-logger ship: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'prompt-logger ship --help' for the options.\n");
    return 2;
}

int pl_ship_main(int argc, char **argv, const char *default_db)
{
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, OPT_ENDPOINT},
        {"protocol", required_argument, NULL, OPT_PROTOCOL},
        {"compression", required_argument, NULL, OPT_COMPRESSION},
        {"content", no_argument, NULL, OPT_CONTENT},
        {"since", required_argument, NULL, OPT_SINCE},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"max-attempts", required_argument, NULL, OPT_ATTEMPTS},
        {"follow", no_argument, NULL, 'f'},
        {"namespace", required_argument, NULL, 'n'},
        {"database", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *penv = getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
    if (!penv || !*penv)
        penv = getenv("OTEL_EXPORTER_OTLP_PROTOCOL");
    const char *cenv = getenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION");
    if (!cenv || !*cenv)
        cenv = getenv("OTEL_EXPORTER_OTLP_COMPRESSION");
    ship_opts o = {.database = default_db, .protocol = penv && *penv ? penv : "http/protobuf",
                   .gzip = !(cenv && strcmp(cenv, "none") == 0), .batch = 100, .max_attempts = -1, .since = -1};
    opterr = 0;
    optind = 1;
    int ch;
    char *end;
    while ((ch = getopt_long(argc, argv, ":fn:d:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': fputs(USAGE_SHIP, stdout); return 0;
        case 'f': o.follow = 1; break;
        case 'n': o.ns = optarg; break;
        case 'd': o.database = optarg; break;
        case OPT_ENDPOINT: o.endpoint = optarg; break;
        case OPT_PROTOCOL: o.protocol = optarg; break;
        case OPT_CONTENT: o.content = 1; break;
        case OPT_COMPRESSION:
            if (strcmp(optarg, "gzip") != 0 && strcmp(optarg, "none") != 0)
                return usage("--compression must be gzip or none, not '%s'", optarg);
            o.gzip = strcmp(optarg, "gzip") == 0;
            break;
        case OPT_SINCE:
            if (pl_when_parse(optarg, (double)time(NULL), &o.since) != 0)
                return usage("--since: cannot read '%s' as a time", optarg);
            break;
        case OPT_BATCH:
            o.batch = (int)strtol(optarg, &end, 10);
            if (!*optarg || *end || o.batch < 1 || o.batch > 10000)
                return usage("--batch needs a number from 1 to 10000, not '%s'", optarg);
            break;
        case OPT_ATTEMPTS:
            o.max_attempts = strtol(optarg, &end, 10);
            if (!*optarg || *end || o.max_attempts < 0)
                return usage("--max-attempts needs a number >= 0, not '%s'", optarg);
            break;
        case ':': return usage("option %s needs a value", argv[optind - 1]);
        default: return usage("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage("unexpected argument '%s'", argv[optind]);
    if (strcmp(o.protocol, "http/protobuf") != 0 && strcmp(o.protocol, "http/json") != 0)
        return usage("--protocol must be http/protobuf or http/json, not '%s'", o.protocol);
    if (o.max_attempts < 0)
        o.max_attempts = o.follow ? 0 : 10;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return run_ship(&o);
}
