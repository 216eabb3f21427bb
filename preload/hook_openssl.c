/* hook_openssl.c — OpenSSL interposition: SSL_write/_ex and SSL_read/_ex hand the plaintext the
 * program actually moved to the connection table; SSL_new/shutdown/free bound each connection.
 *
 * Rules every hook follows: the real function is called exactly once with the program's
 * arguments and its return value and errno come back untouched; bytes are fed only when the
 * call transferred them (return > 0, *readbytes, *written); nested calls in the same direction
 * (e.g. SSL_read implemented over SSL_read_ex) and calls inside libcurl (pl_in_curl: the curl hooks
 * record those) pass straight through. SSL_peek is not hooked: peeked bytes are read again.
 * libssl is never linked: <openssl/ssl.h> is included for the types and constants only. */
#include <errno.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "patch.h"
#include "symbols.h"

typedef int (*write_fn)(SSL *, const void *, int);
typedef int (*write_ex_fn)(SSL *, const void *, size_t, size_t *);
typedef int (*read_fn)(SSL *, void *, int);
typedef int (*read_ex_fn)(SSL *, void *, size_t, size_t *);
typedef int (*shutdown_fn)(SSL *);
typedef void (*free_fn)(SSL *);
typedef SSL *(*new_fn)(SSL_CTX *);
typedef int (*get_error_fn)(const SSL *, int);

/* Re-entrancy guard per direction: a read nested in a read (or a write in a write) is libssl
 * calling itself and must not be fed twice; but a write nested in a read is the program's own:
 * node runs JavaScript from inside SSL_read (handshake done, session ticket) and that JavaScript
 * writes the request. pl_in_hook is still raised so the socket hooks ignore libssl's own I/O. */
static __thread int g_in_read, g_in_write;

static void *r_write, *r_write_ex, *r_read, *r_read_ex, *r_shutdown, *r_free, *r_new, *r_get_error;

/* Our symbol is only reached because the program links or dlsym's libssl, so the real one is
 * loaded; if it still cannot be found, fail the call the way a broken TLS stack would. */
static void missing(const char *name)
{
    pl_debug("real %s not found: failing the call", name);
    errno = ENOSYS;
}

/* After a failed read: did the connection end (peer close or fatal error), rather than
 * WANT_READ/WANT_WRITE, which only ask to retry? */
static int read_ended(SSL *s, int ret)
{
    get_error_fn ge = (get_error_fn)PL_REAL(r_get_error, "SSL_get_error", NULL);
    if (!ge)
        return ret == 0;
    int e = ge(s, ret);
    return e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL;
}

PL_EXPORT int SSL_write(SSL *s, const void *buf, int num)
{
    write_fn fn = (write_fn)PL_REAL(r_write, "SSL_write", SSL_write);
    if (!fn) {
        missing("SSL_write");
        return -1;
    }
    if (g_in_write || pl_in_curl)
        return fn(s, buf, num);
    pl_in_hook++;
    g_in_write++;
    int r = fn(s, buf, num);
    int saved = errno;
    if (r > 0)
        pl_conn_data(s, PL_SOURCE_OPENSSL, PL_DIR_OUT, buf, (size_t)r);
    g_in_write--;
    pl_in_hook--;
    errno = saved;
    return r;
}

PL_EXPORT int SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *written)
{
    write_ex_fn fn = (write_ex_fn)PL_REAL(r_write_ex, "SSL_write_ex", SSL_write_ex);
    if (!fn) {
        missing("SSL_write_ex");
        return 0;
    }
    if (g_in_write || pl_in_curl)
        return fn(s, buf, num, written);
    pl_in_hook++;
    g_in_write++;
    int r = fn(s, buf, num, written);
    int saved = errno;
    if (r > 0 && written && *written)
        pl_conn_data(s, PL_SOURCE_OPENSSL, PL_DIR_OUT, buf, *written);
    g_in_write--;
    pl_in_hook--;
    errno = saved;
    return r;
}

