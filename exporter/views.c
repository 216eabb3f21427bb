/* views.c — list, show, stats, path and prices: the views for people, each with a --json twin
 * for scripts (see views.h for the row object). Times are printed by when.c's one convention. */
#include "views.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "cost.h"
#include "export.h"
#include "when.h"

/* ---- one call ------------------------------------------------------------------------ */

/* ID STARTED(26) NS PROVIDER MODEL HTTP IN/OUT COST PREVIEW; the fixed part without ns,
 * provider, model and preview, separators included. */
#define LIST_FIXED (6 + 1 + 26 + 1 + 1 + 4 + 1 + 13 + 1 + 9 + 1 + 3)

void pl_view_list_layout(pl_list_fmt *f)
{
    int w = pl_cli_term_width();
    f->w_ns = 10;
    f->w_provider = 17;   /* "openai-compatible" */
    f->w_model = 24;
    f->w_preview = 0;
    f->fit = w > 0;
    if (w <= 0)
        return;
    size_t fixed = LIST_FIXED;
    size_t avail = (size_t)w > fixed ? (size_t)w - fixed : 0;
    if (avail < f->w_ns + f->w_provider + f->w_model + 30) {
        /* narrow: names share what is left with the preview, none below a readable minimum */
        f->w_ns = avail * 15 / 100 > 5 ? avail * 15 / 100 : 5;
        f->w_provider = avail * 17 / 100 > 6 ? avail * 17 / 100 : 6;
        f->w_model = avail * 38 / 100 > 8 ? avail * 38 / 100 : 8;
    }
    size_t used = f->w_ns + f->w_provider + f->w_model;
    f->w_preview = avail > used + 1 ? avail - used : 1;
}

void pl_view_list_header(FILE *out, const pl_list_fmt *f)
{
    fprintf(out, "%-6s %-26s  ", "ID", "STARTED");
    pl_cli_cell(out, "NAMESPACE", f->w_ns);
    fputc(' ', out);
    pl_cli_cell(out, "PROVIDER", f->w_provider);
    fputc(' ', out);
    pl_cli_cell(out, "MODEL", f->w_model);
    char label[64];
    pl_cli_clip("PROMPT -> COMPLETION", f->w_preview ? f->w_preview : 40, label, sizeof label);
    fprintf(out, " %-4s %-13s %-9s %s\n", "HTTP", "IN/OUT", "COST_USD", label);
}

/* On a terminal a name is cut to its column; in a pipe it is kept whole (a script may cut it). */
static void name_cell(FILE *out, const pl_list_fmt *f, const char *s, size_t w)
{
    if (!s)
        s = "-";
    if (f->fit) {
        pl_cli_cell(out, s, w);
        return;
    }
    fputs(s, out);
    for (size_t k = pl_cli_width(s); k < w; k++)
        fputc(' ', out);
}

