/* write.c — inserting one captured call: redaction of the URL and headers, zstd compression of
 * the bodies, and one BEGIN IMMEDIATE transaction retried within the busy budget. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "columns.h"
#include "hdrsets.h"
#include "messages.h"
#include "redact.h"
#include "threads.h"
#include "zblob.h"
#include "../util/json.h"
#include "../util/jsonw.h"

/* [["name","value"],...] written straight into a buffer (no cJSON tree per header), escaped as
 * cJSON prints strings. Returns a malloc'ed string (free), or NULL on OOM. */
static char *headers_json(const pl_headers *h, const char *extra)
{
    pl_buf b = {0};
    pl_buf_append(&b, "[", 1);
    for (size_t i = 0; h && i < h->count; i++) {
        const char *name = h->items[i].name ? h->items[i].name : "";
        const char *value = pl_redact_header_name(name, extra) ? PL_REDACTED : (h->items[i].value ? h->items[i].value : "");
        pl_jw_raw(&b, i ? ",[" : "[", i ? 2 : 1);
        pl_jw_str(&b, name);
        pl_jw_raw(&b, ",", 1);
        pl_jw_str(&b, value);
        pl_jw_raw(&b, "]", 1);
    }
    /* pl_buf_append leaves the buffer unchanged when memory runs out: the closing bracket tells */
    if (pl_buf_append(&b, "]", 1) != 0) {
        pl_buf_free(&b);
        return NULL;
    }
    return pl_buf_detach(&b);
}

/* BEGIN IMMEDIATE / COMMIT through statements prepared once per connection: sqlite3_exec
 * would parse and compile the SQL again at every captured call. Returns SQLite's code. */
