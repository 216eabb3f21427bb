/* stats.c — `prompt-logger stats`: calls, errors, tokens and cost per namespace, provider and
 * model, over the calls that pass -n/--since/--until (and, in --json, latency and time-to-first-
 * token percentiles). Summed here row by row (not in SQL), as each call's cost depends on its own
 * model name, tier and cached tokens. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "cost.h"
#include "when.h"

/* Known values of one measure, for its percentiles. */
typedef struct samples {
    double *v;
    size_t n, cap;
} samples;

typedef struct group {
    char *ns, *provider, *model;
    long long calls, errors;
    long long in, out;              /* sums of known counts */
    long long in_known, out_known;  /* calls whose count is known */
    double cost;                    /* sum of known costs */
    long long cost_unknown;         /* calls without a known cost */
    double first, last;
    samples dur, ttft;              /* seconds, of the calls that know them */
} group;

typedef struct stats_ctx {
    const pl_prices *prices;
    group *g;
    size_t n, cap;
    int oom;
} stats_ctx;

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int add_sample(samples *s, double v)
{
    if (v < 0)
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        double *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = v;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p% of the values at or below it (the report's
 * page computes the same, so both show one number). null when no call knows it. */
static cJSON *percentile(samples *s, int p)
{
    if (!s->n)
        return cJSON_CreateNull();
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
    return cJSON_CreateNumber(s->v[((size_t)p * s->n + 99) / 100 - 1]);
}

static int stats_cb(const pl_row *r, void *vctx)
{
    stats_ctx *c = vctx;
    group *g = NULL;
    for (size_t i = 0; i < c->n && !g; i++)
        if (same(c->g[i].ns, r->ns) && same(c->g[i].provider, r->provider) && same(c->g[i].model, r->model))
            g = &c->g[i];
    if (!g) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 16;
            group *ng = realloc(c->g, cap * sizeof *ng);
            if (!ng) {
                c->oom = 1;
                return 1;
            }
            c->g = ng;
            c->cap = cap;
        }
        g = &c->g[c->n++];
        memset(g, 0, sizeof *g);
        g->ns = dup_or_null(r->ns);
        g->provider = dup_or_null(r->provider);
        g->model = dup_or_null(r->model);
        g->first = g->last = r->started_at;
    }
    g->calls++;
    if (r->status >= 400 || (r->error && *r->error))
        g->errors++;
    if (r->input_tokens >= 0) {
        g->in += r->input_tokens;
        g->in_known++;
    }
    if (r->output_tokens >= 0) {
        g->out += r->output_tokens;
        g->out_known++;
    }
    double usd = pl_cost_usd(c->prices, r);
    if (usd >= 0)
        g->cost += usd;
    else
        g->cost_unknown++;
    if (r->started_at >= 0 && (g->first < 0 || r->started_at < g->first))
        g->first = r->started_at;
    if (r->started_at > g->last)
        g->last = r->started_at;
    if (add_sample(&g->dur, r->duration) != 0 || add_sample(&g->ttft, r->ttft) != 0) {
        c->oom = 1;
        return 1;
    }
    return 0;
}

static int cmp_group(const void *a, const void *b)
{
    const group *x = a, *y = b;
    const char *kx[3] = {x->ns, x->provider, x->model}, *ky[3] = {y->ns, y->provider, y->model};
    for (int i = 0; i < 3; i++) {
        int d = strcmp(kx[i] ? kx[i] : "", ky[i] ? ky[i] : "");
        if (d)
            return d;
    }
    return 0;
}

static void fmt_count(long long v, long long known, char *out, size_t n)
{
    if (known == 0)
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%lld", v);
}

/* The cost column: "-" when no call has a known cost, a trailing * when some calls lack one. */
static void fmt_group_cost(const group *g, char *out, size_t n)
{
    if (g->cost_unknown == g->calls) {
        snprintf(out, n, "-");
        return;
    }
    char v[24];
    pl_cli_fmt_cost(g->cost, v, sizeof v);
    snprintf(out, n, "%s%s", v, g->cost_unknown ? "*" : "");
}

/* On a terminal a name is cut to its column; in a pipe it is kept whole and only padded. */
static void name_cell(const char *s, size_t w, int fit)
{
    if (fit) {
        pl_cli_cell(stdout, s, w);
        return;
    }
    fputs(s, stdout);
    for (size_t k = pl_cli_width(s); k < w; k++)
        putchar(' ');
}

static cJSON *group_json(group *g, int total)
{
    cJSON *o = cJSON_CreateObject();
    if (!total) {
        cJSON_AddItemToObject(o, "namespace", g->ns ? cJSON_CreateString(g->ns) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "provider", g->provider ? cJSON_CreateString(g->provider) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "model", g->model ? cJSON_CreateString(g->model) : cJSON_CreateNull());
    }
    cJSON_AddNumberToObject(o, "calls", (double)g->calls);
    cJSON_AddNumberToObject(o, "errors", (double)g->errors);
    cJSON_AddItemToObject(o, "input_tokens", g->in_known ? cJSON_CreateNumber((double)g->in) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "output_tokens", g->out_known ? cJSON_CreateNumber((double)g->out) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "cost_usd", g->cost_unknown < g->calls ? cJSON_CreateNumber(g->cost) : cJSON_CreateNull());
    cJSON_AddNumberToObject(o, "calls_without_cost", (double)g->cost_unknown);
    char when[PL_WHEN_LEN];
    pl_when_format(g->first, when);
    cJSON_AddItemToObject(o, "first", g->calls ? cJSON_CreateString(when) : cJSON_CreateNull());
    pl_when_format(g->last, when);
    cJSON_AddItemToObject(o, "last", g->calls ? cJSON_CreateString(when) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "latency_p50", percentile(&g->dur, 50));
    cJSON_AddItemToObject(o, "latency_p95", percentile(&g->dur, 95));
    cJSON_AddItemToObject(o, "ttft_p50", percentile(&g->ttft, 50));
    cJSON_AddItemToObject(o, "ttft_p95", percentile(&g->ttft, 95));
    return o;
}