void pl_view_list_line(FILE *out, const pl_list_fmt *f, const pl_row *r, double cost_usd)
{
    char when[PL_WHEN_LEN], status[16], tokens[48], cost[24];
    pl_when_format(r->started_at, when);
    if (r->status > 0)
        snprintf(status, sizeof status, "%d", r->status);
    else
        snprintf(status, sizeof status, "%s", r->error ? "ERR" : "-");
    char in[24] = "-", outt[24] = "-";
    if (r->input_tokens >= 0)
        snprintf(in, sizeof in, "%lld", r->input_tokens);
    if (r->output_tokens >= 0)
        snprintf(outt, sizeof outt, "%lld", r->output_tokens);
    snprintf(tokens, sizeof tokens, "%s/%s", in, outt);
    pl_cli_fmt_cost(cost_usd, cost, sizeof cost);
    fprintf(out, "%-6lld %-26s  ", r->id, when);
    name_cell(out, f, r->ns, f->w_ns);
    fputc(' ', out);
    name_cell(out, f, r->provider, f->w_provider);
    fputc(' ', out);
    name_cell(out, f, r->model, f->w_model);
    fprintf(out, " %-4s %-13s %-9s ", status, tokens, cost);

    char preview[2048];
    const char *flag = r->incomplete > 0 ? " [incomplete]" : "";
    if (f->w_preview == 0) {
        char p[256], c[256];
        pl_cli_clip(r->prompt_preview, 40, p, sizeof p);
        pl_cli_clip(r->completion_preview, 40, c, sizeof c);
        snprintf(preview, sizeof preview, "%s%s%s%s", p, c[0] ? " -> " : "", c, flag);
        fputs(preview, out);
    } else {
        char full[1024];
        snprintf(full, sizeof full, "%s%s%s%s", r->prompt_preview ? r->prompt_preview : "",
                 r->completion_preview && *r->completion_preview ? " -> " : "",
                 r->completion_preview ? r->completion_preview : "", flag);
        pl_cli_clip(full, f->w_preview, preview, sizeof preview);
        fputs(preview, out);
    }
    fputc('\n', out);
}

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
    cJSON_AddItemToObject(o, k, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

static void add_num_or_null(cJSON *o, const char *k, double v, int known)
{
    cJSON_AddItemToObject(o, k, known ? cJSON_CreateNumber(v) : cJSON_CreateNull());
}

cJSON *pl_view_row_json(const pl_row *r, double cost_usd)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char when[PL_WHEN_LEN];
    pl_when_format(r->started_at, when);
    pl_tokens t;
    pl_cost_tokens(r, &t);
    cJSON_AddNumberToObject(o, "id", (double)r->id);
    add_str_or_null(o, "namespace", r->ns);
    add_num_or_null(o, "started_at", r->started_at, r->started_at >= 0);
    add_str_or_null(o, "started", r->started_at >= 0 ? when : NULL);
    add_str_or_null(o, "provider", r->provider);
    add_str_or_null(o, "host", r->host);
    add_str_or_null(o, "model", r->model);
    add_str_or_null(o, "api", r->api);
    add_str_or_null(o, "kind", r->kind);
    add_num_or_null(o, "status", r->status, r->status > 0);
    cJSON_AddBoolToObject(o, "stream", r->stream > 0);
    cJSON_AddBoolToObject(o, "incomplete", r->incomplete > 0);
    cJSON_AddBoolToObject(o, "truncated", r->truncated > 0);
    cJSON_AddBoolToObject(o, "decode_error", r->decode_error > 0);
    add_num_or_null(o, "duration", r->duration, r->duration >= 0);
    add_num_or_null(o, "ttfb", r->ttfb, r->ttfb >= 0);
    add_num_or_null(o, "ttft", r->ttft, r->ttft >= 0);
    add_num_or_null(o, "input_tokens", (double)r->input_tokens, r->input_tokens >= 0);
    add_num_or_null(o, "output_tokens", (double)r->output_tokens, r->output_tokens >= 0);
    /* known only when the body was read; a query without bodies leaves it null */
    add_num_or_null(o, "cached_input_tokens", (double)t.cached_read, r->resp_body != NULL);
    add_str_or_null(o, "finish_reason", r->finish_reason);
    add_str_or_null(o, "error", r->error);
    add_str_or_null(o, "prompt_preview", r->prompt_preview);
    add_str_or_null(o, "completion_preview", r->completion_preview);
    add_num_or_null(o, "pid", r->pid, r->pid > 0);
    add_str_or_null(o, "program", r->program);
    add_str_or_null(o, "source", r->source);
    add_num_or_null(o, "cost_usd", cost_usd, cost_usd >= 0);
    return o;
}

/* ---- list ---------------------------------------------------------------------------- */

typedef struct list_ctx {
    FILE *out;
    pl_list_fmt fmt;
    const pl_prices *prices;
    int json, failed;
} list_ctx;

static int list_cb(const pl_row *r, void *vctx)
{
    list_ctx *c = vctx;
    double usd = pl_cost_usd(c->prices, r);
    if (c->json) {
        cJSON *o = pl_view_row_json(r, usd);
        c->failed = !o || pl_cli_emit(c->out, o);
        cJSON_Delete(o);
    } else {
        pl_view_list_line(c->out, &c->fmt, r, usd);
        c->failed = ferror(c->out) != 0;
    }
    return c->failed;
}

int pl_cmd_list(const pl_cli_opts *o)
{
    pl_prices *prices;
    pl_store *s;
    if (pl_cli_open_db_prices(o->database, &s, &prices) != 0)
        return 1;
    pl_store_query q = {0};
    q.ns = o->ns;
    q.last = o->limit;
    q.since = o->since;
    q.until = o->until;
    list_ctx c = {.out = stdout, .prices = prices, .json = o->json};
    pl_view_list_layout(&c.fmt);
    if (!o->json)
        pl_view_list_header(stdout, &c.fmt);
    char err[768] = "";
    int rc = pl_store_each_row_q(s, &q, list_cb, &c, err, sizeof err);
    pl_store_close(s);
    pl_prices_free(prices);
    if (rc != 0)
        fprintf(stderr, "prompt-logger: %s\n", err);
    return rc != 0 || pl_cli_close_out(stdout, NULL) != 0 ? 1 : 0;
}

/* ---- show ---------------------------------------------------------------------------- */

