/* engine.c — finds and loads the capture engine (engine.h) once, the first time a connection
 * looks like an LLM call, without ever blocking the host on a lock it cannot see.
 *
 * Why a helper thread. dlopen takes glibc's loader lock. It is recursive for one thread, so a
 * load from inside a constructor run by the program's own dlopen is fine on that thread; but if
 * ANOTHER thread holds it (its dlopen runs a constructor that waits for this thread) a dlopen
 * here would hang the program. So: a single-threaded process (no other thread can hold it)
 * loads on the calling thread; otherwise a detached helper thread loads while the caller waits
 * at most PL_ENGINE_WAIT_MS, then goes on uncaptured (one debug line) and the helper finishes
 * whenever the loader lock frees. We hold none of our locks while loading (callers' rule). */
#include "engine.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/single_threaded.h>
#include <time.h>
#include <unistd.h>

#include "process.h"

#define PL_ENGINE_WAIT_MS 2000

enum { E_NONE, E_LOADING, E_READY, E_FAILED };

static int g_state;                 /* E_*, atomic */
static const pl_engine *g_engine;   /* set (release) before g_state = E_READY */
/* How long a caller waits for the helper: long the first time; after a wait ran out (the loader
 * lock is held, perhaps by a dlopen on that very thread) only briefly, so a program calling from
 * constructors is not slowed at every call. Said once. */
static int g_wait_ms = PL_ENGINE_WAIT_MS;
static int g_said_busy;
static char g_path[4096];           /* the engine next to this library, found at start-up */

/* Unit tests link the engine objects statically: the table is then right here. */
extern const pl_engine pl_engine_v1 __attribute__((weak, visibility("hidden")));

/* The cJSON the engine links (its DT_NEEDED); if the program loaded it first, its hooks are the
 * program's business. */
#define PL_CJSON_SONAME "libcjson.so.1"

static void host_stats(int committed) { pl_stats_count(committed); }

static const pl_engine_host g_host = {
    .version = PL_ENGINE_VERSION,
    .debug = pl_debug,
    .stats_count = host_stats,
    .generation = pl_process_generation,
};
static pl_engine_host g_host_rt;

const pl_engine *pl_engine_get(void)
{
    if (__atomic_load_n(&g_state, __ATOMIC_ACQUIRE) == E_READY)
        return g_engine;
    return NULL;
}

int pl_engine_unavailable(void)
{
    return __atomic_load_n(&g_state, __ATOMIC_ACQUIRE) == E_FAILED;
}

/* The directory of this library as the loader saw it, made absolute now (the program may
 * chdir before its first LLM call). No allocation: start-up is the hot path of every process. */
__attribute__((constructor)) static void engine_path_init(void)
{
    int saved = errno;
    Dl_info info;
    if (dladdr((void *)engine_path_init, &info) && info.dli_fname) {
        const char *slash = strrchr(info.dli_fname, '/');
        size_t dir = slash ? (size_t)(slash - info.dli_fname) + 1 : 0;
        size_t n = 0;
        if (info.dli_fname[0] != '/' && getcwd(g_path, sizeof g_path - 1)) {
            n = strlen(g_path);
            g_path[n++] = '/';
        }
        if (n + dir + sizeof PL_ENGINE_FILE <= sizeof g_path) {
            memcpy(g_path + n, info.dli_fname, dir);
            memcpy(g_path + n + dir, PL_ENGINE_FILE, sizeof PL_ENGINE_FILE);
        } else {
            g_path[0] = '\0';
        }
    }
    errno = saved;
}

