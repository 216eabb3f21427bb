/* commands.c — runs the prompt-logger subcommands: export models/prompts as JSON lines, and the
 * list/show/stats views for a human at a terminal. Reads stream row by row; nothing is held. */
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../store/store.h"
#include "../util/buf.h"
#include "export.h"
#include "outfile.h"

static pl_store *open_db(const char *url)
{
    pl_store *s = NULL;
    char err[768] = "";
    if (pl_store_open(url, PL_STORE_READONLY, NULL, &s, err, sizeof err) != 0) {
        fprintf(stderr, "prompt-logger: %s\n", err);
        return NULL;
    }
    return s;
}

/* Returns 0, or 1 after reporting a write error (full disk, closed pipe...). */
static int close_out(FILE *f, const char *file)
{
    int bad = fflush(f) != 0 || ferror(f);
    int saved = errno;
    if (bad) {
        fprintf(stderr, "prompt-logger: error writing %s: %s\n", f == stdout || !file ? "stdout" : file, strerror(saved));
        return 1;
    }
    return 0;
}

/* One JSON object on one line. Returns nonzero when the output failed (stops iteration). */
static int emit(FILE *out, cJSON *line)
{
    if (!line)
        return 0;
    /* One reused buffer: printing into it saves cJSON's grow-and-copy per line; a line that
     * does not fit is printed the ordinary way. */
    static char buf[1 << 18];
    size_t n;
    if (cJSON_PrintPreallocated(line, buf, (int)sizeof buf - 1, 0)) {
        n = strlen(buf);
        buf[n++] = '\n';
        return fwrite(buf, 1, n, out) != n;
    }
    char *text = cJSON_PrintUnformatted(line);
    int bad = !text || fputs(text, out) == EOF || fputc('\n', out) == EOF;
    cJSON_free(text);
    return bad;
}

typedef struct export_ctx {
    FILE *out;
    const char *type;
    int failed;
    long long written;
    pl_buf bad;                 /* ids of rows whose stored body is corrupt: "3, 7" */
} export_ctx;

static int model_cb(const pl_model_row *m, void *vctx)
{
    export_ctx *c = vctx;
    cJSON *line = pl_export_model_line(m);
    c->failed = emit(c->out, line);
    cJSON_Delete(line);
    c->written++;
    return c->failed;
}

int pl_cmd_export_models(const pl_cli_opts *o)
{
    pl_store *s = open_db(o->database);
    if (!s)
        return 1;
    pl_outfile out;
    if (pl_outfile_open(&out, o->file) != 0) {
        pl_store_close(s);
        return 1;
    }
    export_ctx c = {.out = out.f};
    char err[768] = "";
    int rc = pl_store_each_model(s, o->ns, model_cb, &c, err, sizeof err);
    pl_store_close(s);
    if (rc != 0 && !c.failed)
        fprintf(stderr, "prompt-logger: %s\n", err);
    return pl_outfile_finish(&out, rc == 0 && !c.failed);
}

static int prompt_cb(const pl_row *row, void *vctx)
{
    export_ctx *c = vctx;
    if (row->body_corrupt) {   /* keep going: every good row is written, the bad ones named */
        char id[32];
        snprintf(id, sizeof id, "%s%lld", c->bad.len ? ", " : "", row->id);
        pl_buf_append_str(&c->bad, id);
        return 0;
    }
    /* the store hands over the record built from its messages (or rebuilt, --rebuild) */
    cJSON *record = row->record ? NULL : pl_export_record(row);
    cJSON *line = pl_export_prompt_line(row, row->record ? row->record : record, c->type);
    c->failed = emit(c->out, line);
    if (line)
        c->written++;
    cJSON_Delete(line);
    cJSON_Delete(record);
    return c->failed;
}

