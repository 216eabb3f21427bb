/* hook_gnutls.c — GnuTLS interposition (wget and other GnuTLS programs): record send/recv hand
 * the plaintext moved to the connection table; gnutls_init/bye/deinit bound each session.
 *
 * Same rules as hook_openssl.c: one call of the real function with the program's arguments,
 * return value and errno untouched, bytes fed only when transferred, nested and in-libcurl calls
 * pass through. libgnutls is never linked: <gnutls/gnutls.h> gives the types and constants. */
#include <errno.h>
#include <gnutls/gnutls.h>

#include "conn.h"
#include "symbols.h"

typedef ssize_t (*send_fn)(gnutls_session_t, const void *, size_t);
typedef ssize_t (*recv_fn)(gnutls_session_t, void *, size_t);
typedef int (*bye_fn)(gnutls_session_t, gnutls_close_request_t);
typedef void (*deinit_fn)(gnutls_session_t);
typedef int (*init_fn)(gnutls_session_t *, unsigned int);
typedef int (*is_fatal_fn)(int);

static void *r_send, *r_recv, *r_bye, *r_deinit, *r_init, *r_is_fatal;

static void missing(const char *name)
{
    pl_debug("real %s not found: failing the call", name);
    errno = ENOSYS;
}

/* A negative recv result that ends the session (as opposed to "try again"). */
static int recv_ended(ssize_t r)
{
    if (r == 0)
        return 1;
    is_fatal_fn f = (is_fatal_fn)PL_REAL(r_is_fatal, "gnutls_error_is_fatal", NULL);
    if (f)
        return f((int)r) != 0;
    return !(r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_REHANDSHAKE ||
             r == GNUTLS_E_WARNING_ALERT_RECEIVED);
}

PL_EXPORT ssize_t gnutls_record_send(gnutls_session_t s, const void *data, size_t size)
{
    send_fn fn = (send_fn)PL_REAL(r_send, "gnutls_record_send", gnutls_record_send);
    if (!fn) {
        missing("gnutls_record_send");
        return GNUTLS_E_INTERNAL_ERROR;
    }
    if (pl_in_hook || pl_in_curl)
        return fn(s, data, size);
    pl_in_hook++;
    ssize_t r = fn(s, data, size);
    int saved = errno;
    if (r > 0) {
        if (data)
            pl_conn_data(s, PL_SOURCE_GNUTLS, PL_DIR_OUT, data, (size_t)r);
        else
            pl_conn_ignore(s); /* a retry after E_AGAIN with NULL: the bytes are not visible here */
    }
    pl_in_hook--;
    errno = saved;
    return r;
}

PL_EXPORT ssize_t gnutls_record_recv(gnutls_session_t s, void *data, size_t size)
{
    recv_fn fn = (recv_fn)PL_REAL(r_recv, "gnutls_record_recv", gnutls_record_recv);
    if (!fn) {
        missing("gnutls_record_recv");
        return GNUTLS_E_INTERNAL_ERROR;
    }
    if (pl_in_hook || pl_in_curl)
        return fn(s, data, size);
    pl_in_hook++;
    ssize_t r = fn(s, data, size);
    int saved = errno;
    if (r > 0)
        pl_conn_data(s, PL_SOURCE_GNUTLS, PL_DIR_IN, data, (size_t)r);
    else if (recv_ended(r))
        pl_conn_eof(s);
    pl_in_hook--;
    errno = saved;
    return r;
}

PL_EXPORT int gnutls_bye(gnutls_session_t s, gnutls_close_request_t how)
{
    bye_fn fn = (bye_fn)PL_REAL(r_bye, "gnutls_bye", gnutls_bye);
    if (!fn) {
        missing("gnutls_bye");
        return GNUTLS_E_INTERNAL_ERROR;
    }
    if (pl_in_hook)
        return fn(s, how);
    pl_in_hook++;
    int saved = errno;
    pl_conn_end(s, 0); /* before: bye may block on the peer, the record is complete already */
    errno = saved;
    int r = fn(s, how);
    pl_in_hook--;
    return r;
}

PL_EXPORT void gnutls_deinit(gnutls_session_t s)
{
    deinit_fn fn = (deinit_fn)PL_REAL(r_deinit, "gnutls_deinit", gnutls_deinit);
    if (pl_in_hook) {
        if (fn)
            fn(s);
        return;
    }
    pl_in_hook++;
    int saved = errno;
    if (s)
        pl_conn_end(s, 1);
    errno = saved;
    if (fn)
        fn(s);
    else
        missing("gnutls_deinit");
    pl_in_hook--;
}

PL_EXPORT int gnutls_init(gnutls_session_t *session, unsigned int flags)
{
    init_fn fn = (init_fn)PL_REAL(r_init, "gnutls_init", gnutls_init);
    if (!fn) {
        missing("gnutls_init");
        return GNUTLS_E_INTERNAL_ERROR;
    }
    if (pl_in_hook)
        return fn(session, flags);
    pl_in_hook++;
    int r = fn(session, flags);
    int saved = errno;
    if (r == 0 && session && *session)
        pl_conn_new(*session);
    pl_in_hook--;
    errno = saved;
    return r;
}
