/* db.c — the CLI's direct SQLite access (see db.h): change polling and deletion. The schema
 * knowledge here is limited to `calls` and `models`; the orphan sweep below is the one place to
 * extend when the store gains tables that refer to calls. */
#include "db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/store.h"

struct pl_db {
    sqlite3 *db;
    char *path;
};

static void seterr_db(char *err, size_t n, pl_db *d, const char *what)
{
    snprintf(err, n, "%s: %s: %s", d->path, what, sqlite3_errmsg(d->db));
}

int pl_db_open(const char *url, int writable, pl_db **out, char *err, size_t errlen)
{
    *out = NULL;
    pl_store *s = NULL;
    if (pl_store_open(url, PL_STORE_READONLY, NULL, &s, err, errlen) != 0)
        return -1;
    pl_store_close(s);
    pl_db *d = calloc(1, sizeof *d);
    if (!d || !(d->path = pl_store_path_from_url(url))) {
        free(d);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int flags = writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(d->path, &d->db, flags, NULL) != SQLITE_OK) {
        seterr_db(err, errlen, d, "cannot open");
        pl_db_close(d);
        return -1;
    }
    const char *env = getenv("PROMPTLOG_BUSY_TIMEOUT_MS");
    int ms = env ? atoi(env) : 0;
    sqlite3_busy_timeout(d->db, ms > 5000 ? ms : 5000);
    *out = d;
    return 0;
}

void pl_db_close(pl_db *d)
{
    if (!d)
        return;
    sqlite3_close(d->db);
    free(d->path);
    free(d);
}

const char *pl_db_path(const pl_db *d)
{
    return d->path;
}

static int one_int(pl_db *d, const char *sql, long long *v)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(d->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : -1;
}

int pl_db_data_version(pl_db *d, long long *v)
{
    return one_int(d, "PRAGMA data_version", v);
}

int pl_db_max_id(pl_db *d, long long *id)
{
    return one_int(d, "SELECT coalesce(max(id), 0) FROM calls", id);
}

static sqlite3_stmt *prepare_sel(pl_db *d, const char *verb, const pl_delete_sel *sel)
{
    char sql[256];
    snprintf(sql, sizeof sql, "%s FROM calls WHERE 1%s%s%s", verb, sel->id > 0 ? " AND id = :id" : "",
             sel->ns ? " AND namespace = :ns" : "", sel->before > 0 ? " AND started_at < :before" : "");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    if (sel->id > 0)
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"), sel->id);
    if (sel->ns)
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":ns"), sel->ns, -1, SQLITE_STATIC);
    if (sel->before > 0)
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":before"), sel->before);
    return st;
}

int pl_db_delete_count(pl_db *d, const pl_delete_sel *sel, long long *n, char *err, size_t errlen)
{
    sqlite3_stmt *st = prepare_sel(d, "SELECT count(*)", sel);
    if (!st || sqlite3_step(st) != SQLITE_ROW) {
        seterr_db(err, errlen, d, "cannot count calls");
        sqlite3_finalize(st);
        return -1;
    }
    *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* Rows that only existed for deleted calls. Schema v1: a model no call of its namespace uses.
 * When the store gains tables referring to calls (messages, conversations, prompt versions,
 * full-text index), their sweep goes here, inside the same transaction. */
static const char *const ORPHAN_SWEEP[] = {
    "DELETE FROM models WHERE NOT EXISTS (SELECT 1 FROM calls c"
    " WHERE c.namespace = models.namespace AND c.model = models.name)",
};

int pl_db_delete(pl_db *d, const pl_delete_sel *sel, long long *deleted, char *err, size_t errlen)
{
    *deleted = 0;
    if (sel->id <= 0 && !sel->ns && sel->before <= 0) {
        snprintf(err, errlen, "nothing selected to delete");
        return -1;
    }
    /* the busy handler waits out a capturing writer, as capture waits for others */
    if (sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        seterr_db(err, errlen, d, "cannot start the delete");
        return -1;
    }
    sqlite3_stmt *st = prepare_sel(d, "DELETE", sel);
    int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        seterr_db(err, errlen, d, "delete failed");
        sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    *deleted = sqlite3_changes64(d->db);
    for (size_t i = 0; i < sizeof ORPHAN_SWEEP / sizeof *ORPHAN_SWEEP; i++) {
        if (sqlite3_exec(d->db, ORPHAN_SWEEP[i], NULL, NULL, NULL) != SQLITE_OK) {
            seterr_db(err, errlen, d, "removing unused rows failed");
            sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
            *deleted = 0;
            return -1;
        }
    }
    if (sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        seterr_db(err, errlen, d, "commit failed");
        sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
        *deleted = 0;
        return -1;
    }
    return 0;
}

int pl_db_vacuum(pl_db *d, char *err, size_t errlen)
{
    if (sqlite3_exec(d->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK) {
        seterr_db(err, errlen, d, "VACUUM failed");
        return -1;
    }
    /* the vacuumed pages sit in the WAL until a checkpoint; a busy reader only delays this */
    sqlite3_exec(d->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    return 0;
}

struct sqlite3 *pl_db_sqlite(pl_db *d)
{
    return d->db;
}

int pl_db_has(pl_db *d, const char *name)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(d->db, "SELECT 1 FROM sqlite_master WHERE name = ?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}