static void show_headers(FILE *out, const char *title, const pl_headers *h)
{
    fprintf(out, "%s:\n", title);
    for (size_t i = 0; h && i < h->count; i++)
        fprintf(out, "  %s: %s\n", h->items[i].name, h->items[i].value);
}

static void show_body(FILE *out, const char *title, const char *body, size_t len)
{
    if (!body) {
        fprintf(out, "%s: (none)\n", title);
        return;
    }
    fprintf(out, "%s (%zu bytes):\n", title, len);
    fwrite(body, 1, len, out);
    if (len && body[len - 1] != '\n')
        fputc('\n', out);
}

static cJSON *headers_json(const pl_headers *h)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; h && i < h->count; i++) {
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateString(h->items[i].name));
        cJSON_AddItemToArray(pair, cJSON_CreateString(h->items[i].value));
        cJSON_AddItemToArray(a, pair);
    }
    return a;
}

/* A body as a JSON string: bodies are text (JSON, SSE, NDJSON); bytes that are not valid UTF-8
 * would make invalid JSON, so cJSON's escaping is trusted for control characters only. */
static cJSON *body_json(const char *body, size_t len)
{
    if (!body)
        return cJSON_CreateNull();
    char *copy = malloc(len + 1);
    if (!copy)
        return cJSON_CreateNull();
    memcpy(copy, body, len);
    copy[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (copy[i] == '\0')
            copy[i] = ' ';
    cJSON *s = cJSON_CreateString(copy);
    free(copy);
    return s;
}

typedef struct show_ctx {
    const pl_prices *prices;
    int json, found;
} show_ctx;

static int show_cb(const pl_row *r, void *vctx)
{
    show_ctx *c = vctx;
    FILE *out = stdout;
    c->found = 1;
    double usd = pl_cost_usd(c->prices, r);
    cJSON *record = pl_export_record(r);
    if (c->json) {
        cJSON *o = pl_view_row_json(r, usd);
        if (o) {
            cJSON_AddItemToObject(o, "url", r->url ? cJSON_CreateString(r->url) : cJSON_CreateNull());
            cJSON_AddItemToObject(o, "request_headers", headers_json(r->req_headers));
            cJSON_AddItemToObject(o, "response_headers", headers_json(r->resp_headers));
            cJSON_AddItemToObject(o, "request_body", body_json(r->req_body, r->req_len));
            cJSON_AddItemToObject(o, "response_body", body_json(r->resp_body, r->resp_len));
            cJSON_AddItemToObject(o, "record", record ? cJSON_Duplicate(record, 1) : cJSON_CreateNull());
            pl_cli_emit(out, o);
        }
        cJSON_Delete(o);
        cJSON_Delete(record);
        return 1;
    }
    char when[PL_WHEN_LEN], cost[24];
    pl_when_format(r->started_at, when);
    pl_cli_fmt_cost(usd, cost, sizeof cost);
    struct { const char *k, *v; } strs[] = {
        {"namespace", r->ns}, {"provider", r->provider}, {"host", r->host}, {"model", r->model},
        {"api", r->api}, {"kind", r->kind}, {"method", r->method}, {"url", r->url}, {"path", r->path},
        {"finish_reason", r->finish_reason}, {"error", r->error}, {"program", r->program},
        {"source", r->source}, {"content_type", r->content_type}, {"prompt_preview", r->prompt_preview},
        {"completion_preview", r->completion_preview},
    };
    fprintf(out, "%-19s %lld\n", "id", r->id);
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        fprintf(out, "%-19s %s\n", strs[i].k, strs[i].v ? strs[i].v : "-");
    fprintf(out, "%-19s %s (%.6f)\n", "started", when, r->started_at);
    struct { const char *k; double v; } reals[] = {{"duration", r->duration}, {"ttfb", r->ttfb}, {"ttft", r->ttft}};
    for (size_t i = 0; i < 3; i++) {
        if (reals[i].v >= 0)
            fprintf(out, "%-19s %.3f s\n", reals[i].k, reals[i].v);
        else
            fprintf(out, "%-19s -\n", reals[i].k);
    }
    pl_tokens t;
    pl_cost_tokens(r, &t);
    struct { const char *k; long long v; } ints[] = {
        {"status", r->status}, {"stream", r->stream}, {"incomplete", r->incomplete}, {"truncated", r->truncated},
        {"decode_error", r->decode_error}, {"input_tokens", r->input_tokens}, {"output_tokens", r->output_tokens},
        {"cached_input_tokens", t.cached_read}, {"pid", r->pid}, {"http_version", r->http_version},
    };
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        if (ints[i].v >= 0)
            fprintf(out, "%-19s %lld\n", ints[i].k, ints[i].v);
        else
            fprintf(out, "%-19s -\n", ints[i].k);
    }
    fprintf(out, "%-19s %s\n", "cost_usd", cost);
    if (r->body_corrupt)
        fprintf(out, "%-19s a stored body blob is corrupt and cannot be shown\n", "body_corrupt");
    show_headers(out, "request headers", r->req_headers);
    show_body(out, "request body", r->req_body, r->req_len);
    show_headers(out, "response headers", r->resp_headers);
    show_body(out, "response body", r->resp_body, r->resp_len);
    char *text = record ? cJSON_Print(record) : NULL;
    if (text)
        fprintf(out, "normalized record:\n%s\n", text);
    cJSON_free(text);
    cJSON_Delete(record);
    return 1;
}