int pl_cmd_export_prompts(const pl_cli_opts *o)
{
    pl_store *s = open_db(o->database);
    if (!s)
        return 1;
    pl_outfile out;
    if (pl_outfile_open(&out, o->file) != 0) {
        pl_store_close(s);
        return 1;
    }
    export_ctx c = {.out = out.f, .type = o->type ? o->type : "chat"};
    pl_store_query q = {0};
    q.ns = o->ns;
    q.kind = c.type;
    q.models = o->models;
    q.records = 1;
    q.rebuild = o->rebuild;
    q.no_headers = 1;           /* prompt lines have none */
    char err[768] = "";
    int rc = pl_store_each_row_q(s, &q, prompt_cb, &c, err, sizeof err);
    pl_store_close(s);
    if (rc != 0 && !c.failed)
        fprintf(stderr, "prompt-logger: %s\n", err);
    int frc = pl_outfile_finish(&out, rc == 0 && !c.failed);
    if (c.bad.len)
        fprintf(stderr, "prompt-logger: not exported, stored body is corrupt: id %s\n", pl_buf_cstr(&c.bad));
    int bad = c.bad.len > 0;
    pl_buf_free(&c.bad);
    return frc != 0 || bad ? 1 : 0;
}

/* ---- human views ----------------------------------------------------------------------- */

static void fmt_time(double t, char *out, size_t n)
{
    if (t < 0) {
        snprintf(out, n, "-");
        return;
    }
    time_t secs = (time_t)t;
    struct tm tm;
    localtime_r(&secs, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Copies at most max characters (UTF-8 aware) of s, with an ellipsis when cut. */
static void clip(const char *s, size_t max, char *out, size_t n)
{
    size_t o = 0, chars = 0;
    if (!s)
        s = "";
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 8 < n;) {
        if (chars == max) {
            memcpy(out + o, "\xe2\x80\xa6", 3);   /* … */
            o += 3;
            break;
        }
        size_t len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 1;
        for (size_t i = 0; i < len && p[i]; i++) {
            unsigned char ch = p[i];
            out[o++] = (char)(ch == '\n' || ch == '\t' || ch == '\r' ? ' ' : ch);
        }
        p += len;
        chars++;
    }
    out[o] = '\0';
}

static int list_cb(const pl_row *r, void *vctx)
{
    FILE *out = vctx;
    char when[32], prompt[256], completion[256], status[16], tokens[48];
    fmt_time(r->started_at, when, sizeof when);
    clip(r->prompt_preview, 40, prompt, sizeof prompt);
    clip(r->completion_preview, 40, completion, sizeof completion);
    if (r->status > 0)
        snprintf(status, sizeof status, "%d", r->status);
    else
        snprintf(status, sizeof status, "%s", r->error ? "ERR" : "-");
    char in[20] = "-", outt[20] = "-";
    if (r->input_tokens >= 0)
        snprintf(in, sizeof in, "%lld", r->input_tokens);
    if (r->output_tokens >= 0)
        snprintf(outt, sizeof outt, "%lld", r->output_tokens);
    snprintf(tokens, sizeof tokens, "%s/%s", in, outt);
    fprintf(out, "%-6lld %s  %-10s %-17s %-26s %-4s %-11s %s%s%s%s\n", r->id, when, r->ns ? r->ns : "-",
            r->provider ? r->provider : "-", r->model ? r->model : "-", status, tokens, prompt,
            completion[0] ? " -> " : "", completion, r->incomplete > 0 ? " [incomplete]" : "");
    return ferror(out) ? 1 : 0;
}

int pl_cmd_list(const pl_cli_opts *o)
{
    pl_store *s = open_db(o->database);
    if (!s)
        return 1;
    pl_store_query q = {0};
    q.ns = o->ns;
    q.last = o->limit;
    q.no_bodies = 1;
    printf("%-6s %-19s  %-10s %-17s %-26s %-4s %-11s %s\n", "ID", "STARTED", "NAMESPACE", "PROVIDER", "MODEL",
           "HTTP", "IN/OUT", "PROMPT -> COMPLETION");
    char err[768] = "";
    int rc = pl_store_each_row_q(s, &q, list_cb, stdout, err, sizeof err);
    pl_store_close(s);
    if (rc != 0)
        fprintf(stderr, "prompt-logger: %s\n", err);
    return rc != 0 || close_out(stdout, NULL) != 0 ? 1 : 0;
}

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

static int show_cb(const pl_row *r, void *vctx)
{
    FILE *out = stdout;
    int *found = vctx;
    *found = 1;
    char when[32];
    fmt_time(r->started_at, when, sizeof when);
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
    fprintf(out, "%-19s %.6f (%s)\n", "started_at", r->started_at, when);
    struct { const char *k; double v; } reals[] = {{"duration", r->duration}, {"ttfb", r->ttfb}, {"ttft", r->ttft}};
    for (size_t i = 0; i < 3; i++) {
        if (reals[i].v >= 0)
            fprintf(out, "%-19s %.3f s\n", reals[i].k, reals[i].v);
        else
            fprintf(out, "%-19s -\n", reals[i].k);
    }
    struct { const char *k; long long v; } ints[] = {
        {"status", r->status}, {"stream", r->stream}, {"incomplete", r->incomplete}, {"truncated", r->truncated},
        {"input_tokens", r->input_tokens}, {"output_tokens", r->output_tokens}, {"pid", r->pid},
        {"http_version", r->http_version}, {"decode_error", r->decode_error},
    };
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        if (ints[i].v >= 0)
            fprintf(out, "%-19s %lld\n", ints[i].k, ints[i].v);
        else
            fprintf(out, "%-19s -\n", ints[i].k);
    }
    if (r->body_corrupt)
        fprintf(out, "%-19s a stored body blob is corrupt and cannot be shown\n", "body_corrupt");
    show_headers(out, "request headers", r->req_headers);
    show_body(out, "request body", r->req_body, r->req_len);
    show_headers(out, "response headers", r->resp_headers);
    show_body(out, "response body", r->resp_body, r->resp_len);
    cJSON *record = pl_export_record(r);
    char *text = record ? cJSON_Print(record) : NULL;
    if (text)
        fprintf(out, "normalized record:\n%s\n", text);
    cJSON_free(text);
    cJSON_Delete(record);
    return 1;
}