int pl_cmd_stats(const pl_cli_opts *o)
{
    pl_prices *prices;
    pl_store *s;
    if (pl_cli_open_db_prices(o->database, &s, &prices) != 0)
        return 1;
    pl_store_query q = {0};
    q.ns = o->ns;
    q.since = o->since;
    q.until = o->until;
    stats_ctx c = {.prices = prices};
    char err[768] = "";
    /* bodies are read for the cached-token counts behind the cost */
    int rc = pl_store_each_row_q(s, &q, stats_cb, &c, err, sizeof err);
    pl_store_close(s);
    pl_prices_free(prices);
    if (c.oom) {
        fprintf(stderr, "prompt-logger: out of memory\n");
        rc = -1;
    } else if (rc != 0) {
        fprintf(stderr, "prompt-logger: %s\n", err);
    }
    int result = 1;
    if (rc == 0) {
        if (c.n)   /* no call: c.g is NULL, which qsort may not be given */
            qsort(c.g, c.n, sizeof *c.g, cmp_group);
        group t = {.first = -1, .last = -1};
        for (size_t i = 0; i < c.n; i++) {
            const group *g = &c.g[i];
            t.calls += g->calls;
            t.errors += g->errors;
            t.in += g->in;
            t.in_known += g->in_known;
            t.out += g->out;
            t.out_known += g->out_known;
            t.cost += g->cost;
            t.cost_unknown += g->cost_unknown;
            if (t.first < 0 || g->first < t.first)
                t.first = g->first;
            if (g->last > t.last)
                t.last = g->last;
            for (size_t k = 0; o->json && k < g->dur.n; k++)
                c.oom |= add_sample(&t.dur, g->dur.v[k]) != 0;
            for (size_t k = 0; o->json && k < g->ttft.n; k++)
                c.oom |= add_sample(&t.ttft, g->ttft.v[k]) != 0;
        }
        if (c.oom) {
            fprintf(stderr, "prompt-logger: out of memory\n");
        } else if (o->json) {
            cJSON *doc = cJSON_CreateObject();
            cJSON *arr = cJSON_AddArrayToObject(doc, "groups");
            for (size_t i = 0; i < c.n; i++)
                cJSON_AddItemToArray(arr, group_json(&c.g[i], 0));
            cJSON_AddItemToObject(doc, "total", group_json(&t, 1));
            pl_cli_emit(stdout, doc);
            cJSON_Delete(doc);
        } else {
            int w = pl_cli_term_width();
            size_t wn = 12, wp = 17, wm = 28;
            int times = 1;
            /* numbers and separators take 53 columns, FIRST and LAST 56 more */
            if (w > 0 && (size_t)w < 109 + wn + wp + wm) {
                size_t avail = (size_t)w >= 109 + 30 ? (size_t)w - 109 : (size_t)w > 53 ? (size_t)w - 53 : 0;
                times = (size_t)w >= 109 + 30;
                wn = avail * 25 / 100 > 5 ? avail * 25 / 100 : 5;
                wp = avail * 30 / 100 > 6 ? avail * 30 / 100 : 6;
                wm = avail > wn + wp + 8 ? avail - wn - wp : 8;
            }
            printf("%-*s %-*s %-*s %7s %6s %11s %11s %11s", (int)wn, "NAMESPACE", (int)wp, "PROVIDER", (int)wm,
                   "MODEL", "CALLS", "ERRORS", "IN_TOKENS", "OUT_TOKENS", "COST_USD");
            if (times)
                printf("  %-26s  %s", "FIRST", "LAST");
            putchar('\n');
            group *rows[2] = {c.g, &t};
            for (size_t i = 0; i <= c.n; i++) {
                const group *g = i < c.n ? &rows[0][i] : rows[1];
                char in[24], out[24], cost[32], first[PL_WHEN_LEN], last[PL_WHEN_LEN];
                fmt_count(g->in, g->in_known, in, sizeof in);
                fmt_count(g->out, g->out_known, out, sizeof out);
                fmt_group_cost(g, cost, sizeof cost);
                pl_when_format(g->calls ? g->first : -1, first);
                pl_when_format(g->calls ? g->last : -1, last);
                name_cell(i < c.n ? (g->ns ? g->ns : "-") : "total", wn, w > 0);
                fputc(' ', stdout);
                name_cell(i < c.n ? (g->provider ? g->provider : "-") : "", wp, w > 0);
                fputc(' ', stdout);
                name_cell(i < c.n ? (g->model ? g->model : "-") : "", wm, w > 0);
                printf(" %7lld %6lld %11s %11s %11s", g->calls, g->errors, in, out, cost);
                if (times)
                    printf("  %-26s  %s", first, last);
                putchar('\n');
            }
            if (t.cost_unknown && t.cost_unknown < t.calls)
                printf("* %lld call(s) without a known price are not in the cost (see prompt-logger prices)\n",
                       t.cost_unknown);
        }
        result = c.oom ? 1 : pl_cli_close_out(stdout, NULL);
        free(t.dur.v);
        free(t.ttft.v);
    }
    for (size_t i = 0; i < c.n; i++) {
        free(c.g[i].ns);
        free(c.g[i].provider);
        free(c.g[i].model);
        free(c.g[i].dur.v);
        free(c.g[i].ttft.v);
    }
    free(c.g);
    return result;
}
