/* read.c — the store's queries: calls (filtered, with or without bodies), models, and per-model
 * totals. One loop runs them all: prepare, bind, step, decode a row, hand it to the callback. */
#include "internal.h"

#include <string.h>

#include "bodies.h"
#include "columns.h"
#include "messages.h"
#include "msgtext.h"
#include "rebuild.h"

#include <stdlib.h>

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
    const pl_store_query *q;
    sqlite3_stmt *msgs, *own, *tools;   /* records from stored messages */
    /* The last record's messages (input then output, without finish_reason): in id order a
     * call's parent is usually the row before, so its inherited messages need no SQL. */
    cJSON *prev_all;
    long long prev_call;
    pl_msgtext *text;                   /* query.record_text: records as JSON text */
    char *rest_text;                    /* ... and the last record rest parsed, kept while */
    cJSON *rest;                        /* the next rows store the same text (most do) */
    pl_row_fn fn;
    void *ctx;
    pl_buf body[2];
    /* The previous row's request body: in id order a call's parent is usually just before it,
     * so following request_ref chains costs one decompression per row. */
    long long prev_id[2];
    pl_buf prev[2], ref;
} row_ctx;

static int ref_body(void *vctx, long long id, int side, const char **body, size_t *len)
{
    row_ctx *c = vctx;
    const pl_buf *b = &c->prev[side];
    if (id != c->prev_id[side]) {
        if (pl_body_read(c->s->db, id, side, &c->ref, NULL, 0) != 0)
            return -1;
        b = &c->ref;
    }
    *body = b->data ? b->data : "";
    *len = b->len;
    return 0;
}

/* A message object from its columns (messages.h: shape, or raw). */
static cJSON *msg_json(sqlite3_stmt *st, int c0)
{
    const char *raw = (const char *)sqlite3_column_text(st, c0 + 6);
    if (raw)
        return cJSON_Parse(raw);
    const char *shape = (const char *)sqlite3_column_text(st, c0 + 5);
    cJSON *o = cJSON_CreateObject();
    for (const char *p = shape ? shape : "rc"; o && *p; p++) {
        const char *v;
        switch (*p) {
        case 'r': v = (const char *)sqlite3_column_text(st, c0); cJSON_AddStringToObject(o, "role", v ? v : ""); break;
        case 'c': v = (const char *)sqlite3_column_text(st, c0 + 1); cJSON_AddStringToObject(o, "content", v ? v : ""); break;
        case 'C': cJSON_AddNullToObject(o, "content"); break;
        case 't': v = (const char *)sqlite3_column_text(st, c0 + 2);
                  cJSON_AddItemToObject(o, "tool_calls", v ? cJSON_Parse(v) : cJSON_CreateArray()); break;
        case 'i': v = (const char *)sqlite3_column_text(st, c0 + 3); cJSON_AddStringToObject(o, "tool_call_id", v ? v : ""); break;
        case 'n': v = (const char *)sqlite3_column_text(st, c0 + 4); cJSON_AddStringToObject(o, "name", v ? v : ""); break;
        }
    }
    return o;
}

/* The record as pl_llm_normalize gave it at capture: calls.record plus the messages. */
static cJSON *record_from_messages(row_ctx *c, const pl_row *r)
{
    cJSON *rec = cJSON_Parse(r->record_json);
    if (!rec)
        return NULL;
    pl_record_restore(rec, r);
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "kind"));
    int text = kind && strcmp(kind, "text") == 0;
    cJSON *in = NULL, *out = NULL;
    /* own rows only (a root, or the parent's messages at hand), else the chain walk */
    sqlite3_stmt *st = c->msgs;
    if (r->inherited <= 0) {
        st = c->own;
    } else if (!text && r->parent_id == c->prev_call && c->prev_all &&
               cJSON_GetArraySize(c->prev_all) >= r->inherited) {
        st = c->own;
        in = cJSON_CreateArray();
        int k = 0;
        for (const cJSON *it = c->prev_all->child; in && it && k < r->inherited; it = it->next, k++)
            cJSON_AddItemToArray(in, cJSON_Duplicate(it, 1));
    }
    sqlite3_bind_int64(st, 1, r->id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int output = strcmp((const char *)sqlite3_column_text(st, 0), "output") == 0;
        const char *finish = (const char *)sqlite3_column_text(st, 1);
        if (text) {
            const char *role = (const char *)sqlite3_column_text(st, 2);
            const char *content = (const char *)sqlite3_column_text(st, 3);
            const char *key = output ? "response" : role && strcmp(role, "system") == 0 ? "system" : "prompt";
            cJSON_AddStringToObject(rec, key, content ? content : "");
            continue;
        }
        cJSON *m = msg_json(st, 2);
        if (!m)
            continue;
        if (output && finish)
            cJSON_AddStringToObject(m, "finish_reason", finish);
        cJSON **arr = output ? &out : &in;
        if (!*arr)
            *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(*arr, m);
    }
    sqlite3_reset(st);
    if (in)
        cJSON_AddItemToObject(rec, "messages", in);
    if (r->tools_id > 0) {
        sqlite3_bind_int64(c->tools, 1, r->tools_id);
        if (sqlite3_step(c->tools) == SQLITE_ROW) {
            cJSON *t = cJSON_Parse((const char *)sqlite3_column_text(c->tools, 0));
            if (t)
                cJSON_AddItemToObject(rec, "tools", t);
        }
        sqlite3_reset(c->tools);
    }
    if (out)
        cJSON_AddItemToObject(rec, "completions", out);
    return rec;
}

