/* columns.c — the `calls` column table and everything generated from it (see columns.h): DDL,
 * INSERT text, binding a pl_row, decoding a selected row back into one. */
#include "columns.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "hdrsets.h"
#include "zblob.h"

#define F(field) offsetof(pl_row, field)
#define COL(name, decl, type, field) {name, decl, type, F(field), 0, 0}

const pl_column pl_call_columns[] = {
    COL("namespace", "TEXT NOT NULL DEFAULT 'default'", PL_COL_TEXT, ns),
    COL("provider", "TEXT", PL_COL_TEXT, provider),
    COL("host", "TEXT", PL_COL_TEXT, host),
    COL("model", "TEXT", PL_COL_NAME, model),
    COL("api", "TEXT", PL_COL_TEXT, api),
    COL("kind", "TEXT", PL_COL_TEXT, kind),
    COL("method", "TEXT", PL_COL_TEXT, method),
    COL("url", "TEXT", PL_COL_TEXT, url),
    COL("path", "TEXT", PL_COL_TEXT, path),
    COL("status", "INTEGER", PL_COL_INT, status),
    COL("stream", "INTEGER", PL_COL_INT, stream),
    COL("incomplete", "INTEGER", PL_COL_INT, incomplete),
    COL("truncated", "INTEGER", PL_COL_INT, truncated),
    COL("started_at", "REAL", PL_COL_REAL, started_at),
    COL("duration", "REAL", PL_COL_REAL, duration),
    COL("ttfb", "REAL", PL_COL_REAL, ttfb),
    COL("ttft", "REAL", PL_COL_REAL, ttft),
    COL("input_tokens", "INTEGER", PL_COL_LL, input_tokens),
    COL("output_tokens", "INTEGER", PL_COL_LL, output_tokens),
    COL("finish_reason", "TEXT", PL_COL_TEXT, finish_reason),
    COL("error", "TEXT", PL_COL_TEXT, error),
    COL("prompt_preview", "TEXT", PL_COL_TEXT, prompt_preview),
    COL("completion_preview", "TEXT", PL_COL_TEXT, completion_preview),
    COL("pid", "INTEGER", PL_COL_INT, pid),
    COL("program", "TEXT", PL_COL_TEXT, program),
    COL("source", "TEXT", PL_COL_TEXT, source),
    COL("http_version", "INTEGER", PL_COL_POSINT, http_version),
    COL("content_type", "TEXT", PL_COL_TEXT, content_type),
    {"request_headers", "TEXT", PL_COL_HEADERS, F(req_headers), 0, 0},
    {"response_headers", "TEXT", PL_COL_HEADERS, F(resp_headers), 0, 1},
    {"request_size", "INTEGER", PL_COL_SIZE, F(req_len), F(req_body), 0},
    {"response_size", "INTEGER", PL_COL_SIZE, F(resp_len), F(resp_body), 1},
    {"request_body", "BLOB", PL_COL_BODY, F(req_body), F(req_len), 0},
    {"response_body", "BLOB", PL_COL_BODY, F(resp_body), F(resp_len), 1},
    /* Added after schema version 1: older files get them by ALTER TABLE (open.c). */
    COL("decode_error", "INTEGER", PL_COL_INT, decode_error),
    /* Schema 3: the readable store (messages.c, threads.c). */
    COL("parent_id", "INTEGER", PL_COL_LL, parent_id),
    COL("conversation_id", "INTEGER", PL_COL_LL, conversation_id),
    COL("system_id", "INTEGER", PL_COL_LL, system_id),
    COL("tools_id", "INTEGER", PL_COL_LL, tools_id),
    COL("thread_hash", "INTEGER", PL_COL_HASH, thread_hash),
    COL("request_ref", "INTEGER", PL_COL_LL, request_ref),
    COL("record", "TEXT", PL_COL_TEXT, record_json),
    COL("normalizer", "INTEGER", PL_COL_INT, normalizer),
    COL("inherited", "INTEGER", PL_COL_INT, inherited),
    COL("content_hash", "INTEGER", PL_COL_HASH, content_hash),
    COL("response_ref", "INTEGER", PL_COL_LL, response_ref),
    /* Schema 4. */
    COL("cached_tokens", "INTEGER", PL_COL_LL, cached_tokens),
    COL("cache_write_tokens", "INTEGER", PL_COL_LL, cache_write_tokens),
    {"request_header_set", "INTEGER", PL_COL_HSET, 0, 0, 0},
    {"request_header_values", "TEXT", PL_COL_HVALS, 0, 0, 0},
    {"response_header_set", "INTEGER", PL_COL_HSET, 0, 0, 1},
    {"response_header_values", "TEXT", PL_COL_HVALS, 0, 0, 1},
};
const size_t pl_call_ncolumns = sizeof pl_call_columns / sizeof *pl_call_columns;

