/* hook_gnutls.c — GnuTLS interposition (wget and other GnuTLS programs): record send/recv hand
 * the plaintext moved to the connection table; gnutls_init/bye/deinit bound each session.
 * The rules and the shared body are tls_layer.h's. <gnutls/gnutls.h> gives the types only. */
#include <gnutls/gnutls.h>

#include "tls_layer.h"

typedef ssize_t (*send_fn)(gnutls_session_t, const void *, size_t);
typedef ssize_t (*recv_fn)(gnutls_session_t, void *, size_t);
typedef int (*bye_fn)(gnutls_session_t, gnutls_close_request_t);
typedef void (*deinit_fn)(gnutls_session_t);
typedef int (*init_fn)(gnutls_session_t *, unsigned int);
typedef int (*is_fatal_fn)(int);

static void *r_send, *r_recv, *r_bye, *r_deinit, *r_init, *r_is_fatal;

/* A recv result that ends the session (as opposed to "try again"). */
static int recv_ended(void *s, long r)
{
    (void)s;
    if (r == 0)
        return 1;
    is_fatal_fn f = (is_fatal_fn)PL_REAL(r_is_fatal, "gnutls_error_is_fatal", NULL);
    if (f)
        return f((int)r) != 0;
    return !(r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_REHANDSHAKE ||
             r == GNUTLS_E_WARNING_ALERT_RECEIVED);
}

static const pl_tls_lib gnutls = {PL_SOURCE_GNUTLS, recv_ended};

PL_EXPORT ssize_t gnutls_record_send(gnutls_session_t s, const void *data, size_t size)
{
    PL_TLS_REAL(send_fn, fn, r_send, "gnutls_record_send", gnutls_record_send, GNUTLS_E_INTERNAL_ERROR);
    if (!pl_tls_enter(PL_TLS_WRITE))
        return fn(s, data, size);
    ssize_t r = fn(s, data, size);
    /* (a retry after E_AGAIN passes NULL: its bytes are not visible here) */
    pl_tls_wrote(&gnutls, s, data, r > 0 ? (size_t)r : 0);
    return r;
}

PL_EXPORT ssize_t gnutls_record_recv(gnutls_session_t s, void *data, size_t size)
{
    PL_TLS_REAL(recv_fn, fn, r_recv, "gnutls_record_recv", gnutls_record_recv, GNUTLS_E_INTERNAL_ERROR);
    if (!pl_tls_enter(PL_TLS_READ))
        return fn(s, data, size);
    ssize_t r = fn(s, data, size);
    pl_tls_got(&gnutls, s, data, r > 0 ? (size_t)r : 0, (long)r);
    return r;
}

PL_EXPORT int gnutls_bye(gnutls_session_t s, gnutls_close_request_t how)
{
    PL_TLS_REAL(bye_fn, fn, r_bye, "gnutls_bye", gnutls_bye, GNUTLS_E_INTERNAL_ERROR);
    if (!pl_tls_enter(PL_TLS_EVENT))
        return fn(s, how);
    pl_tls_closed(s, 0); /* before: bye may block on the peer, the record is complete already */
    int r = fn(s, how);
    pl_tls_leave();
    return r;
}

PL_EXPORT void gnutls_deinit(gnutls_session_t s)
{
    deinit_fn fn = (deinit_fn)PL_REAL(r_deinit, "gnutls_deinit", gnutls_deinit);
    PL_TLS_FREE(fn, s, "gnutls_deinit");
}

PL_EXPORT int gnutls_init(gnutls_session_t *session, unsigned int flags)
{
    PL_TLS_REAL(init_fn, fn, r_init, "gnutls_init", gnutls_init, GNUTLS_E_INTERNAL_ERROR);
    if (!pl_tls_enter(PL_TLS_EVENT))
        return fn(session, flags);
    int r = fn(session, flags);
    pl_tls_opened(r == 0 && session ? *session : NULL);
    return r;
}