/* Moves rec's messages and completions (finish_reason dropped) into c->prev_all. */
static void keep_for_child(row_ctx *c, cJSON *rec, long long id)
{
    cJSON_Delete(c->prev_all);
    c->prev_all = cJSON_DetachItemFromObjectCaseSensitive(rec, "messages");
    c->prev_call = id;
    cJSON *out = cJSON_DetachItemFromObjectCaseSensitive(rec, "completions");
    if (!c->prev_all)
        c->prev_all = cJSON_CreateArray();
    while (out && out->child) {
        cJSON *m = cJSON_DetachItemViaPointer(out, out->child);
        cJSON_DeleteItemFromObjectCaseSensitive(m, "finish_reason");
        cJSON_AddItemToArray(c->prev_all, m);
    }
    cJSON_Delete(out);
    if (!c->prev_all)
        c->prev_call = -1;
}

/* A chat record as JSON text (query.record_text): the rest parsed, the messages not. */
/* The rest is handed over as stored (store.h: record_text), so it is parsed once for a run of
 * rows that store the same text; the returned object belongs to c. */
static cJSON *record_as_text(row_ctx *c, pl_row *r)
{
    if (!c->rest || strcmp(c->rest_text, r->record_json) != 0) {
        cJSON_Delete(c->rest);
        free(c->rest_text);
        c->rest = cJSON_Parse(r->record_json);
        c->rest_text = c->rest ? strdup(r->record_json) : NULL;
        if (!c->rest_text) {
            cJSON_Delete(c->rest);
            c->rest = NULL;
            return NULL;
        }
    }
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->rest, "kind"));
    if (!cJSON_GetObjectItemCaseSensitive(c->rest, "kind") && r->cached_tokens >= 0)
        kind = r->kind;   /* left to the column (schema 4) */
    if (!kind || strcmp(kind, "chat") != 0 || pl_msgtext_build(c->text, r) != 0) {
        r->messages_json = r->completions_json = r->tools_json = NULL;
        return NULL;
    }
    return c->rest;
}

