/* db.h — the CLI's own SQLite connection, for the two things store.h does not offer: noticing
 * new commits cheaply (PRAGMA data_version, for tail -f) and deleting calls. Every other read
 * goes through store.h. The database is first validated by pl_store_open (read-only), so a
 * missing, foreign or newer database is refused with the store's own message before anything
 * is opened for writing.
 *
 * Locking is the capture's: one BEGIN IMMEDIATE transaction with the same busy timeout
 * ($PROMPTLOG_BUSY_TIMEOUT_MS, at least 5 s here), so a delete never runs while a capturing
 * process is mid-write, and a capture waits for the delete like for any other writer. */
#ifndef PL_DB_H
#define PL_DB_H

#include <stddef.h>

typedef struct pl_db pl_db;

int pl_db_open(const char *url, int writable, pl_db **out, char *err, size_t errlen);
void pl_db_close(pl_db *d);
const char *pl_db_path(const pl_db *d);

/* PRAGMA data_version: changes whenever another connection commits. */
int pl_db_data_version(pl_db *d, long long *v);
/* Largest call id (0 when empty). */
int pl_db_max_id(pl_db *d, long long *id);

/* Which calls to delete: every set condition must hold; at least one must be set. */
typedef struct pl_delete_sel {
    long long id;        /* > 0 */
    const char *ns;      /* non-NULL */
    double before;       /* > 0: started_at < before */
} pl_delete_sel;

/* How many calls match (outside any transaction: an estimate for the question). */
int pl_db_delete_count(pl_db *d, const pl_delete_sel *sel, long long *n, char *err, size_t errlen);
/* Deletes the matching calls and whatever no call refers to any more (models), in one write
 * transaction. *deleted = calls removed. */
int pl_db_delete(pl_db *d, const pl_delete_sel *sel, long long *deleted, char *err, size_t errlen);
/* VACUUM, then a WAL checkpoint that truncates the log, so the file really shrinks. */
int pl_db_vacuum(pl_db *d, char *err, size_t errlen);

/* For the views of the readable store (threads.c): the raw connection, and whether a table or
 * view exists (schema 1 databases have no conversations). */
struct sqlite3 *pl_db_sqlite(pl_db *d);
int pl_db_has(pl_db *d, const char *name);

#endif