PL_EXPORT int SSL_read(SSL *s, void *buf, int num)
{
    read_fn fn = (read_fn)PL_REAL(r_read, "SSL_read", SSL_read);
    if (!fn) {
        missing("SSL_read");
        return -1;
    }
    if (g_in_read || pl_in_curl)
        return fn(s, buf, num);
    pl_in_hook++;
    g_in_read++;
    int r = fn(s, buf, num);
    int saved = errno;
    if (r > 0)
        pl_conn_data(s, PL_SOURCE_OPENSSL, PL_DIR_IN, buf, (size_t)r);
    else if (read_ended(s, r))
        pl_conn_eof(s);
    g_in_read--;
    pl_in_hook--;
    errno = saved;
    return r;
}

PL_EXPORT int SSL_read_ex(SSL *s, void *buf, size_t num, size_t *readbytes)
{
    read_ex_fn fn = (read_ex_fn)PL_REAL(r_read_ex, "SSL_read_ex", SSL_read_ex);
    if (!fn) {
        missing("SSL_read_ex");
        return 0;
    }
    if (g_in_read || pl_in_curl)
        return fn(s, buf, num, readbytes);
    pl_in_hook++;
    g_in_read++;
    int r = fn(s, buf, num, readbytes);
    int saved = errno;
    if (r > 0) {
        if (readbytes && *readbytes)
            pl_conn_data(s, PL_SOURCE_OPENSSL, PL_DIR_IN, buf, *readbytes);
    } else if (read_ended(s, r)) {
        pl_conn_eof(s);
    }
    g_in_read--;
    pl_in_hook--;
    errno = saved;
    return r;
}

PL_EXPORT int SSL_shutdown(SSL *s)
{
    shutdown_fn fn = (shutdown_fn)PL_REAL(r_shutdown, "SSL_shutdown", SSL_shutdown);
    if (!fn) {
        missing("SSL_shutdown");
        return -1;
    }
    if (pl_in_hook)
        return fn(s);
    pl_in_hook++;
    int r = fn(s);
    int saved = errno;
    pl_conn_end(s, 0);
    pl_in_hook--;
    errno = saved;
    return r;
}

PL_EXPORT void SSL_free(SSL *s)
{
    free_fn fn = (free_fn)PL_REAL(r_free, "SSL_free", SSL_free);
    if (pl_in_hook) {
        if (fn)
            fn(s);
        return;
    }
    pl_in_hook++;
    int saved = errno;
    /* Forget the entry before the address can be handed out again by another thread's SSL_new. */
    if (s)
        pl_conn_end(s, 1);
    errno = saved;
    if (fn)
        fn(s);
    else
        missing("SSL_free"); /* leaking the object is the only non-crashing choice */
    pl_in_hook--;
}

PL_EXPORT SSL *SSL_new(SSL_CTX *ctx)
{
    new_fn fn = (new_fn)PL_REAL(r_new, "SSL_new", SSL_new);
    if (!fn) {
        missing("SSL_new");
        return NULL;
    }
    if (pl_in_hook)
        return fn(ctx);
    pl_in_hook++;
    SSL *s = fn(ctx);
    int saved = errno;
    if (s)
        pl_conn_new(s);
    pl_in_hook--;
    errno = saved;
    return s;
}

/* For the patchers (patch.h): our own hook addresses — `&SSL_write` taken here resolves to the
 * executable's SSL_write when it exports one, as node does — and the slots they fill. */
#define PL_OWN(fn) extern __typeof__(fn) pl_own_##fn __attribute__((alias(#fn), visibility("hidden")))
PL_OWN(SSL_write);
PL_OWN(SSL_write_ex);
PL_OWN(SSL_read);
PL_OWN(SSL_read_ex);
PL_OWN(SSL_shutdown);
PL_OWN(SSL_free);
PL_OWN(SSL_new);

const pl_patch_target *pl_openssl_patch_targets(size_t *n)
{
    static const pl_patch_target t[] = {
        {"SSL_write", (void *)pl_own_SSL_write, &r_write},
        {"SSL_write_ex", (void *)pl_own_SSL_write_ex, &r_write_ex},
        {"SSL_read", (void *)pl_own_SSL_read, &r_read},
        {"SSL_read_ex", (void *)pl_own_SSL_read_ex, &r_read_ex},
        {"SSL_shutdown", (void *)pl_own_SSL_shutdown, &r_shutdown},
        {"SSL_free", (void *)pl_own_SSL_free, &r_free},
        {"SSL_new", (void *)pl_own_SSL_new, &r_new},
        {"SSL_get_error", NULL, &r_get_error},
    };
    *n = sizeof t / sizeof t[0];
    return t;
}