#define AT(r, off, type) (*(type *)((char *)(r) + (off)))
#define CAT(r, off, type) (*(type const *)((const char *)(r) + (off)))

int pl_columns_create_sql(pl_buf *out)
{
    int ok = pl_buf_append_str(out, "CREATE TABLE IF NOT EXISTS calls (\n id INTEGER PRIMARY KEY") == 0;
    for (size_t i = 0; i < pl_call_ncolumns; i++) {
        ok &= pl_buf_append_str(out, ",\n ") == 0;
        ok &= pl_buf_append_str(out, pl_call_columns[i].name) == 0;
        ok &= pl_buf_append_str(out, " ") == 0;
        ok &= pl_buf_append_str(out, pl_call_columns[i].decl) == 0;
    }
    ok &= pl_buf_append_str(out, ");\n") == 0;
    return ok ? 0 : -1;
}

int pl_columns_insert_sql(pl_buf *out)
{
    int ok = pl_buf_append_str(out, "INSERT INTO calls (") == 0;
    for (size_t i = 0; i < pl_call_ncolumns; i++) {
        ok &= pl_buf_append_str(out, i ? ", " : "") == 0;
        ok &= pl_buf_append_str(out, pl_call_columns[i].name) == 0;
    }
    ok &= pl_buf_append_str(out, ") VALUES (") == 0;
    for (size_t i = 0; i < pl_call_ncolumns; i++)
        ok &= pl_buf_append_str(out, i ? ",?" : "?") == 0;
    ok &= pl_buf_append_str(out, ")") == 0;
    return ok ? 0 : -1;
}

/* Index of the column of this type and side. */
static size_t column_of(pl_col_type type, int side)
{
    for (size_t i = 0; i < pl_call_ncolumns; i++)
        if (pl_call_columns[i].type == type && pl_call_columns[i].side == side)
            return i;
    return 0;
}

/* What no export line, cost or rebuild reads: left out of a lean select. */
static int lean_skips(const char *name)
{
    static const char *const skip[] = {"prompt_preview", "completion_preview", "ttfb", "ttft", "source",
                                       "http_version", "thread_hash", "content_hash", "conversation_id", "system_id",
                                       "request_size", "response_size"};
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (strcmp(name, skip[i]) == 0)
            return 1;
    return 0;
}

