/* tls_layer.h — the one path every TLS library's hooks share (hook_openssl.c, hook_gnutls.c):
 * when a call is observed, what its transferred plaintext and session events do to the
 * connection table, and the failure when the real function is missing. A new TLS library is one
 * small file: its exported hooks, its read-ended rule, and these calls.
 *
 * Rules every TLS hook follows: the real function is called exactly once with the program's
 * arguments, and its return value and errno come back untouched; bytes are fed only when the
 * call transferred them; our own I/O (pl_in_self), nested calls (pl_in_hook, e.g. SSL_read over
 * SSL_read_ex) and, for data calls, calls inside libcurl (pl_in_curl: the curl hooks record
 * those) pass straight through. The TLS libraries are never linked: their headers give types. */
#ifndef PL_TLS_LAYER_H
#define PL_TLS_LAYER_H

#include <stddef.h>

#include "conn.h"
#include "symbols.h"

typedef struct pl_tls_lib {
    pl_source src;
    /* After a read that moved nothing: did the session end (peer close, fatal error), rather
     * than ask for a retry? ret is the real function's return value. */
    int (*read_ended)(void *session, long ret);
} pl_tls_lib;

/* What a hooked call is: a session event, or a data call in one direction. */
enum { PL_TLS_EVENT = 0, PL_TLS_READ = 1, PL_TLS_WRITE = 2 };

/* The data directions this thread is inside (PL_TLS_READ | PL_TLS_WRITE bits). The guard is per
 * direction: a read nested in a read (SSL_read over SSL_read_ex) is the library calling itself
 * and must not be fed twice, but a write nested in a read is the program's own: node runs
 * JavaScript from inside SSL_read (session tickets, the handshake's end) and that JavaScript
 * writes the request. */
PL_HIDDEN extern PL_TLS int pl_tls_dirs;

/* 1 when this call is observed (pl_in_hook is raised, so the socket hooks ignore the library's
 * own I/O: one of the pl_tls_* "leave" calls below must follow), 0 when it passes straight
 * through. Data calls inside libcurl are not ours (the curl hooks record those); session events
 * are observed there too. */
static inline int pl_tls_enter(int what)
{
    if (pl_in_self)
        return 0;
    if (what == PL_TLS_EVENT) {
        if (pl_in_hook)
            return 0;
    } else if (pl_in_curl || (pl_tls_dirs & what)) {
        return 0;
    }
    pl_in_hook++;
    pl_tls_dirs |= what;
    return 1;
}

/* Leave after a write that moved `moved` bytes from buf (a NULL buf with bytes moved is a retry
 * whose bytes we cannot see: the session is ignored from then on). Preserve errno. */
PL_HIDDEN void pl_tls_wrote(const pl_tls_lib *lib, void *session, const void *buf, size_t moved);
/* Leave after a read that moved `moved` bytes into buf; when none, ret tells whether it ended. */
PL_HIDDEN void pl_tls_got(const pl_tls_lib *lib, void *session, const void *buf, size_t moved, long ret);
/* Leave after a session was created at this address (stale state there is dropped). */
PL_HIDDEN void pl_tls_opened(void *session);
/* The program shut the session down (forget = 0) or is freeing it (forget = 1, before the
 * real free so the address cannot be handed out meanwhile). Does not leave. */
PL_HIDDEN void pl_tls_closed(void *session, int forget);
PL_HIDDEN void pl_tls_leave(void);

/* Our symbol is only reached because the program links or dlsym's the library, so the real one
 * is loaded; if it still cannot be found, fail the call the way a broken TLS stack would. */
PL_HIDDEN void pl_tls_missing(const char *name);

/* The body of a session-free hook: the entry is forgotten before the real free (so the address
 * cannot be handed out meanwhile); a missing real function leaks the object, the only
 * non-crashing choice. */
#define PL_TLS_FREE(fn, session, name) do {                 \
        int observed_ = pl_tls_enter(0);                    \
        if (observed_)                                      \
            pl_tls_closed((session), 1);                    \
        if (fn)                                             \
            (fn)(session);                                  \
        else if (observed_)                                 \
            pl_tls_missing(name);                           \
        if (observed_)                                      \
            pl_tls_leave();                                 \
    } while (0)

/* type var = the real function, or fail the hook with `fail`. */
#define PL_TLS_REAL(type, var, slot, name, self, fail)      \
    type var = (type)PL_REAL(slot, name, self);             \
    if (!var) {                                             \
        pl_tls_missing(name);                               \
        return fail;                                        \
    }

#endif
