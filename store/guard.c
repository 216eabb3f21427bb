/* guard.c — the store's small shared mechanisms: one-line error texts, the bounded wait budget
 * with jittered retries, and the SIGXFSZ guard that keeps a file-size limit from killing the host. */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

void pl_store_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    for (char *p = err; *p; p++)   /* one line, whatever SQLite's message holds */
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

int pl_store_is_busy(int rc)
{
    rc &= 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

const char *pl_store_errtext(const char *path, int rc, sqlite3 *db, char *tmp, size_t tmplen)
{
    int prim = rc & 0xff;
    if (prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT)
        snprintf(tmp, tmplen, "%s is not a SQLite database or is corrupt", path);
    else if (prim == SQLITE_CANTOPEN)
        snprintf(tmp, tmplen, "cannot open %s", path);
    else if (prim == SQLITE_READONLY || prim == SQLITE_PERM)
        snprintf(tmp, tmplen, "%s is not writable", path);
    else if (pl_store_is_busy(rc))
        snprintf(tmp, tmplen, "%s is locked by another process", path);
    else
        snprintf(tmp, tmplen, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    return tmp;
}

double pl_store_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double pl_store_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int pl_store_budget_left(pl_store *s, double deadline)
{
    double left = deadline - pl_store_mono_ms();
    if (left <= 0)
        return 0;
    sqlite3_busy_timeout(s->db, (int)left + 1);
    return 1;
}

void pl_store_jitter(pl_store *s, double max_ms)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    double ms = 1.0 + (double)(s->rng % 9000) / 1000.0;   /* 1..10 ms */
    if (ms > max_ms)
        ms = max_ms;
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* While we write, SIGXFSZ is blocked so write() fails with EFBIG instead (SQLite reports a full
 * disk), and a SIGXFSZ we caused is consumed before the mask is restored. Three system calls, on
 * every commit (issue 14). If the thread already blocked SIGXFSZ, nothing is consumed: a pending
 * one stays the host's. If it did not, none can have been pending for this thread when we blocked
 * it (an unblocked one is delivered at the latest on the return of our previous system call), so
 * there is nothing to tell apart with a sigpending before the write: a SIGXFSZ that arrives while
 * we hold it blocked is taken as ours, as it was when that check was made. */
void pl_xfsz_block(pl_xfsz_guard *g)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

void pl_xfsz_restore(pl_xfsz_guard *g)
{
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGXFSZ);
    if (!sigismember(&g->old, SIGXFSZ) && sigpending(&pend) == 0 && sigismember(&pend, SIGXFSZ)) {
        struct timespec zero = {0, 0};
        int saved = errno;
        sigtimedwait(&set, NULL, &zero);
        errno = saved;
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}
