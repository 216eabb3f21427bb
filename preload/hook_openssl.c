/* hook_openssl.c — OpenSSL interposition: SSL_write/_ex and SSL_read/_ex hand the plaintext the
 * program actually moved to the connection table; SSL_new/shutdown/free bound each connection.
 * The rules and the shared body are tls_layer.h's. SSL_peek is not hooked: peeked bytes are
 * read again. <openssl/ssl.h> is included for the types and constants only. */
#include <openssl/ssl.h>

#include "patch.h"
#include "tls_layer.h"

typedef int (*write_fn)(SSL *, const void *, int);
typedef int (*write_ex_fn)(SSL *, const void *, size_t, size_t *);
typedef int (*read_fn)(SSL *, void *, int);
typedef int (*read_ex_fn)(SSL *, void *, size_t, size_t *);
typedef int (*shutdown_fn)(SSL *);
typedef void (*free_fn)(SSL *);
typedef SSL *(*new_fn)(SSL_CTX *);
typedef int (*get_error_fn)(const SSL *, int);

static void *r_write, *r_write_ex, *r_read, *r_read_ex, *r_shutdown, *r_free, *r_new, *r_get_error;

/* WANT_READ/WANT_WRITE only ask to retry; a clean close or a fatal error ends the session. */
static int read_ended(void *s, long ret)
{
    get_error_fn ge = (get_error_fn)PL_REAL(r_get_error, "SSL_get_error", NULL);
    if (!ge)
        return ret == 0;
    int e = ge(s, (int)ret);
    return e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL;
}

static const pl_tls_lib openssl = {PL_SOURCE_OPENSSL, read_ended};

PL_EXPORT int SSL_write(SSL *s, const void *buf, int num)
{
    PL_TLS_REAL(write_fn, fn, r_write, "SSL_write", SSL_write, -1);
    if (!pl_tls_enter(PL_TLS_WRITE))
        return fn(s, buf, num);
    int r = fn(s, buf, num);
    pl_tls_wrote(&openssl, s, buf, r > 0 ? (size_t)r : 0);
    return r;
}

PL_EXPORT int SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *written)
{
    PL_TLS_REAL(write_ex_fn, fn, r_write_ex, "SSL_write_ex", SSL_write_ex, 0);
    if (!pl_tls_enter(PL_TLS_WRITE))
        return fn(s, buf, num, written);
    int r = fn(s, buf, num, written);
    pl_tls_wrote(&openssl, s, buf, r > 0 && written ? *written : 0);
    return r;
}

PL_EXPORT int SSL_read(SSL *s, void *buf, int num)
{
    PL_TLS_REAL(read_fn, fn, r_read, "SSL_read", SSL_read, -1);
    if (!pl_tls_enter(PL_TLS_READ))
        return fn(s, buf, num);
    int r = fn(s, buf, num);
    pl_tls_got(&openssl, s, buf, r > 0 ? (size_t)r : 0, r);
    return r;
}

PL_EXPORT int SSL_read_ex(SSL *s, void *buf, size_t num, size_t *readbytes)
{
    PL_TLS_REAL(read_ex_fn, fn, r_read_ex, "SSL_read_ex", SSL_read_ex, 0);
    if (!pl_tls_enter(PL_TLS_READ))
        return fn(s, buf, num, readbytes);
    int r = fn(s, buf, num, readbytes);
    pl_tls_got(&openssl, s, buf, r > 0 && readbytes ? *readbytes : 0, r);
    return r;
}

PL_EXPORT int SSL_shutdown(SSL *s)
{
    PL_TLS_REAL(shutdown_fn, fn, r_shutdown, "SSL_shutdown", SSL_shutdown, -1);
    if (!pl_tls_enter(PL_TLS_EVENT))
        return fn(s);
    int r = fn(s);
    pl_tls_closed(s, 0);
    pl_tls_leave();
    return r;
}

PL_EXPORT void SSL_free(SSL *s)
{
    free_fn fn = (free_fn)PL_REAL(r_free, "SSL_free", SSL_free);
    PL_TLS_FREE(fn, s, "SSL_free");
}

PL_EXPORT SSL *SSL_new(SSL_CTX *ctx)
{
    PL_TLS_REAL(new_fn, fn, r_new, "SSL_new", SSL_new, NULL);
    if (!pl_tls_enter(PL_TLS_EVENT))
        return fn(ctx);
    SSL *s = fn(ctx);
    pl_tls_opened(s);
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
