/* read.c — the store's queries: calls (filtered, with or without bodies), models, and per-model
 * totals. One loop runs them all: prepare, bind, step, decode a row, hand it to the callback. */
#include "internal.h"

#include <string.h>

#include "bodies.h"
#include "columns.h"

typedef int (*bind_fn)(sqlite3_stmt *st, const void *bctx);
/* Decodes the current row and calls the user's callback; returns nonzero to stop. */
typedef int (*step_fn)(pl_store *s, sqlite3_stmt *st, void *sctx);

/* The shared skeleton. Returns 0, or -1 with err set. */
static int run_query(pl_store *s, const char *sql, bind_fn bind, const void *bctx, step_fn step, void *sctx,
                     char *err, size_t errlen)
{
    char tmp[512];
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        pl_store_seterr(err, errlen, "%s", pl_store_errtext(s->path, rc, s->db, tmp, sizeof tmp));
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    if (bind)
        bind(st, bctx);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (step(s, st, sctx)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    int result = 0;
    if (rc != SQLITE_DONE) {
        pl_store_seterr(err, errlen, "%s", pl_store_errtext(s->path, rc, s->db, tmp, sizeof tmp));
        result = -1;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return result;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static double col_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_double(st, i);
}

/* ---- calls ----------------------------------------------------------------------------- */

typedef struct row_ctx {
    pl_store *s;
    pl_row_fn fn;
    void *ctx;
    pl_buf body[2];
    /* The previous row's request body: in id order a call's parent is usually just before it,
     * so following request_ref chains costs one decompression per row. */
    long long prev_id;
    pl_buf prev, ref;
} row_ctx;

static int ref_body(void *vctx, long long id, const char **body, size_t *len)
{
    row_ctx *c = vctx;
    const pl_buf *b = &c->prev;
    if (id != c->prev_id) {
        if (pl_body_read(c->s->db, id, 0, &c->ref, NULL, 0) != 0)
            return -1;
        b = &c->ref;
    }
    *body = b->data ? b->data : "";
    *len = b->len;
    return 0;
}

static int row_step(pl_store *s, sqlite3_stmt *st, void *vctx)
{
    (void)s;
    row_ctx *c = vctx;
    pl_row r;
    memset(&r, 0, sizeof r);
    pl_headers h[2] = {{0}, {0}};
    /* A corrupt blob does not stop the iteration: the row comes with body_corrupt set, so a
     * caller can keep every good row and name the bad ones. */
    if (pl_columns_decode(st, &r, h, c->body, ref_body, c) != 0)
        r.body_corrupt = 1;
    int stop = c->fn(&r, c->ctx);
    pl_headers_free(&h[0]);
    pl_headers_free(&h[1]);
    if (r.req_body) {
        pl_buf t = c->prev;
        c->prev = c->body[0];
        c->body[0] = t;
        c->prev_id = r.id;
    }
    return stop;
}

static int row_bind(sqlite3_stmt *st, const void *vq)
{
    const pl_store_query *q = vq;
    if (q->ns)
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":ns"), q->ns, -1, SQLITE_STATIC);
    if (q->kind)
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":kind"), q->kind, -1, SQLITE_STATIC);
    if (q->id > 0)
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"), q->id);
    if (q->last > 0)
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":last"), q->last);
    /* Unnamed "?" parameters are numbered after the named ones; find them by name == NULL. */
    size_t m = 0;
    for (int i = 1; q->models && i <= sqlite3_bind_parameter_count(st) && q->models[m]; i++)
        if (!sqlite3_bind_parameter_name(st, i))
            sqlite3_bind_text(st, i, q->models[m++], -1, SQLITE_STATIC);
    return 0;
}

