/* rebuild.c — normalizer input from a stored row, and the schema-3 backfill (see rebuild.h). */
#include "rebuild.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "messages.h"
#include "threads.h"
#include "zblob.h"
#include "../util/url.h"

void pl_store_llm_input(const pl_row *row, pl_llm_input *in, pl_endpoint *ep)
{
    memset(in, 0, sizeof *in);
    memset(ep, 0, sizeof *ep);
    const char *target = row->path;
    if (row->url) {
        pl_url u;
        pl_url_split(row->url, &u);
        target = u.target_len ? u.target : "/"; /* endpoint matching stops at '?' or '#' itself */
    }
    if (row->host && target)
        pl_endpoint_match(row->method, row->host, 0, target, ep);
    in->api = row->api ? pl_api_from_name(row->api) : PL_API_NONE;
    if (in->api == PL_API_NONE)
        in->api = ep->api;
    in->provider = row->provider ? row->provider : (ep->provider[0] ? ep->provider : NULL);
    in->target = target;
    in->model_hint = ep->model[0] ? ep->model : (row->model && *row->model ? row->model : NULL);
    in->status = row->status > 0 ? row->status : 0;
    in->content_type = row->content_type;
    in->req_body = row->req_body;
    in->req_len = row->req_body ? row->req_len : 0;
    in->resp_body = row->resp_body;
    in->resp_len = row->resp_body ? row->resp_len : 0;
    in->incomplete = row->incomplete > 0;
    in->decode_error = row->decode_error > 0; /* the body is stored undecoded: say so, do not parse it */
}

static const char SQL_ROW[] =
    "SELECT namespace, provider, host, model, api, method, url, path, status, content_type, incomplete,"
    " request_body, response_body, kind, finish_reason, input_tokens, output_tokens FROM calls WHERE id = ?";
static const char SQL_UPDATE[] =
    "UPDATE calls SET parent_id = ?, conversation_id = ?, system_id = ?, tools_id = ?, thread_hash = ?,"
    " record = ?, normalizer = ?, inherited = ?, content_hash = ?, cached_tokens = ?, cache_write_tokens = ?"
    " WHERE id = ?";