int pl_cmd_show(const pl_cli_opts *o)
{
    pl_prices *prices;
    pl_store *s;
    if (pl_cli_open_db_prices(o->database, &s, &prices) != 0)
        return 1;
    pl_store_query q = {0};
    q.id = o->id;
    show_ctx c = {.prices = prices, .json = o->json};
    char err[768] = "";
    int rc = pl_store_each_row_q(s, &q, show_cb, &c, err, sizeof err);
    pl_store_close(s);
    pl_prices_free(prices);
    if (rc != 0) {
        fprintf(stderr, "prompt-logger: %s\n", err);
        return 1;
    }
    if (!c.found) {
        fprintf(stderr, "prompt-logger: no call with id %lld\n", o->id);
        return 1;
    }
    return pl_cli_close_out(stdout, NULL);
}

/* ---- path and prices --------------------------------------------------------------------- */

int pl_cmd_path(const pl_cli_opts *o)
{
    char *path = pl_store_path_from_url(o->database);
    if (!path) {
        fprintf(stderr, "prompt-logger: out of memory\n");
        return 1;
    }
    char abs[PATH_MAX + 2];
    if (path[0] != '/' && strcmp(path, ":memory:") != 0) {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd))
            snprintf(abs, sizeof abs, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
        else
            snprintf(abs, sizeof abs, "%s", path);
    } else {
        snprintf(abs, sizeof abs, "%s", path);
    }
    struct stat st;
    printf("%s\n", abs);
    if (stat(path, &st) != 0) {
        printf("does not exist (it is created by the first captured call)\n");
    } else {
        pl_store *s = NULL;
        char err[768] = "";
        if (pl_store_open(o->database, PL_STORE_READONLY, NULL, &s, err, sizeof err) == 0) {
            printf("exists, promptlog database, %lld bytes\n", (long long)st.st_size);
            pl_store_close(s);
        } else {
            printf("exists, but cannot be read: %s\n", err);
        }
    }
    free(path);
    return pl_cli_close_out(stdout, NULL);
}

int pl_cmd_prices(const pl_cli_opts *o)
{
    pl_prices *p = pl_cli_prices();
    if (!p)
        return 1;
    if (o->json) {
        for (size_t i = 0; i < pl_prices_count(p); i++) {
            const pl_price *e = pl_prices_at(p, i);
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "provider", e->provider);
            cJSON_AddStringToObject(j, "model", e->model);
            add_num_or_null(j, "input", e->input, e->input >= 0);
            add_num_or_null(j, "output", e->output, e->output >= 0);
            add_num_or_null(j, "cached_input", e->cached_input, e->cached_input >= 0);
            add_num_or_null(j, "cache_write", e->cache_write, e->cache_write >= 0);
            add_num_or_null(j, "max_input_tokens", (double)e->max_input, e->max_input >= 0);
            pl_cli_emit(stdout, j);
            cJSON_Delete(j);
        }
    } else {
        printf("# %s — USD per 1M tokens\n", pl_prices_source(p));
        printf("%-10s %-24s %8s %8s %12s %11s %s\n", "PROVIDER", "MODEL", "INPUT", "OUTPUT", "CACHED_INPUT",
               "CACHE_WRITE", "MAX_INPUT");
        for (size_t i = 0; i < pl_prices_count(p); i++) {
            const pl_price *e = pl_prices_at(p, i);
            char v[5][32];
            double d[4] = {e->input, e->output, e->cached_input, e->cache_write};
            for (int k = 0; k < 4; k++)
                snprintf(v[k], sizeof v[k], d[k] < 0 ? "-" : "%g", d[k]);
            snprintf(v[4], sizeof v[4], e->max_input < 0 ? "-" : "%lld", e->max_input);
            printf("%-10s %-24s %8s %8s %12s %11s %s\n", e->provider, e->model, v[0], v[1], v[2], v[3], v[4]);
        }
    }
    pl_prices_free(p);
    return pl_cli_close_out(stdout, NULL);
}
