/* store_conn.c — the engine's per-process store connection: opened lazily, anew in a fork
 * child, retried at most every few seconds after a failure, closed at exit. */
#include "engine_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* After a failed open (unwritable path, newer schema, corrupt file) we try again at most this
 * often, so a broken database costs the host one failed open per interval, not one per call. */
#define REOPEN_INTERVAL_S 5.0
#ifndef PL_ENGINE_CACHE_KIB
#define PL_ENGINE_CACHE_KIB 256
#endif
/* A checkpoint costs the capturing thread two fdatasync waits and the writeback of the pages it
 * copies: every 4,000 WAL pages (about 800 captures, a 16 MB WAL at most) instead of SQLite's
 * 1,000 took `make bench`'s added wall time per call from ~340 to ~220 us. A WAL much larger than
 * this grows the file on every commit, and new file blocks cost more CPU than reused ones. */
#ifndef PL_ENGINE_WAL_PAGES
#define PL_ENGINE_WAL_PAGES 4000
#endif

/* ---- the per-process store connection ---- */

static pthread_mutex_t g_store_lock = PTHREAD_MUTEX_INITIALIZER;
static pl_store *g_store;
static unsigned g_store_generation;
static double g_next_open;
/* The last failure reported under PROMPTLOG_DEBUG (g_store_lock held): a broken database gives
 * one line saying why, not one per call or per reopen attempt. Cleared by a success, so a cause
 * that comes back is reported again. */
static char g_said[256];

static int say_once_locked(const char *msg)
{
    if (strncmp(g_said, msg, sizeof g_said - 1) == 0)
        return 0;
    snprintf(g_said, sizeof g_said, "%s", msg);
    return 1;
}

/* With g_store_lock held. Returns the store for this process, opening it if due. */
static pl_store *store_get_locked(void)
{
    if (g_store && g_store_generation != pl_process_generation()) {
        /* A forked child inherited the parent's connection. Closing it here could checkpoint or
         * unlink the parent's WAL and would release state the parent still relies on, so the
         * pointer is deliberately leaked and the child opens its own connection. */
        g_store = NULL;
        g_next_open = 0;
    }
    if (g_store)
        return g_store;
    double now = pl_now();
    if (g_next_open && now < g_next_open && g_store_generation == pl_process_generation())
        return NULL;
    const pl_config *c = pl_config_get();
    /* A capturing connection only appends: the pages it rewrites are the right edges of a few
     * B-trees, so a small page cache does (SQLite's default, 2 MB, is heap in every host). */
    pl_store_options opts = {.busy_timeout_ms = c->busy_timeout_ms, .cache_kib = PL_ENGINE_CACHE_KIB,
                             .wal_pages = PL_ENGINE_WAL_PAGES};
    char err[256] = "";
    pl_store *s = NULL;
    g_store_generation = pl_process_generation();
    if (pl_store_open(c->database_url, PL_STORE_CREATE, &opts, &s, err, sizeof err) != 0 || !s) {
        g_next_open = now + REOPEN_INTERVAL_S;
        if (say_once_locked(err[0] ? err : "unknown error"))
            pl_debug("cannot open database %s: %s (capture skipped; retry every %.0fs)", c->database_url,
                     err[0] ? err : "unknown error", REOPEN_INTERVAL_S);
        return NULL;
    }
    g_store = s;
    g_next_open = 0;
    return s;
}

long long pl_engine_store_insert(const pl_row *row, int *say, char *err, size_t errlen)
{
    long long id = -1;
    *say = 0;
    pthread_mutex_lock(&g_store_lock);
    pl_store *s = store_get_locked();
    if (s) {
        id = pl_store_insert(s, row, err, errlen);
        if (id > 0)
            g_said[0] = '\0';
        else
            *say = say_once_locked(err[0] ? err : "unknown error");
    }
    pthread_mutex_unlock(&g_store_lock);
    return id;
}

/* ---- fork and exit (process.h's order; called through the table) ---- */

void pl_engine_store_fork_prepare(void)
{
    pthread_mutex_lock(&g_store_lock);
}

void pl_engine_store_fork_parent(void)
{
    pthread_mutex_unlock(&g_store_lock);
}

void pl_engine_store_fork_child(void)
{
    pthread_mutex_unlock(&g_store_lock); /* store_get_locked forgets the inherited connection */
}

/* Taking the lock waits for an insert another thread may have in flight (bounded by the busy
 * timeout). A forked child never closes the connection it inherited. */
void pl_engine_store_close(void)
{
    pthread_mutex_lock(&g_store_lock);
    if (g_store && g_store_generation == pl_process_generation()) {
        pl_store_close(g_store);
        g_store = NULL;
    }
    pthread_mutex_unlock(&g_store_lock);
}
