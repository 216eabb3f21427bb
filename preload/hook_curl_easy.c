/* hook_curl_easy.c — libcurl easy-interface interposition: captures LLM calls at the libcurl
 * API, where bodies are already decoded and exactly what the program saw.
 *
 * How: curl_easy_setopt is mirrored into a per-handle shadow (curl_shadow.h). When a wanted
 * request starts (curl_easy_perform here, curl_multi_add_handle in hook_curl_multi.c) the
 * transfer is armed (curl_xfer.h); when it ends (perform returns, cleanup, reset) the program's
 * options are restored exactly and the exchange is committed. Non-LLM handles cost one table
 * lookup per perform. pl_in_curl is raised around every libcurl call that moves data, so the
 * TLS and socket hooks never record the same exchange again: the libcurl layer wins. */
#include <errno.h>
#include <stdarg.h>

#include "curl_xfer.h"
#include "symbols.h"

/* Option type ranges of curl.h, spelled out for libcurl versions that lack CURLOPTTYPE_BLOB. */
#define PL_OPT_OBJECT 10000
#define PL_OPT_FUNCTION 20000
#define PL_OPT_OFF_T 30000
#define PL_OPT_BLOB 40000

typedef CURL *(*init_fn)(void);
typedef CURLcode (*perform_fn)(CURL *);
typedef void (*cleanup_fn)(CURL *);
typedef void (*reset_fn)(CURL *);
typedef CURL *(*duphandle_fn)(CURL *);

static init_fn real_init;
static perform_fn real_perform;
static cleanup_fn real_cleanup;
static reset_fn real_reset;
static duphandle_fn real_duphandle;

/* Forwards one already-read argument with the type libcurl will va_arg it as. */
static CURLcode forward_setopt(pl_curl_setopt_fn fn, CURL *h, CURLoption opt, pl_curl_arg a)
{
    if (opt < PL_OPT_OBJECT)
        return fn(h, opt, a.l);
    if (opt < PL_OPT_FUNCTION)
        return fn(h, opt, a.p);
    if (opt < PL_OPT_OFF_T)
        return fn(h, opt, a.fn);
    if (opt < PL_OPT_BLOB)
        return fn(h, opt, a.off);
    return fn(h, opt, a.p);
}


/* A new handle may reuse the address of one freed behind our back (a handle the program never
 * cleaned up through curl_easy_cleanup): it must not inherit that handle's shadow. */
PL_EXPORT CURL *curl_easy_init(void)
{
    init_fn real = PL_REAL(real_init, "curl_easy_init", curl_easy_init);
    if (!real)
        return NULL;
    CURL *h = real();
    if (h && !pl_in_curl) {
        int saved = errno;
        pl_curl_shadow *sh = pl_curl_shadow_get(h, 0);
        if (sh && !sh->xfer)
            pl_curl_shadow_drop(h);
        errno = saved;
    }
    return h;
}

PL_EXPORT CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
    pl_curl_arg a;
    va_list ap;
    va_start(ap, opt);
    if (opt < PL_OPT_OBJECT)
        a.l = va_arg(ap, long);
    else if (opt < PL_OPT_FUNCTION)
        a.p = va_arg(ap, void *);
    else if (opt < PL_OPT_OFF_T)
        a.fn = va_arg(ap, void (*)(void));
    else if (opt < PL_OPT_BLOB)
        a.off = va_arg(ap, curl_off_t);
    else
        a.p = va_arg(ap, void *);
    va_end(ap);

    pl_curl_setopt_fn real = pl_curl_real_setopt();
    if (!real)
        return CURLE_FAILED_INIT;
    /* libcurl's own internal handles (DoH) are set up from inside a transfer: not ours. */
    if (pl_in_curl)
        return forward_setopt(real, h, opt, a);
    pl_curl_shadow *sh = pl_curl_shadow_get(h, 1);
    if (sh && sh->xfer && pl_curl_shadow_is_wrapped(opt)) {
        /* Our tees stay installed until the transfer ends; the program's new value is what
         * they call from now on and what is restored afterwards. */
        pl_curl_shadow_record(sh, opt, a);
        return CURLE_OK;
    }
    CURLcode rc = forward_setopt(real, h, opt, a);
    if (rc == CURLE_OK && sh) {
        int e = errno;
        pl_curl_shadow_record(sh, opt, a);
        errno = e;
    }
    return rc;
}

PL_EXPORT CURLcode curl_easy_perform(CURL *h)
{
    perform_fn real = PL_REAL(real_perform, "curl_easy_perform", curl_easy_perform);
    if (!real)
        return CURLE_FAILED_INIT;
    pl_curl_shadow *sh = pl_in_curl ? NULL : pl_curl_shadow_get(h, 0);
    pl_curl_xfer *t = sh && !sh->xfer ? pl_curl_xfer_begin(h, sh, 0) : NULL;
    pl_in_curl++;
    CURLcode rc = real(h);
    pl_in_curl--;
    if (t && sh->xfer == t)
        pl_curl_xfer_finish(h, sh, rc, 1);
    return rc;
}

/* A transfer still armed when its handle is cleaned up or reset never got a DONE message: it is
 * committed now, its completeness judged from the byte counts. Returns the handle's shadow. */
static pl_curl_shadow *finish_armed(CURL *h)
{
    int saved = errno;
    pl_curl_shadow *sh = h ? pl_curl_shadow_get(h, 0) : NULL;
    if (sh && sh->xfer)
        pl_curl_xfer_finish(h, sh, CURLE_OK, 0);
    errno = saved;
    return sh;
}

PL_EXPORT void curl_easy_cleanup(CURL *h)
{
    cleanup_fn real = PL_REAL(real_cleanup, "curl_easy_cleanup", curl_easy_cleanup);
    pl_curl_shadow *sh = finish_armed(h);
    if (real)
        real(h);
    if (sh) {
        int saved = errno;
        pl_curl_shadow_drop(h);
        errno = saved;
    }
}

PL_EXPORT void curl_easy_reset(CURL *h)
{
    reset_fn real = PL_REAL(real_reset, "curl_easy_reset", curl_easy_reset);
    pl_curl_shadow *sh = finish_armed(h);
    if (real)
        real(h);
    if (sh)
        pl_curl_shadow_reset(sh);
}

PL_EXPORT CURL *curl_easy_duphandle(CURL *h)
{
    duphandle_fn real = PL_REAL(real_duphandle, "curl_easy_duphandle", curl_easy_duphandle);
    if (!real)
        return NULL;
    CURL *d = real(h);
    if (!d || pl_in_curl)
        return d;
    int saved = errno;
    pl_curl_shadow *sh = pl_curl_shadow_get(h, 0);
    if (sh) {
        pl_curl_shadow_dup(sh, d);
        if (sh->xfer) {
            /* The copy must not inherit our tees, which point at the original's transfer. */
            pl_curl_setopt_fn so = pl_curl_real_setopt();
            if (so) {
                so(d, CURLOPT_WRITEFUNCTION, sh->writefn);
                so(d, CURLOPT_WRITEDATA, sh->writedata);
                so(d, CURLOPT_HEADERFUNCTION, sh->headerfn);
                so(d, CURLOPT_HEADERDATA, sh->headerdata);
                so(d, CURLOPT_READFUNCTION, sh->readfn);
                so(d, CURLOPT_READDATA, sh->readdata);
                if (sh->xfer->wrapped_seek) {
                    so(d, CURLOPT_SEEKFUNCTION, sh->seekfn);
                    so(d, CURLOPT_SEEKDATA, sh->seekdata);
                }
            }
        }
    }
    errno = saved;
    return d;
}
