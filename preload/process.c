/* process.c — the process lifecycle (process.h): pid and fork generation, the one pthread_atfork
 * registration and its documented step order, exit flushing; the store is the engine's. */
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
#include "engine.h"

static volatile pid_t g_pid;          /* the process whose image our state describes */
static volatile unsigned g_generation; /* +1 in each fork child */

int pl_process_is_owner(void)
{
    return getpid() == g_pid;
}

unsigned pl_process_generation(void)
{
    return g_generation;
}

/* ---- fork: the one registration (order documented in process.h) ---- */

/* The engine whose store lock this thread's prepare step took: the engine may finish loading
 * on another thread between prepare and parent/child, and only a lock taken is released. */
static PL_TLS const pl_engine *t_fork_engine;

static void fork_prepare(void)
{
    pl_engine_fork_prepare();
    t_fork_engine = pl_engine_get();
    if (t_fork_engine)
        t_fork_engine->fork_prepare();
    pl_curl_shadow_fork_prepare();
}

static void fork_parent(void)
{
    pl_curl_shadow_fork_release();
    if (t_fork_engine)
        t_fork_engine->fork_parent();
}

static void fork_child(void)
{
    g_pid = getpid();
    g_generation++;
    if (t_fork_engine)
        t_fork_engine->fork_child(); /* the store forgets the inherited connection */
    pl_curl_shadow_fork_release();
    pl_conn_fork_child();
    pl_engine_fork_child();
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
 * what was in flight. The engine's store is closed so SQLite checkpoints its WAL (a forked child
 * never closes the connection it inherited). */
__attribute__((destructor)) static void process_fini(void)
{
    int saved = errno;
    if (!pl_process_is_owner()) {
        errno = saved;
        return;
    }
    say_totals();
    const pl_engine *e = pl_engine_get();
    pl_self_enter();
    if (e)
        e->store_close();
    pl_self_leave();
    errno = saved;
}
