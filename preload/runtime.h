/* runtime.h — configuration read once from the environment, debug output, counters and the
 * per-thread re-entrancy flags; and the map of every other piece of process-wide state:
 *   process.c      pid, fork generation, the one pthread_atfork registration, atexit
 *                  (process.h documents the fork and exit order)
 *   engine.c       the capture engine's load state and table (engine.h): the only state that
 *                  says whether libpromptlog-engine.so is mapped; the engine's own state (the
 *                  store connection and its lock, engine/store_conn.c) lives in that object
 *   conn.c         the connection table (buckets, stripe locks, the exiting flag), the lock-free
 *                  ignored set, and a per-thread queue of exchanges awaiting commit
 *   hook_socket.c  one mark byte and one socket inode per fd below PL_SOCK_MAX_FD
 *   curl_shadow.c  the libcurl handle → shadow table and its lock
 *   capture.c      endpoint rules, parsed once (the program name is the engine's, engine/commit.c)
 *   hook_*.c       the resolved real functions (one pointer slot per hook, set once, atomically)
 * Nothing else in preload/ outlives a call. The boundary between this object (libc only) and
 * the engine is drawn in engine.h. The per-thread flags below exist only here: the engine has
 * no copy, its callers raise pl_in_self around every engine call that may do I/O.
 *
 * Invariants: nothing here ever writes to stdout, exits, aborts or changes errno as seen by the
 * host; diagnostics go to stderr only when PROMPTLOG_DEBUG is set. */
#ifndef PL_RUNTIME_H
#define PL_RUNTIME_H

#include <stddef.h>

#define PL_HIDDEN __attribute__((visibility("hidden")))
#define PL_EXPORT __attribute__((visibility("default")))

typedef struct pl_config {
    char *database_url;     /* PROMPTLOG_DATABASE, default "sqlite:///prompts.db" */
    char *ns;               /* PROMPTLOG_NAMESPACE, default "default" */
    int debug;              /* PROMPTLOG_DEBUG */
    size_t max_body;        /* PROMPTLOG_MAX_BODY bytes per body, default 16 MiB */
    char *redact;           /* PROMPTLOG_REDACT extra names, may be NULL */
    int busy_timeout_ms;    /* PROMPTLOG_BUSY_TIMEOUT_MS, default 2000 */
    int disabled;           /* PROMPTLOG_DISABLE=1, or a setuid/setgid process */
    char *endpoints;        /* PROMPTLOG_ENDPOINTS extra LLM endpoint rules, may be NULL */
    char *ignore;           /* PROMPTLOG_IGNORE endpoint rules never captured, may be NULL */
} pl_config;

/* Read once, lazily, thread-safe. Never NULL. */
PL_HIDDEN const pl_config *pl_config_get(void);
/* The `disabled` rule alone (a setuid/setgid process, or PROMPTLOG_DISABLE=1), for start-up code
 * (the patchers' constructors) that must not freeze the whole configuration that early. */
PL_HIDDEN int pl_config_disabled_env(void);

/* One line on stderr, prefixed "promptlog: ", only when PROMPTLOG_DEBUG is set. Preserves errno. */
PL_HIDDEN void pl_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Per-thread depth of libcurl calls in progress. While > 0, TLS hooks must not capture:
 * libcurl's own hooks record the exchange with decoded bodies, once. */
/* The flags use the initial-exec TLS model: one %fs-relative load, no __tls_get_addr call, on
 * every hooked read/write. (A preloaded library has static TLS; a dlopen'ed one gets glibc's
 * surplus, ample for three ints.) */
#define PL_TLS __thread __attribute__((tls_model("initial-exec")))
PL_HIDDEN extern PL_TLS int pl_in_curl;
/* Per-thread guard against re-entering our own hooks (e.g. SSL_read calling SSL_read_ex). */
PL_HIDDEN extern PL_TLS int pl_in_hook;
/* Per-thread depth of the library's own I/O: store calls (SQLite's open/read/write/close/fsync)
 * and debug writes. Every exported hook tests it first and, when set, calls the real function
 * with no lookup and no lock: our own I/O must never re-enter our bookkeeping (a stale fd mark
 * reused by SQLite would otherwise take a lock this thread already holds). */
PL_HIDDEN extern PL_TLS int pl_in_self;
static inline void pl_self_enter(void) { pl_in_self++; }
static inline void pl_self_leave(void) { pl_in_self--; }

/* Counters, readable for tests and debug output. */
typedef struct pl_stats {
    unsigned long captured;     /* rows committed */
    unsigned long skipped;      /* exchanges dropped because the store failed */
} pl_stats;
PL_HIDDEN pl_stats pl_stats_get(void);
PL_HIDDEN void pl_stats_count(int committed);

#endif