static int txn_step(pl_store *s, sqlite3_stmt **st, const char *sql)
{
    int rc = SQLITE_OK;
    if (!*st)
        rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(*st);
    sqlite3_reset(*st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* One attempt at the transaction. Returns SQLite's code; *id set on success. The request body
 * is compressed in here because its reference, the parent's body, is only known once the
 * parent is found under the write lock. */
static int insert_once(pl_store *s, pl_row *w, pl_msgs *m, pl_col_io *io, const pl_buf tmpl[2], int *depth,
                       long long *id)
{
    int rc = txn_step(s, &s->txn_begin, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return rc;
    if ((rc = pl_deletions_check(s)) != SQLITE_OK)   /* before any cached id is used */
        goto rollback;
    if (w->model && *w->model) {
        sqlite3_reset(s->ins_model);
        sqlite3_bind_text(s->ins_model, 1, w->ns, -1, SQLITE_STATIC);
        sqlite3_bind_text(s->ins_model, 2, w->model, -1, SQLITE_STATIC);
        if (w->provider)
            sqlite3_bind_text(s->ins_model, 3, w->provider, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s->ins_model, 3);
        sqlite3_bind_double(s->ins_model, 4, w->started_at > 0 ? w->started_at : pl_store_now());
        rc = sqlite3_step(s->ins_model);
        sqlite3_reset(s->ins_model);
        if (rc != SQLITE_DONE)
            goto rollback;
    }
    rc = pl_links_before(s, w->ns, m, w);
    for (int side = 0; side < 2 && rc == SQLITE_OK; side++) {
        io->hset[side] = -1;
        if (tmpl[side].len && s->ms)
            rc = pl_msgstore_header_set(s->ms, tmpl[side].data, tmpl[side].len, &io->hset[side]);
    }
    if (rc != SQLITE_OK)
        goto rollback;
    w->request_ref = w->response_ref = -1;
    *depth = 0;
    for (int side = 0; side < 2; side++) {
        const char *body = side ? w->resp_body : w->req_body;
        size_t len = side ? w->resp_len : w->req_len;
        pl_buf *z = side ? &s->zresp : &s->zreq;
        if (!body)
            continue;
        int pdepth = 0;
        const pl_buf *ref = w->parent_id > 0 ? pl_threads_body(s->th, w->parent_id, side, &pdepth) : NULL;
        if (ref && pdepth >= PL_THREADS_MAX_DEPTH)
            ref = NULL;
        if (ref && pl_zblob_compress_ref(s->cctx, body, len, ref->data, ref->len, z) == 0) {
            *(side ? &w->response_ref : &w->request_ref) = w->parent_id;
            *depth = pdepth + 1;
        } else if (pl_zblob_compress(s->cctx, body, len, z) != 0) {
            rc = SQLITE_NOMEM;
            goto rollback;
        }
    }
    sqlite3_stmt *st = s->ins_call;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    pl_columns_bind(st, w, io);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        goto rollback;
    *id = sqlite3_last_insert_rowid(s->db);
    rc = pl_links_after(s, *id, m, w);
    if (rc == SQLITE_OK)
        rc = pl_msgstore_index(s->ms, 0);
    if (rc != SQLITE_OK)
        goto rollback;
    rc = txn_step(s, &s->txn_commit, "COMMIT");
    if (rc == SQLITE_OK)
        return SQLITE_OK;
rollback:
    /* After SQLITE_FULL or an I/O error SQLite has already rolled back: a second ROLLBACK would
     * replace the message that says why ("database or disk is full") with its own. */
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc == SQLITE_OK || rc == SQLITE_DONE ? SQLITE_ERROR : rc;
}

long long pl_store_insert(pl_store *s, const pl_row *row, char *err, size_t errlen)
{
    if (!s || !row) {
        pl_store_seterr(err, errlen, "no store");
        return -1;
    }
    if (s->readonly) {
        pl_store_seterr(err, errlen, "%s is open read-only", s->path);
        return -1;
    }
    const char *extra = s->redact;
    long long id = -1;
    /* The row as written: redacted copies replace what could carry a credential. */
    pl_row w = *row;
    w.id = -1;
    w.ns = row->ns && *row->ns ? row->ns : "default";
    char *url = row->url ? pl_redact_url(row->url, extra) : NULL;
    char *path = row->path ? pl_redact_url(row->path, extra) : NULL;
    /* Each header list as a set stored once plus its changing values (hdrsets.h); the whole
     * JSON only for a connection that cannot store sets. */
    pl_buf tmpl[2] = {{0}, {0}}, hvals[2] = {{0}, {0}};
    const pl_headers *hs[2] = {row->req_headers, row->resp_headers};
    int hbad = 0;
    for (int side = 0; side < 2 && s->ms; side++)
        if (hs[side])
            hbad |= pl_hdrsets_split(hs[side], extra, &tmpl[side], &hvals[side]) != 0;
    char *reqh = row->req_headers && !s->ms ? headers_json(row->req_headers, extra) : NULL;
    char *resph = row->resp_headers && !s->ms ? headers_json(row->resp_headers, extra) : NULL;
    char *rest = NULL;
    pl_msgs m;
    memset(&m, 0, sizeof m);
    w.url = url;
    w.path = path;
    if ((row->url && !url) || (row->path && !path) || hbad || (row->req_headers && !reqh && !s->ms) ||
        (row->resp_headers && !resph && !s->ms)) {
        pl_store_seterr(err, errlen, "out of memory");
        goto out;
    }

    pl_store_scan_cached(w.api, w.resp_body, w.resp_body ? w.resp_len : 0, &w.cached_tokens, &w.cache_write_tokens);
    if (row->record) {
        if (pl_msgs_collect(row->record, &m) != 0 || !(rest = pl_record_rest(row->record, &w))) {
            pl_store_seterr(err, errlen, "out of memory");
            goto out;
        }
        w.record_json = rest;
        w.normalizer = PL_STORE_NORMALIZER;
    } else {
        w.record_json = NULL;
        w.normalizer = -1;
    }

    pthread_mutex_lock(&s->lock);
    pl_xfsz_guard guard;
    pl_xfsz_block(&guard);
    pl_col_io io = {.headers = {reqh, resph}, .hset = {-1, -1}, .hvals = {pl_buf_cstr(&hvals[0]), pl_buf_cstr(&hvals[1])},
                    .blobs = {&s->zreq, &s->zresp}};

    /* Retry contention until the budget is spent. The busy handler covers most waits; the loop
     * covers the cases where SQLite returns BUSY without waiting (WAL recovery, snapshots). */
    double deadline = pl_store_mono_ms() + s->busy_ms;
    int rc, depth = 0;
    for (;;) {
        if (!pl_store_budget_left(s, deadline)) {
            rc = SQLITE_BUSY;
            break;
        }
        rc = insert_once(s, &w, &m, &io, tmpl, &depth, &id);
        if (rc == SQLITE_OK)
            break;
        pl_msgstore_rollback(s->ms);
        if (!pl_store_is_busy(rc))
            break;
        pl_store_jitter(s, deadline - pl_store_mono_ms());
    }
    sqlite3_busy_timeout(s->db, s->busy_ms);
    sqlite3_clear_bindings(s->ins_call);
    if (rc == SQLITE_OK) {
        pl_msgstore_commit(s->ms);
        if (w.req_body && m.n)
            pl_threads_remember(s->th, id, w.req_body, w.req_len, w.resp_body, w.resp_len, depth);
    } else {
        char tmp[512];
        if (pl_store_is_busy(rc))
            pl_store_seterr(err, errlen, "%s stayed locked for %d ms; row not written", s->path, s->busy_ms);
        else
            pl_store_seterr(err, errlen, "%s", pl_store_errtext(s->path, rc, s->db, tmp, sizeof tmp));
        id = -1;
    }
    pl_xfsz_restore(&guard);
    pthread_mutex_unlock(&s->lock);
out:
    pl_msgs_free(&m);
    cJSON_free(rest);
    free(url);
    free(path);
    free(reqh);
    free(resph);
    for (int side = 0; side < 2; side++) {
        pl_buf_free(&tmpl[side]);
        pl_buf_free(&hvals[side]);
    }
    return id;
}