static cJSON *make_record(row_ctx *c, pl_row *r)
{
    if (!c->q->rebuild && c->msgs && r->record_json && r->normalizer == PL_STORE_NORMALIZER) {
        cJSON *rec = c->text ? record_as_text(c, r) : NULL;
        if (rec)
            return rec;
        pl_msgtext_forget(c->text);
        rec = record_from_messages(c, r);
        if (rec)
            return rec;   /* else (an unreadable record) rebuild it from the bodies */
    }
    pl_msgtext_forget(c->text);
    /* Rebuild from the bodies: read them now if the select left them out. */
    if (!r->req_body && !r->resp_body && c->q->no_bodies == 0 && c->msgs) {
        char err[256];
        for (int side = 0; side < 2; side++) {
            int rc = pl_body_read(c->s->db, r->id, side, &c->body[side], err, sizeof err);
            if (rc < 0) {
                r->body_corrupt = 1;
                return NULL;
            }
            if (rc == 0) {
                *(side ? &r->resp_body : &r->req_body) = c->body[side].data ? c->body[side].data : "";
                *(side ? &r->resp_len : &r->req_len) = c->body[side].len;
            }
        }
    }
    pl_llm_input in;
    pl_endpoint ep;
    pl_store_llm_input(r, &in, &ep);
    return pl_llm_normalize(&in);
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
    cJSON *rec = NULL;
    if (c->q->records && !r.body_corrupt)
        rec = make_record(c, &r);
    r.record = rec;
    int stop = c->fn(&r, c->ctx);
    if (rec && c->own && !r.messages_json)
        keep_for_child(c, rec, r.id);
    else if (r.messages_json)
        c->prev_call = -1;   /* the kept messages are the text path's now */
    if (rec != c->rest)
        cJSON_Delete(rec);
    pl_headers_free(&h[0]);
    pl_headers_free(&h[1]);
    for (int side = 0; side < 2; side++) {
        if (side ? !r.resp_body : !r.req_body)
            continue;
        pl_buf t = c->prev[side];
        c->prev[side] = c->body[side];
        c->body[side] = t;
        c->prev_id[side] = r.id;
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
    if (q->after_id > 0)
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":after"), q->after_id);
    if (q->since > 0)
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":since"), q->since);
    if (q->until > 0)
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":until"), q->until);
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
    /* records from stored messages need no body; a file without them (read-only, older than
     * schema 3) or a rebuild reads every body in the select itself */
    int stored = q->records && !q->rebuild && s->version >= 3;
    int ok = pl_buf_append_str(&sql, "SELECT ") == 0;
    ok &= pl_columns_select_list(&sql, s->has_col, q->no_bodies || stored, q->no_headers, stored && q->record_text) == 0;
    ok &= pl_buf_append_str(&sql, " FROM calls WHERE 1") == 0;
    if (q->ns)
        ok &= pl_buf_append_str(&sql, " AND namespace = :ns") == 0;
    if (q->kind)
        ok &= pl_buf_append_str(&sql, " AND (kind = :kind OR kind IS NULL OR kind = '')") == 0;
    if (q->id > 0)
        ok &= pl_buf_append_str(&sql, " AND id = :id") == 0;
    if (q->after_id > 0)
        ok &= pl_buf_append_str(&sql, " AND id > :after") == 0;
    if (q->since > 0)
        ok &= pl_buf_append_str(&sql, " AND started_at >= :since") == 0;
    if (q->until > 0)
        ok &= pl_buf_append_str(&sql, " AND started_at < :until") == 0;
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
    row_ctx c = {.s = s, .q = q, .fn = fn, .ctx = ctx};
    pthread_mutex_lock(&s->lock);
    /* An export reads the whole file: mapped pages instead of one pread per page (a hint:
     * SQLite falls back to reads where it cannot map). */
    if (q->records)
        sqlite3_exec(s->db, "PRAGMA mmap_size = 1073741824", NULL, NULL, NULL);
    int bad = stored &&
        (sqlite3_prepare_v2(s->db,
                            /* the transcript view's walk, for one call */
                            "WITH RECURSIVE chain(anc, upto, own) AS (SELECT ?1, 9223372036854775807, 1"
                            " UNION ALL SELECT c.parent_id, c.inherited, 0 FROM chain JOIN calls c ON c.id = chain.anc"
                            " WHERE c.parent_id IS NOT NULL AND c.inherited > 0)"
                            " SELECT CASE WHEN own THEN cm.side ELSE 'input' END, CASE WHEN own THEN cm.finish_reason END,"
                            " m.role, m.content, m.tool_calls, m.tool_call_id, m.name, m.shape, m.raw"
                            " FROM chain JOIN call_messages cm ON cm.call_id = chain.anc AND cm.position < chain.upto"
                            " JOIN messages m ON m.id = cm.message_id ORDER BY cm.position",
                            -1, &c.msgs, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(s->db,
                            "SELECT cm.side, cm.finish_reason, m.role, m.content, m.tool_calls, m.tool_call_id, m.name,"
                            " m.shape, m.raw FROM call_messages cm JOIN messages m ON m.id = cm.message_id"
                            " WHERE cm.call_id = ? ORDER BY cm.position",
                            -1, &c.own, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(s->db, "SELECT tools FROM tool_lists WHERE id = ?", -1, &c.tools, NULL) != SQLITE_OK ||
         (q->record_text && !(c.text = pl_msgtext_new(s->db))));
    pthread_mutex_unlock(&s->lock);
    if (bad) {
        char tmp[512];
        pl_store_seterr(err, errlen, "%s", pl_store_errtext(s->path, sqlite3_errcode(s->db), s->db, tmp, sizeof tmp));
        sqlite3_finalize(c.msgs);
        sqlite3_finalize(c.own);
        sqlite3_finalize(c.tools);
        pl_msgtext_free(c.text);
        pl_buf_free(&sql);
        return -1;
    }
    int rc = run_query(s, pl_buf_cstr(&sql), row_bind, q, row_step, &c, err, errlen);
    sqlite3_finalize(c.msgs);
    sqlite3_finalize(c.own);
    sqlite3_finalize(c.tools);
    cJSON_Delete(c.prev_all);
    cJSON_Delete(c.rest);
    free(c.rest_text);
    pl_msgtext_free(c.text);
    pl_buf_free(&sql);
    pl_buf_free(&c.body[0]);
    pl_buf_free(&c.body[1]);
    pl_buf_free(&c.prev[0]);
    pl_buf_free(&c.prev[1]);
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