int pl_cmd_show(const pl_cli_opts *o)
{
    pl_store *s = open_db(o->database);
    if (!s)
        return 1;
    pl_store_query q = {0};
    q.id = o->id;
    int found = 0;
    char err[768] = "";
    int rc = pl_store_each_row_q(s, &q, show_cb, &found, err, sizeof err);
    pl_store_close(s);
    if (rc != 0) {
        fprintf(stderr, "prompt-logger: %s\n", err);
        return 1;
    }
    if (!found) {
        fprintf(stderr, "prompt-logger: no call with id %lld\n", o->id);
        return 1;
    }
    return close_out(stdout, NULL);
}

typedef struct stats_ctx {
    const char *ns;
    long long calls, errors, in, out;
    int rows;
} stats_ctx;

static int stats_cb(const pl_store_count *c, void *vctx)
{
    stats_ctx *t = vctx;
    if (t->ns && (!c->ns || strcmp(t->ns, c->ns) != 0))
        return 0;
    char first[32], last[32];
    fmt_time(c->first, first, sizeof first);
    fmt_time(c->last, last, sizeof last);
    printf("%-12s %-17s %-28s %7lld %6lld %10lld %10lld  %s  %s\n", c->ns ? c->ns : "-",
           c->provider ? c->provider : "-", c->model ? c->model : "-", c->calls, c->errors, c->input_tokens,
           c->output_tokens, first, last);
    t->calls += c->calls;
    t->errors += c->errors;
    t->in += c->input_tokens;
    t->out += c->output_tokens;
    t->rows++;
    return 0;
}

int pl_cmd_stats(const pl_cli_opts *o)
{
    pl_store *s = open_db(o->database);
    if (!s)
        return 1;
    printf("%-12s %-17s %-28s %7s %6s %10s %10s  %-19s  %s\n", "NAMESPACE", "PROVIDER", "MODEL", "CALLS", "ERRORS",
           "IN_TOKENS", "OUT_TOKENS", "FIRST", "LAST");
    stats_ctx t = {.ns = o->ns};
    char err[768] = "";
    int rc = pl_store_each_count(s, stats_cb, &t, err, sizeof err);
    pl_store_close(s);
    if (rc != 0) {
        fprintf(stderr, "prompt-logger: %s\n", err);
        return 1;
    }
    printf("%-12s %-17s %-28s %7lld %6lld %10lld %10lld\n", "total", "", "", t.calls, t.errors, t.in, t.out);
    return close_out(stdout, NULL);
}
