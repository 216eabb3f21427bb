/* hook_curl_multi.c — libcurl multi-interface interposition: a wanted transfer is armed when its
 * handle is added and finished on CURLMSG_DONE or removal (curl_xfer.h); the calls that move
 * data raise pl_in_curl so the TLS and socket hooks stay quiet underneath them. */
#include <errno.h>

#include "curl_xfer.h"
#include "symbols.h"

typedef CURLMcode (*madd_fn)(CURLM *, CURL *);
typedef CURLMsg *(*minfo_fn)(CURLM *, int *);

static madd_fn real_madd, real_mremove;
static minfo_fn real_minfo;

PL_EXPORT CURLMcode curl_multi_add_handle(CURLM *m, CURL *e)
{
    madd_fn real = PL_REAL(real_madd, "curl_multi_add_handle", curl_multi_add_handle);
    if (!real)
        return CURLM_INTERNAL_ERROR;
    /* curl_easy_perform drives its transfer through a private multi handle: already armed. */
    if (pl_in_curl)
        return real(m, e);
    pl_curl_shadow *sh = pl_curl_shadow_get(e, 0);
    pl_curl_xfer *t = sh && !sh->xfer ? pl_curl_xfer_begin(e, sh, 1) : NULL;
    CURLMcode rc = real(m, e);
    if (rc != CURLM_OK && t && sh->xfer == t) {
        int saved = errno;
        pl_curl_xfer_abandon(e, sh);
        errno = saved;
    }
    return rc;
}

PL_EXPORT CURLMsg *curl_multi_info_read(CURLM *m, int *msgs_in_queue)
{
    minfo_fn real = PL_REAL(real_minfo, "curl_multi_info_read", curl_multi_info_read);
    if (!real)
        return NULL;
    CURLMsg *msg = real(m, msgs_in_queue);
    if (msg && !pl_in_curl && msg->msg == CURLMSG_DONE) {
        pl_curl_shadow *sh = pl_curl_shadow_get(msg->easy_handle, 0);
        if (sh && sh->xfer && sh->xfer->multi)
            pl_curl_xfer_finish(msg->easy_handle, sh, msg->data.result, 1);
    }
    return msg;
}

PL_EXPORT CURLMcode curl_multi_remove_handle(CURLM *m, CURL *e)
{
    madd_fn real = PL_REAL(real_mremove, "curl_multi_remove_handle", curl_multi_remove_handle);
    if (!real)
        return CURLM_INTERNAL_ERROR;
    if (pl_in_curl)
        return real(m, e);
    CURLMcode rc = real(m, e);
    pl_curl_shadow *sh = pl_curl_shadow_get(e, 0);
    if (sh && sh->xfer && sh->xfer->multi)
        pl_curl_xfer_finish(e, sh, CURLE_OK, 0);
    return rc;
}

/* The calls that move data: the real function with pl_in_curl raised, nothing else. One line
 * each: name, parameter list, argument list. */
#define PL_CURL_DRIVE(name, params, args)                                   \
    static CURLMcode (*real_##name) params;                                 \
    PL_EXPORT CURLMcode name params                                         \
    {                                                                       \
        __typeof__(real_##name) real = PL_REAL(real_##name, #name, name);   \
        if (!real)                                                          \
            return CURLM_INTERNAL_ERROR;                                    \
        pl_in_curl++;                                                       \
        CURLMcode rc = real args;                                           \
        pl_in_curl--;                                                       \
        return rc;                                                          \
    }

/* multi.h maps the old curl_multi_socket onto socket_action with a macro; old binaries still
 * call it. */
#undef curl_multi_socket

PL_CURL_DRIVE(curl_multi_perform, (CURLM *m, int *running), (m, running))
PL_CURL_DRIVE(curl_multi_socket_action, (CURLM *m, curl_socket_t s, int ev, int *running), (m, s, ev, running))
PL_CURL_DRIVE(curl_multi_socket, (CURLM *m, curl_socket_t s, int *running), (m, s, running))
PL_CURL_DRIVE(curl_multi_socket_all, (CURLM *m, int *running), (m, running))
PL_CURL_DRIVE(curl_multi_wait, (CURLM *m, struct curl_waitfd *fds, unsigned int n, int timeout_ms, int *numfds),
              (m, fds, n, timeout_ms, numfds))
PL_CURL_DRIVE(curl_multi_poll, (CURLM *m, struct curl_waitfd *fds, unsigned int n, int timeout_ms, int *numfds),
              (m, fds, n, timeout_ms, numfds))
