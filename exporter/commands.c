/* commands.c — `export models` and `export prompts`: prompt-logger JSON lines, streamed row by
 * row (nothing is held), with cost_usd added and a progress bar on stderr for long exports to a
 * terminal. The views for people (list, show, stats) are in views.c. */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../util/buf.h"
#include "cli.h"
#include "cost.h"
#include "export.h"
#include "outfile.h"

/* Shown only when stderr is a terminal and at least this many rows may be exported. */
#define PROGRESS_MIN_ROWS 2000

typedef struct export_ctx {
    FILE *out;
    const char *type;
    const pl_prices *prices;
    const char *database;
    pl_store *bodies;           /* second read-only handle: bodies of priced rows (see row_cost) */
    int failed;
    long long written, seen, total;
    double next_draw;
    pl_buf bad;                 /* ids of rows whose stored body is corrupt: "3, 7" */
    pl_buf line;                /* the line being written (chat rows from stored messages) */
} export_ctx;

static int model_cb(const pl_model_row *m, void *vctx)
{
    export_ctx *c = vctx;
    cJSON *line = pl_export_model_line(m);
    c->failed = pl_cli_emit(c->out, line);
    cJSON_Delete(line);
    c->written++;
    return c->failed;
}

int pl_cmd_export_models(const pl_cli_opts *o)
{
    pl_store *s = pl_cli_open_db(o->database);
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

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(export_ctx *c, int done)
{
    if (c->total < PROGRESS_MIN_ROWS)
        return;
    double now = mono();
    if (!done && now < c->next_draw)
        return;
    c->next_draw = now + 0.1;
    if (done) {
        fputs("\r\x1b[K", stderr);   /* leave the terminal as it was */
        return;
    }
    long long pct = c->seen * 100 / c->total;
    if (pct > 100)
        pct = 100;
    char bar[31];
    memset(bar, ' ', 30);
    memset(bar, '#', (size_t)(pct * 30 / 100));
    bar[30] = '\0';
    fprintf(stderr, "\rexporting [%s] %3lld%% %lld rows", bar, pct, c->written);
}

typedef struct count_ctx {
    const char *ns;
    long long total;
} count_ctx;

static int count_cb(const pl_store_count *k, void *vctx)
{
    count_ctx *c = vctx;
    if (!c->ns || (k->ns && strcmp(k->ns, c->ns) == 0))
        c->total += k->calls;
    return 0;
}

typedef struct cost_arg {
    double usd;
    const pl_prices *prices;
} cost_arg;

static int cost_cb(const pl_row *row, void *vctx)
{
    cost_arg *a = vctx;
    a->usd = pl_cost_usd(a->prices, row);
    return 1;
}

/* cost_usd needs the cached-token counts in the response body, which the stored-messages path
 * does not read. Only a row with a price line pays for reading its body (by id, on a second
 * handle: the store must not be called from inside an iteration). */
static double row_cost(export_ctx *c, const pl_row *row)
{
    if (row->resp_body || row->cached_tokens >= 0 ||
        !pl_prices_find(c->prices, row->provider, row->model, row->input_tokens))
        return pl_cost_usd(c->prices, row);
    char err[768] = "";
    if (!c->bodies && pl_store_open(c->database, PL_STORE_READONLY, NULL, &c->bodies, err, sizeof err) != 0)
        return -1;
    pl_store_query q = {0};
    q.id = row->id;
    q.no_headers = 1;
    double out = -1;
    cost_arg arg = {-1, c->prices};
    if (pl_store_each_row_q(c->bodies, &q, cost_cb, &arg, err, sizeof err) == 0)
        out = arg.usd;
    return out;
}

/* Written lines are handed to stdio in large batches, which it writes through without copying. */
#define LINES_BATCH ((size_t)1 << 18)
static int flush_lines(export_ctx *c)
{
    int bad = c->line.len && fwrite(c->line.data, 1, c->line.len, c->out) != c->line.len;
    pl_buf_reset(&c->line);
    return bad;
}

static int prompt_cb(const pl_row *row, void *vctx)
{
    export_ctx *c = vctx;
    c->seen++;
    if (row->body_corrupt) {   /* keep going: every good row is written, the bad ones named */
        char id[32];
        snprintf(id, sizeof id, "%s%lld", c->bad.len ? ", " : "", row->id);
        pl_buf_append_str(&c->bad, id);
        return 0;
    }
    if (row->messages_json) {   /* a chat record as text: the line is written, not built */
        int w = pl_export_prompt_write(&c->line, row, row->record, c->type, row_cost(c, row));
        if (w != 0) {
            c->failed = w < 0 || (c->line.len >= LINES_BATCH && flush_lines(c) != 0);
            c->written += w > 0;
            progress(c, 0);
            return c->failed;
        }
    }
    if (flush_lines(c) != 0)   /* the written lines go first */
        return c->failed = 1;
    /* the store hands over the record built from its messages (or rebuilt, --rebuild) */
    cJSON *record = row->record ? NULL : pl_export_record(row);
    cJSON *line = pl_export_prompt_line(row, row->record ? row->record : record, c->type);
    if (line) {
        double usd = row_cost(c, row);
        cJSON_AddItemToObject(line, "cost_usd", usd >= 0 ? cJSON_CreateNumber(usd) : cJSON_CreateNull());
        c->failed = pl_cli_emit(c->out, line);
        c->written++;
    }
    cJSON_Delete(line);
    cJSON_Delete(record);
    progress(c, 0);
    return c->failed;
}

int pl_cmd_export_prompts(const pl_cli_opts *o)
{
    pl_prices *prices;
    pl_store *s;
    if (pl_cli_open_db_prices(o->database, &s, &prices) != 0)
        return 1;
    pl_outfile out;
    if (pl_outfile_open(&out, o->file) != 0) {
        pl_store_close(s);
        pl_prices_free(prices);
        return 1;
    }
    static char obuf[1 << 18];   /* fewer, larger writes: lines come at tens of thousands a second */
    if (out.f != stdout)
        setvbuf(out.f, obuf, _IOFBF, sizeof obuf);
    export_ctx c = {.out = out.f, .type = o->type ? o->type : "chat", .prices = prices, .database = o->database};
    char err[768] = "";
    if (isatty(STDERR_FILENO)) {
        /* An upper bound (the namespace's calls, before other filters) is enough for a bar. */
        count_ctx n = {.ns = o->ns};
        if (pl_store_each_count(s, count_cb, &n, err, sizeof err) == 0)
            c.total = n.total;
    }
    pl_store_query q = {0};
    q.ns = o->ns;
    q.kind = c.type;
    q.models = o->models;
    q.since = o->since;
    q.until = o->until;
    q.records = 1;
    q.rebuild = o->rebuild;
    q.no_headers = 1;           /* prompt lines have none */
    q.record_text = 1;          /* chat lines from the stored messages are written, not built */
    int rc = pl_store_each_row_q(s, &q, prompt_cb, &c, err, sizeof err);
    if (!c.failed && flush_lines(&c) != 0)
        c.failed = 1;
    progress(&c, 1);
    pl_store_close(s);
    pl_store_close(c.bodies);
    pl_prices_free(prices);
    if (rc != 0 && !c.failed)
        fprintf(stderr, "prompt-logger: %s\n", err);
    int frc = pl_outfile_finish(&out, rc == 0 && !c.failed);
    if (c.bad.len)
        fprintf(stderr, "prompt-logger: not exported, stored body is corrupt: id %s\n", pl_buf_cstr(&c.bad));
    int bad = c.bad.len > 0;
    pl_buf_free(&c.bad);
    pl_buf_free(&c.line);
    return frc != 0 || bad || rc != 0 ? 1 : 0;
}
