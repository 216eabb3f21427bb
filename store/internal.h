/* internal.h — what the store's files share and nobody else sees: the connection struct, error
 * text, the wait budget, and the SIGXFSZ guard. Every SQLite call of the store goes through a
 * pl_store whose mutex serializes them. */
#ifndef PL_STORE_INTERNAL_H
#define PL_STORE_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stddef.h>
#include <zstd.h>

#include "store.h"
#include "../util/buf.h"

#define PL_STORE_DEFAULT_BUSY_MS 2000

struct pl_store {
    sqlite3 *db;
    char *path;
    char *redact;                /* extra redaction names, or NULL */
    int readonly;
    int busy_ms;
    int version;                 /* the file's user_version once open */
    pthread_mutex_t lock;
    sqlite3_stmt *ins_call;
    sqlite3_stmt *ins_model;
    sqlite3_stmt *txn_begin, *txn_commit;   /* write.c: prepared on first use, kept */
    ZSTD_CCtx *cctx;
    pl_buf zreq, zresp;          /* compression scratch, reused across inserts */
    unsigned long long rng;      /* jitter for retries; never rand(), which the host owns */
    unsigned char *has_col;      /* per pl_call_columns entry: present in this file's `calls` */
    struct pl_msgstore *ms;      /* messages.c: statements and the id cache (writers) */
    struct pl_threads *th;       /* threads.c: parent lookup and recent request bodies (writers) */
    struct pl_delwatch *dw;      /* delete.c: which deletions this connection's caches predate */
};

void pl_store_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A one-line reason for SQLite code rc on path (corrupt, not writable, locked, ...). */
const char *pl_store_errtext(const char *path, int rc, sqlite3 *db, char *tmp, size_t tmplen);
int pl_store_is_busy(int rc);
double pl_store_now(void);       /* epoch seconds */
double pl_store_mono_ms(void);
/* Sets SQLite's busy timeout to what is left until deadline (monotonic ms); 0 when none is left. */
int pl_store_budget_left(pl_store *s, double deadline);
/* Sleeps 1..10 ms (at most max_ms), randomized per connection so retries spread out. */
void pl_store_jitter(pl_store *s, double max_ms);

/* delete.c, inside every write transaction before a cache is used: when another process has
 * deleted calls since the last check, drops the message-id and parent-body caches. */
/* Binds a filter's :ns, :since, :until, :limit and :upto where the statement has them (query.c). */
void pl_store_bind_filter(sqlite3_stmt *st, const pl_store_filter *f);
int pl_deletions_check(pl_store *s);
void pl_deletions_close(pl_store *s);

/* A write past RLIMIT_FSIZE raises SIGXFSZ, whose default action kills the host. Every write
 * runs between pl_xfsz_block and pl_xfsz_restore (see guard.c). */
typedef struct pl_xfsz_guard {
    sigset_t old;
} pl_xfsz_guard;
void pl_xfsz_block(pl_xfsz_guard *g);
void pl_xfsz_restore(pl_xfsz_guard *g);

#endif