int pl_columns_select_list(pl_buf *out, const unsigned char *has, int no_bodies, int no_headers, int lean)
{
    int ok = pl_buf_append_str(out, "id") == 0;
    for (size_t i = 0; i < pl_call_ncolumns; i++) {
        const pl_column *c = &pl_call_columns[i];
        int hdr = c->type == PL_COL_HEADERS || c->type == PL_COL_HSET || c->type == PL_COL_HVALS;
        int null = (has && !has[i]) || (no_bodies && c->type == PL_COL_BODY) || (no_headers && hdr) ||
                   (lean && lean_skips(c->name));
        ok &= pl_buf_append_str(out, ", ") == 0;
        if (!null && c->type == PL_COL_HEADERS && (!has || has[column_of(PL_COL_HSET, c->side)])) {
            const char *set = pl_call_columns[column_of(PL_COL_HSET, c->side)].name;
            ok &= pl_buf_append_str(out, "coalesce(") == 0 && pl_buf_append_str(out, c->name) == 0 &&
                  pl_buf_append_str(out, ", (SELECT headers FROM header_sets WHERE header_sets.id = calls.") == 0 &&
                  pl_buf_append_str(out, set) == 0 && pl_buf_append_str(out, "))") == 0;
            continue;
        }
        ok &= pl_buf_append_str(out, null ? "NULL" : c->name) == 0;
    }
    return ok ? 0 : -1;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_ll(sqlite3_stmt *st, int i, long long v)
{
    if (v < 0)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

void pl_columns_bind(sqlite3_stmt *st, const pl_row *r, const pl_col_io *io)
{
    for (size_t k = 0; k < pl_call_ncolumns; k++) {
        const pl_column *c = &pl_call_columns[k];
        int i = (int)k + 1;
        switch (c->type) {
        case PL_COL_TEXT:
            bind_text(st, i, CAT(r, c->off, const char *));
            break;
        case PL_COL_NAME: {
            const char *v = CAT(r, c->off, const char *);
            bind_text(st, i, v && *v ? v : NULL);
            break;
        }
        case PL_COL_INT:
            bind_ll(st, i, CAT(r, c->off, int));
            break;
        case PL_COL_POSINT: {
            int v = CAT(r, c->off, int);
            bind_ll(st, i, v > 0 ? v : -1);
            break;
        }
        case PL_COL_LL:
            bind_ll(st, i, CAT(r, c->off, long long));
            break;
        case PL_COL_HASH: {
            long long v = CAT(r, c->off, long long);
            if (v)
                sqlite3_bind_int64(st, i, v);
            else
                sqlite3_bind_null(st, i);
            break;
        }
        case PL_COL_REAL: {
            double v = CAT(r, c->off, double);
            if (v < 0)
                sqlite3_bind_null(st, i);
            else
                sqlite3_bind_double(st, i, v);
            break;
        }
        case PL_COL_HEADERS:
            bind_text(st, i, io->hset[c->side] > 0 ? NULL : io->headers[c->side]);
            break;
        case PL_COL_HSET:
            bind_ll(st, i, io->hset[c->side] > 0 ? io->hset[c->side] : -1);
            break;
        case PL_COL_HVALS:   /* "{}": none taken out, stored as NULL */
            bind_text(st, i, io->hset[c->side] > 0 && io->hvals[c->side] && strcmp(io->hvals[c->side], "{}") != 0
                                 ? io->hvals[c->side] : NULL);
            break;
        case PL_COL_SIZE:
            bind_ll(st, i, CAT(r, c->aux, const char *) ? (long long)CAT(r, c->off, size_t) : -1);
            break;
        case PL_COL_BODY: {
            const pl_buf *b = io->blobs[c->side];
            if (CAT(r, c->off, const char *) && b)
                sqlite3_bind_blob(st, i, b->data ? b->data : "", (int)b->len, SQLITE_STATIC);
            else
                sqlite3_bind_null(st, i);
            break;
        }
        }
    }
}

static int decode_one(sqlite3_stmt *st, const pl_column *c, int i, pl_row *r, pl_headers h[2], pl_buf b[2],
                      pl_body_ref_fn ref, void *ref_ctx)
{
    if (c->type == PL_COL_TEXT || c->type == PL_COL_NAME) {   /* NULL reads as NULL: no type check */
        AT(r, c->off, const char *) = (const char *)sqlite3_column_text(st, i);
        return 0;
    }
    if (c->type == PL_COL_HSET || c->type == PL_COL_HVALS || c->type == PL_COL_SIZE)
        return 0;
    int null = sqlite3_column_type(st, i) == SQLITE_NULL;
    switch (c->type) {
    case PL_COL_TEXT:
    case PL_COL_NAME:
        break;
    case PL_COL_INT:
    case PL_COL_POSINT:
        AT(r, c->off, int) = null ? -1 : sqlite3_column_int(st, i);
        break;
    case PL_COL_LL:
        AT(r, c->off, long long) = null ? -1 : sqlite3_column_int64(st, i);
        break;
    case PL_COL_HASH:
        AT(r, c->off, long long) = null ? 0 : sqlite3_column_int64(st, i);
        break;
    case PL_COL_REAL:
        AT(r, c->off, double) = null ? -1 : sqlite3_column_double(st, i);
        break;
    case PL_COL_HEADERS: {
        /* the template (or, before schema 4, the whole list) and its taken-out values */
        const char *vals = (const char *)sqlite3_column_text(st, (int)column_of(PL_COL_HVALS, c->side) + 1);
        pl_hdrsets_join((const char *)sqlite3_column_text(st, i), vals, &h[c->side]);
        AT(r, c->off, const pl_headers *) = &h[c->side];
        break;
    }
    case PL_COL_HSET:
    case PL_COL_HVALS:
        break;
    case PL_COL_SIZE:
        break;   /* the decompressed body's length says the same */
    case PL_COL_BODY: {
        AT(r, c->off, const char *) = NULL;
        AT(r, c->aux, size_t) = 0;
        if (null)
            break;
        const void *blob = sqlite3_column_blob(st, i);
        int n = sqlite3_column_bytes(st, i);
        int rc;
        long long ref_id = c->side ? r->response_ref : r->request_ref;
        if (ref_id > 0) {
            const char *base = NULL;
            size_t baselen = 0;
            rc = ref && ref(ref_ctx, ref_id, c->side, &base, &baselen) == 0
                     ? pl_zblob_decompress_ref(blob, (size_t)n, base, baselen, 0, &b[c->side])
                     : -1;
        } else {
            rc = pl_zblob_decompress(blob, (size_t)n, 0, &b[c->side]);
        }
        if (rc != 0)
            return -1;
        AT(r, c->off, const char *) = b[c->side].data ? b[c->side].data : "";
        AT(r, c->aux, size_t) = b[c->side].len;
        break;
    }
    }
    return 0;
}

int pl_columns_decode(sqlite3_stmt *st, pl_row *r, pl_headers h[2], pl_buf b[2], pl_body_ref_fn ref, void *ref_ctx)
{
    int result = 0;
    r->id = sqlite3_column_int64(st, 0);
    /* Bodies last: a body may need request_ref/response_ref, decoded in the first pass. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < pl_call_ncolumns; k++) {
            const pl_column *c = &pl_call_columns[k];
            if ((c->type == PL_COL_BODY) != pass)
                continue;
            if (decode_one(st, c, (int)k + 1, r, h, b, ref, ref_ctx) != 0)
                result = -1;
        }
    }
    return result;
}
