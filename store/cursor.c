/* cursor.c — the shipper's durable per-destination cursor (table ship_cursors) and its two
 * read queries (pending call ids, data_version), on a connection of its own.
 * Why a separate connection: the exporter opens the store read-only, and the cursor is the only
 * thing ship writes; keeping it apart leaves the store's read path and its invariants untouched. */
#include "cursor.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

struct pl_cursor {
    sqlite3 *db;
};

static int fail(pl_cursor *c, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", what, c && c->db ? sqlite3_errmsg(c->db) : "out of memory");
    return -1;
}

int pl_cursor_open(const char *db_url, pl_cursor **out, char *err, size_t errlen)
{
    *out = NULL;
    char *path = pl_store_path_from_url(db_url);
    if (!path) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (access(path, F_OK) != 0) {
        snprintf(err, errlen, "no database at %s", path);
        free(path);
        return -1;
    }
    pl_cursor *c = calloc(1, sizeof *c);
    if (!c) {
        free(path);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE, NULL);
    free(path);
    if (rc != SQLITE_OK) {
        fail(c, "cannot open the database for the ship cursor", err, errlen);
        pl_cursor_close(c);
        return -1;
    }
    /* Capturing programs hold the write lock for one short transaction each; wait them out. */
    sqlite3_busy_timeout(c->db, 5000);
    rc = sqlite3_exec(c->db,
                      "CREATE TABLE IF NOT EXISTS ship_cursors ("
                      " destination TEXT PRIMARY KEY, last_id INTEGER NOT NULL, updated_at REAL)",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        fail(c, "cannot create the ship cursor table", err, errlen);
        pl_cursor_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

void pl_cursor_close(pl_cursor *c)
{
    if (!c)
        return;
    sqlite3_close(c->db);
    free(c);
}

int pl_cursor_get(pl_cursor *c, const char *dest, long long *last_id, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    *last_id = 0;
    if (sqlite3_prepare_v2(c->db, "SELECT last_id FROM ship_cursors WHERE destination = ?", -1, &st, NULL) != SQLITE_OK)
        return fail(c, "reading the ship cursor", err, errlen);
    sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *last_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(c, "reading the ship cursor", err, errlen);
    return 0;
}

int pl_cursor_set(pl_cursor *c, const char *dest, long long last_id, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db,
                           "INSERT INTO ship_cursors(destination, last_id, updated_at)"
                           " VALUES (?1, ?2, (julianday('now') - 2440587.5) * 86400.0)"
                           " ON CONFLICT(destination) DO UPDATE SET last_id = ?2, updated_at = (julianday('now') - 2440587.5) * 86400.0",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(c, "writing the ship cursor", err, errlen);
    sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, last_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(c, "writing the ship cursor", err, errlen);
    return 0;
}

int pl_cursor_pending(pl_cursor *c, long long after, const char *ns, double since, long long *ids, int max,
                      int *n, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT id FROM calls WHERE id > ?1 AND (?2 IS NULL OR namespace = ?2)"
                           " AND (?3 IS NULL OR started_at >= ?3) ORDER BY id LIMIT ?4",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(c, "listing calls to ship", err, errlen);
    sqlite3_bind_int64(st, 1, after);
    if (ns)
        sqlite3_bind_text(st, 2, ns, -1, SQLITE_STATIC);
    if (since >= 0)
        sqlite3_bind_double(st, 3, since);
    sqlite3_bind_int(st, 4, max);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return fail(c, "listing calls to ship", err, errlen);
    return 0;
}

int pl_cursor_data_version(pl_cursor *c, long long *version)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, "PRAGMA data_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}
