/* process.c — the process lifecycle (process.h): pid and fork generation, the one pthread_atfork
 * registration and its documented step order, exit flushing and the per-process store. */
#include "process.h"
#include "doctor_report.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "curl_shadow.h"

/* After a failed open (unwritable path, newer schema, corrupt file) we try again at most this
 * often, so a broken database costs the host one failed open per interval, not one per call. */
#define REOPEN_INTERVAL_S 5.0

static volatile pid_t g_pid;          /* the process whose image our state describes */
static volatile unsigned g_generation; /* +1 in each fork child */

/* ---- the per-process store connection ---- */

static pthread_mutex_t g_store_lock = PTHREAD_MUTEX_INITIALIZER;
static pl_store *g_store;
static unsigned g_store_generation;
static double g_next_open;
/* The last failure reported under PROMPTLOG_DEBUG (g_store_lock held): a broken database gives
 * one line saying why, not one per call or per reopen attempt. Cleared by a success, so a cause
 * that comes back is reported again. */
static char g_said[256];

int pl_process_is_owner(void)
{
    return getpid() == g_pid;
}

unsigned pl_process_generation(void)
{
    return g_generation;
}

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
    if (g_store && g_store_generation != g_generation) {
        /* A forked child inherited the parent's connection. Closing it here could checkpoint or
         * unlink the parent's WAL and would release state the parent still relies on, so the
         * pointer is deliberately leaked and the child opens its own connection. */
        g_store = NULL;
        g_next_open = 0;
    }
    if (g_store)
        return g_store;
    double now = pl_now();
    if (g_next_open && now < g_next_open && g_store_generation == g_generation)
        return NULL;
    const pl_config *c = pl_config_get();
    pl_store_options opts = {.busy_timeout_ms = c->busy_timeout_ms};
    char err[256] = "";
    pl_store *s = NULL;
    g_store_generation = g_generation;
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

long long pl_process_store_insert(const pl_row *row, int *say, char *err, size_t errlen)
{
    long long id = -1;
    *say = 0;
    pl_self_enter();
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
    pl_self_leave();
    return id;
}

/* ---- fork: the one registration (order documented in process.h) ---- */

static void fork_prepare(void)
{
    pthread_mutex_lock(&g_store_lock);
    pl_curl_shadow_fork_prepare();
}

static void fork_parent(void)
{
    pl_curl_shadow_fork_release();
    pthread_mutex_unlock(&g_store_lock);
}

static void fork_child(void)
{
    g_pid = getpid();
    g_generation++;
    pthread_mutex_unlock(&g_store_lock); /* store_get_locked forgets the inherited connection */
    pl_curl_shadow_fork_release();
    pl_conn_fork_child();
    pl_doctor_fork_child();
}

/* ---- exit ---- */

/* Under PROMPTLOG_DEBUG, what this process captured and skipped (the skip reasons were said
 * once each when they happened). Silent for a process that saw no LLM call. */
static void say_totals(void)
{
    pl_stats st = pl_stats_get();
    if (st.captured || st.skipped)
        pl_debug("exit: %lu captured, %lu skipped", st.captured, st.skipped);
}

static void at_exit(void)
{
    pl_conn_finish_all();
}

void pl_process_image_ends(int ending)
{
    int saved = errno;
    if (pl_process_is_owner() && !pl_in_hook && !pl_in_self) {
        pl_conn_flush_in_flight();
        if (ending)
            say_totals();
    }
    errno = saved;
}

/* Runs first among our constructors (priority), so pid and registrations exist before any
 * other module's constructor or hook can need them. */
__attribute__((constructor(101))) static void process_init(void)
{
    int saved = errno;
    g_pid = getpid();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    /* atexit handlers run before any shared object's destructor, so the store is still usable;
     * registered early, this runs after the program's own handlers (which may still talk). */
    atexit(at_exit);
    errno = saved;
}

/* A shared object's destructors run after every atexit handler, i.e. after the final commit of
 * what was in flight. The store is closed so SQLite checkpoints its WAL; a forked child never
 * closes the connection it inherited. Taking the lock waits for an insert another thread may
 * have in flight (bounded by the busy timeout). */
__attribute__((destructor)) static void process_fini(void)
{
    int saved = errno;
    if (!pl_process_is_owner()) {
        errno = saved;
        return;
    }
    say_totals();
    pl_self_enter();
    pthread_mutex_lock(&g_store_lock);
    if (g_store && g_store_generation == g_generation) {
        pl_store_close(g_store);
        g_store = NULL;
    }
    pthread_mutex_unlock(&g_store_lock);
    pl_self_leave();
    errno = saved;
}