static void bind_id(sqlite3_stmt *st, int i, long long v)
{
    if (v > 0)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* One row: read, normalize, link. A corrupt body leaves the row as it was (no messages): the
 * upgrade must not fail, and lose every row, for one bad blob. */
static int backfill_row(pl_store *s, sqlite3_stmt *sel, sqlite3_stmt *upd, long long id, pl_buf b[2])
{
    sqlite3_bind_int64(sel, 1, id);
    int rc = sqlite3_step(sel);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(sel);
        return rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    pl_row r;
    memset(&r, 0, sizeof r);
    const char **strs[] = {&r.ns, &r.provider, &r.host, &r.model, &r.api, &r.method, &r.url, &r.path};
    for (int i = 0; i < 8; i++)
        *strs[i] = (const char *)sqlite3_column_text(sel, i);
    r.status = sqlite3_column_type(sel, 8) == SQLITE_NULL ? -1 : sqlite3_column_int(sel, 8);
    r.kind = (const char *)sqlite3_column_text(sel, 13);
    r.finish_reason = (const char *)sqlite3_column_text(sel, 14);
    r.input_tokens = sqlite3_column_type(sel, 15) == SQLITE_NULL ? -1 : sqlite3_column_int64(sel, 15);
    r.output_tokens = sqlite3_column_type(sel, 16) == SQLITE_NULL ? -1 : sqlite3_column_int64(sel, 16);
    r.content_type = (const char *)sqlite3_column_text(sel, 9);
    r.incomplete = sqlite3_column_int(sel, 10);
    int corrupt = 0;
    for (int side = 0; side < 2; side++) {
        if (sqlite3_column_type(sel, 11 + side) == SQLITE_NULL)
            continue;
        if (pl_zblob_decompress(sqlite3_column_blob(sel, 11 + side), (size_t)sqlite3_column_bytes(sel, 11 + side), 0,
                                &b[side]) != 0) {
            corrupt = 1;
            continue;
        }
        *(side ? &r.resp_body : &r.req_body) = b[side].data ? b[side].data : "";
        *(side ? &r.resp_len : &r.req_len) = b[side].len;
    }
    if (corrupt) {
        sqlite3_reset(sel);
        return SQLITE_OK;
    }
    pl_llm_input in;
    pl_endpoint ep;
    pl_store_llm_input(&r, &in, &ep);
    cJSON *rec = pl_llm_normalize(&in);
    char *ns = strdup(r.ns ? r.ns : "default");
    /* what the reader will find in the columns (NULL as -1), as on insert */
    pl_store_scan_cached(r.api, r.resp_body, r.resp_body ? r.resp_len : 0, &r.cached_tokens, &r.cache_write_tokens);
    char *rest = rec ? pl_record_rest(rec, &r) : NULL;
    long long cached = r.cached_tokens, cache_write = r.cache_write_tokens;
    sqlite3_reset(sel);   /* r's strings are gone from here on */
    pl_msgs m;
    rc = !rec || !ns || !rest || pl_msgs_collect(rec, &m) != 0 ? SQLITE_NOMEM : SQLITE_OK;
    pl_row w;
    memset(&w, 0, sizeof w);
    w.id = id;
    if (rc == SQLITE_OK) {
        rc = pl_links_before(s, ns, &m, &w);
        if (rc == SQLITE_OK) {
            bind_id(upd, 1, w.parent_id);
            bind_id(upd, 2, w.conversation_id);
            bind_id(upd, 3, w.system_id);
            bind_id(upd, 4, w.tools_id);
            if (w.thread_hash)
                sqlite3_bind_int64(upd, 5, w.thread_hash);
            else
                sqlite3_bind_null(upd, 5);
            sqlite3_bind_text(upd, 6, rest, -1, SQLITE_STATIC);
            sqlite3_bind_int(upd, 7, PL_STORE_NORMALIZER);
            bind_id(upd, 8, w.inherited);
            if (w.content_hash)
                sqlite3_bind_int64(upd, 9, w.content_hash);
            else
                sqlite3_bind_null(upd, 9);
            sqlite3_bind_int64(upd, 10, cached);
            sqlite3_bind_int64(upd, 11, cache_write);
            sqlite3_bind_int64(upd, 12, id);
            rc = sqlite3_step(upd);
            sqlite3_reset(upd);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        }
        if (rc == SQLITE_OK)
            rc = pl_links_after(s, id, &m, &w);
        if (rc == SQLITE_OK)
            pl_msgstore_commit(s->ms);
        pl_msgs_free(&m);
    }
    cJSON_free(rest);
    free(ns);
    cJSON_Delete(rec);
    return rc;
}

int pl_backfill(pl_store *s, char **msg)
{
    sqlite3_stmt *ids = NULL, *sel = NULL, *upd = NULL;
    long long *v = NULL;
    size_t n = 0, cap = 0;
    pl_buf b[2] = {{0}, {0}};
    int own_ms = !s->ms, own_th = !s->th;
    if (own_ms)
        s->ms = pl_msgstore_open(s->db);
    if (own_th)
        s->th = pl_threads_open(s->db);
    int rc = s->ms && s->th ? SQLITE_OK : SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, "SELECT id FROM calls WHERE normalizer IS NULL ORDER BY id", -1, &ids, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, SQL_ROW, -1, &sel, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, SQL_UPDATE, -1, &upd, NULL);
    /* The ids first: the rows are updated while we go, which a running scan must not see. */
    while (rc == SQLITE_OK && (rc = sqlite3_step(ids)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            long long *t = realloc(v, cap * sizeof *t);
            if (!t) {
                rc = SQLITE_NOMEM;
                break;
            }
            v = t;
        }
        v[n++] = sqlite3_column_int64(ids, 0);
        rc = SQLITE_OK;
    }
    if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < n; i++)
        rc = backfill_row(s, sel, upd, v[i], b);
    if (rc == SQLITE_OK)
        rc = pl_msgstore_index(s->ms, 1);
    if (rc != SQLITE_OK && msg && !*msg)
        *msg = sqlite3_mprintf("filling messages from stored bodies: %s", sqlite3_errstr(rc));
    sqlite3_finalize(ids);
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    free(v);
    pl_buf_free(&b[0]);
    pl_buf_free(&b[1]);
    if (own_ms) {
        pl_msgstore_close(s->ms);
        s->ms = NULL;
    }
    if (own_th) {
        pl_threads_close(s->th);
        s->th = NULL;
    }
    return rc;
}