/* On the thread that loads; our own I/O throughout (the engine's libraries' constructors). */
static void load_now(void)
{
    pl_self_enter();
    const pl_engine *e = &pl_engine_v1;
    char why[512] = "";
    int cjson_before = 1;
    if (!e) {
        void *cj = dlopen(PL_CJSON_SONAME, RTLD_LAZY | RTLD_NOLOAD);
        cjson_before = cj != NULL;
        if (cj)
            dlclose(cj);
        void *h = g_path[0] ? dlopen(g_path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) : NULL;
        if (!h)
            snprintf(why, sizeof why, "%.480s", g_path[0] ? dlerror() : "own path unknown");
        e = h ? dlsym(h, PL_ENGINE_TABLE) : NULL;
        if (h && !e)
            snprintf(why, sizeof why, "no %s in %.400s", PL_ENGINE_TABLE, g_path);
    }
    if (e && e->version != PL_ENGINE_VERSION) {
        snprintf(why, sizeof why, "%.400s is version %u, want %u", g_path, e->version, PL_ENGINE_VERSION);
        e = NULL;
    }
    if (e) {
        g_host_rt = g_host;
        g_host_rt.config = pl_config_get();
        g_host_rt.json_hooks_free = !cjson_before;
        e->init(&g_host_rt);
        g_engine = e;
        __atomic_store_n(&g_state, E_READY, __ATOMIC_RELEASE);
        /* (silent: a debug session's lines are about the program's calls, not our layout) */
    } else {
        __atomic_store_n(&g_state, E_FAILED, __ATOMIC_RELEASE);
        pl_debug("cannot load the capture engine: %s (capture skipped)", why);
    }
    pl_self_leave();
}

static void *loader_main(void *arg)
{
    (void)arg;
    pl_in_self = 1; /* this thread only ever does our own work */
    load_now();
    return NULL;
}

/* Starts the helper with every signal blocked: the host's handlers never run on our thread. */
static int start_helper(void)
{
    pthread_attr_t attr;
    sigset_t all, old;
    pthread_t t;
    if (pthread_attr_init(&attr) != 0)
        return -1;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&t, &attr, loader_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return rc == 0 ? 0 : -1;
}

static int wait_ready(int ms)
{
    for (int waited_us = 0; waited_us < ms * 1000; waited_us += 100) {
        int s = __atomic_load_n(&g_state, __ATOMIC_ACQUIRE);
        if (s != E_LOADING)
            return s == E_READY ? 0 : -1;
        nanosleep(&(struct timespec){0, 100 * 1000}, NULL);
    }
    return __atomic_load_n(&g_state, __ATOMIC_ACQUIRE) == E_READY ? 0 : -1;
}

int pl_engine_load(void)
{
    int s = __atomic_load_n(&g_state, __ATOMIC_ACQUIRE);
    if (s == E_READY)
        return 0;
    if (s == E_FAILED || pl_in_self || !pl_process_is_owner())
        return -1;
    int saved = errno;
    int rc = -1;
    int expect = E_NONE;
    if (__atomic_compare_exchange_n(&g_state, &expect, E_LOADING, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        if (__libc_single_threaded) {
            load_now();
            rc = pl_engine_get() ? 0 : -1;
            goto out;
        }
        if (start_helper() != 0) {
            __atomic_store_n(&g_state, E_NONE, __ATOMIC_RELEASE);
            pl_debug("cannot start the engine loader thread: this call is not captured");
            goto out;
        }
    } else if (expect != E_LOADING) {
        rc = expect == E_READY ? 0 : -1;
        goto out;
    }
    rc = wait_ready(__atomic_load_n(&g_wait_ms, __ATOMIC_RELAXED));
    if (rc != 0 && __atomic_load_n(&g_state, __ATOMIC_ACQUIRE) == E_LOADING) {
        __atomic_store_n(&g_wait_ms, 100, __ATOMIC_RELAXED);
        if (__atomic_exchange_n(&g_said_busy, 1, __ATOMIC_ACQ_REL) == 0)
            pl_debug("capture engine still loading (the dynamic loader is busy, e.g. inside a "
                     "dlopen): calls are not captured until it is loaded");
    }
out:
    errno = saved;
    return rc;
}

/* A fork while the helper is inside dlopen would copy a half-loaded engine into the child (its
 * dlopen could then find the object mapped but never initialised): wait for the load to end.
 * The helper holds no lock of ours, so this only waits on the loader itself (bounded). */
void pl_engine_fork_prepare(void)
{
    if (__atomic_load_n(&g_state, __ATOMIC_ACQUIRE) == E_LOADING)
        wait_ready(__atomic_load_n(&g_wait_ms, __ATOMIC_RELAXED));
}

void pl_engine_fork_child(void)
{
    /* Still loading after that wait: the child has a half-loaded engine it must never touch. */
    if (__atomic_load_n(&g_state, __ATOMIC_ACQUIRE) == E_LOADING) {
        __atomic_store_n(&g_state, E_FAILED, __ATOMIC_RELEASE);
        pl_debug("the capture engine was still loading at fork: this child captures nothing");
    }
}
