/* write.c — inserting one captured call: redaction of the URL and headers, zstd compression of
 * the bodies, and one BEGIN IMMEDIATE transaction retried within the busy budget. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "columns.h"
#include "redact.h"
#include "zblob.h"

static char *headers_json(const pl_headers *h, const char *extra)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return NULL;
    for (size_t i = 0; h && i < h->count; i++) {
        const char *name = h->items[i].name ? h->items[i].name : "";
        const char *value = pl_redact_header_name(name, extra) ? PL_REDACTED : (h->items[i].value ? h->items[i].value : "");
        cJSON *pair = cJSON_CreateArray();
        if (!pair || !cJSON_AddItemToArray(arr, pair)) {
            cJSON_Delete(pair);
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddItemToArray(pair, cJSON_CreateString(name));
        cJSON_AddItemToArray(pair, cJSON_CreateString(value));
    }
    char *out = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return out;
}

/* One attempt at the transaction. Returns SQLite's code; *id set on success. */
static int insert_once(pl_store *s, const pl_row *r, long long *id)
{
    int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (r->model && *r->model) {
        sqlite3_reset(s->ins_model);
        sqlite3_bind_text(s->ins_model, 1, r->ns, -1, SQLITE_STATIC);
        sqlite3_bind_text(s->ins_model, 2, r->model, -1, SQLITE_STATIC);
        if (r->provider)
            sqlite3_bind_text(s->ins_model, 3, r->provider, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s->ins_model, 3);
        sqlite3_bind_double(s->ins_model, 4, r->started_at > 0 ? r->started_at : pl_store_now());
        rc = sqlite3_step(s->ins_model);
        sqlite3_reset(s->ins_model);
        if (rc != SQLITE_DONE)
            goto rollback;
    }
    sqlite3_reset(s->ins_call);
    rc = sqlite3_step(s->ins_call);
    sqlite3_reset(s->ins_call);
    if (rc != SQLITE_DONE)
        goto rollback;
    *id = sqlite3_last_insert_rowid(s->db);
    rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
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
    w.ns = row->ns && *row->ns ? row->ns : "default";
    char *url = row->url ? pl_redact_url(row->url, extra) : NULL;
    char *path = row->path ? pl_redact_url(row->path, extra) : NULL;
    char *reqh = row->req_headers ? headers_json(row->req_headers, extra) : NULL;
    char *resph = row->resp_headers ? headers_json(row->resp_headers, extra) : NULL;
    w.url = url;
    w.path = path;
    if ((row->url && !url) || (row->path && !path) || (row->req_headers && !reqh) || (row->resp_headers && !resph)) {
        pl_store_seterr(err, errlen, "out of memory");
        goto out;
    }

    pthread_mutex_lock(&s->lock);
    pl_xfsz_guard guard;
    pl_xfsz_block(&guard);
    int ok = 1;
    if (row->req_body)
        ok &= pl_zblob_compress(s->cctx, row->req_body, row->req_len, &s->zreq) == 0;
    if (row->resp_body)
        ok &= pl_zblob_compress(s->cctx, row->resp_body, row->resp_len, &s->zresp) == 0;
    if (!ok) {
        pl_xfsz_restore(&guard);
        pthread_mutex_unlock(&s->lock);
        pl_store_seterr(err, errlen, "cannot compress body");
        goto out;
    }
    pl_col_io io = {.headers = {reqh, resph}, .blobs = {&s->zreq, &s->zresp}};
    sqlite3_stmt *st = s->ins_call;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    pl_columns_bind(st, &w, &io);

    /* Retry contention until the budget is spent. The busy handler covers most waits; the loop
     * covers the cases where SQLite returns BUSY without waiting (WAL recovery, snapshots). */
    double deadline = pl_store_mono_ms() + s->busy_ms;
    int rc;
    for (;;) {
        if (!pl_store_budget_left(s, deadline)) {
            rc = SQLITE_BUSY;
            break;
        }
        rc = insert_once(s, &w, &id);
        if (!pl_store_is_busy(rc))
            break;
        pl_store_jitter(s, deadline - pl_store_mono_ms());
    }
    sqlite3_busy_timeout(s->db, s->busy_ms);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_OK) {
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
    free(url);
    free(path);
    cJSON_free(reqh);
    cJSON_free(resph);
    return id;
}