int pl_store_each_row_q(pl_store *s, const pl_store_query *q, pl_row_fn fn, void *ctx, char *err, size_t errlen)
{
    static const pl_store_query all = {0};
    if (!q)
        q = &all;
    pl_buf sql = {0};
    int ok = pl_buf_append_str(&sql, "SELECT ") == 0;
    ok &= pl_columns_select_list(&sql, s->has_col, q->no_bodies) == 0;
    ok &= pl_buf_append_str(&sql, " FROM calls WHERE 1") == 0;
    if (q->ns)
        ok &= pl_buf_append_str(&sql, " AND namespace = :ns") == 0;
    if (q->kind)
        ok &= pl_buf_append_str(&sql, " AND (kind = :kind OR kind IS NULL OR kind = '')") == 0;
    if (q->id > 0)
        ok &= pl_buf_append_str(&sql, " AND id = :id") == 0;
    if (q->models && q->models[0]) {
        ok &= pl_buf_append_str(&sql, " AND model IN (") == 0;
        for (size_t i = 0; q->models[i]; i++)
            ok &= pl_buf_append_str(&sql, i ? ",?" : "?") == 0;
        ok &= pl_buf_append_str(&sql, ")") == 0;
    }
    if (q->last > 0) {
        /* newest N, then back to oldest first */
        pl_buf wrap = {0};
        ok &= pl_buf_append_str(&wrap, "SELECT * FROM (") == 0;
        ok &= pl_buf_append_str(&wrap, pl_buf_cstr(&sql)) == 0;
        ok &= pl_buf_append_str(&wrap, " ORDER BY id DESC LIMIT :last) ORDER BY id") == 0;
        pl_buf_free(&sql);
        sql = wrap;
    } else {
        ok &= pl_buf_append_str(&sql, " ORDER BY id") == 0;
    }
    if (!ok) {
        pl_buf_free(&sql);
        pl_store_seterr(err, errlen, "out of memory");
        return -1;
    }
    row_ctx c = {.s = s, .fn = fn, .ctx = ctx};
    int rc = run_query(s, pl_buf_cstr(&sql), row_bind, q, row_step, &c, err, errlen);
    pl_buf_free(&sql);
    pl_buf_free(&c.body[0]);
    pl_buf_free(&c.body[1]);
    pl_buf_free(&c.prev);
    pl_buf_free(&c.ref);
    return rc;
}

int pl_store_each_row(pl_store *s, const char *ns, pl_row_fn fn, void *ctx, char *err, size_t errlen)
{
    pl_store_query q = {0};
    q.ns = ns;
    return pl_store_each_row_q(s, &q, fn, ctx, err, errlen);
}

/* ---- models ---------------------------------------------------------------------------- */

typedef struct model_ctx {
    pl_model_fn fn;
    void *ctx;
} model_ctx;

static int model_step(pl_store *s, sqlite3_stmt *st, void *vctx)
{
    (void)s;
    model_ctx *c = vctx;
    pl_model_row m = {
        .id = sqlite3_column_int64(st, 0),
        .ns = col_text(st, 1),
        .name = col_text(st, 2),
        .provider = col_text(st, 3),
        .created = sqlite3_column_double(st, 4),
    };
    return c->fn(&m, c->ctx);
}

static int ns_bind(sqlite3_stmt *st, const void *ns)
{
    if (ns)
        sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
    return 0;
}

int pl_store_each_model(pl_store *s, const char *ns, pl_model_fn fn, void *ctx, char *err, size_t errlen)
{
    const char *sql = ns ? "SELECT id, namespace, name, provider, created FROM models WHERE namespace = ? ORDER BY id"
                         : "SELECT id, namespace, name, provider, created FROM models ORDER BY id";
    model_ctx c = {fn, ctx};
    return run_query(s, sql, ns_bind, ns, model_step, &c, err, errlen);
}

/* ---- totals ---------------------------------------------------------------------------- */

typedef struct count_ctx {
    pl_count_fn fn;
    void *ctx;
} count_ctx;

static int count_step(pl_store *s, sqlite3_stmt *st, void *vctx)
{
    (void)s;
    count_ctx *c = vctx;
    pl_store_count n = {
        .ns = col_text(st, 0),
        .provider = col_text(st, 1),
        .model = col_text(st, 2),
        .calls = sqlite3_column_int64(st, 3),
        .errors = sqlite3_column_int64(st, 4),
        .input_tokens = (long long)sqlite3_column_double(st, 5),
        .output_tokens = (long long)sqlite3_column_double(st, 6),
        .first = col_real(st, 7),
        .last = col_real(st, 8),
    };
    return c->fn(&n, c->ctx);
}

int pl_store_each_count(pl_store *s, pl_count_fn fn, void *ctx, char *err, size_t errlen)
{
    const char *sql =
        "SELECT namespace, provider, model, count(*),"
        " sum(CASE WHEN status >= 400 OR (error IS NOT NULL AND error != '') THEN 1 ELSE 0 END),"
        " total(input_tokens), total(output_tokens), min(started_at), max(started_at)"
        " FROM calls GROUP BY namespace, provider, model ORDER BY namespace, provider, model";
    count_ctx c = {fn, ctx};
    return run_query(s, sql, NULL, NULL, count_step, &c, err, errlen);
}
