/* curl_xfer.c — one captured libcurl transfer (curl_xfer.h): the program's write/header/read/
 * seek callbacks are replaced by tees that call the program's own (or libcurl's default fwrite/
 * fread) and record only what the program accepted; the exchange is committed at the end. */
#include "curl_xfer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capture.h"
#include "../util/url.h"
#include "symbols.h"

typedef CURLcode (*getinfo_fn)(CURL *, CURLINFO, ...);
typedef const char *(*strerror_fn)(CURLcode);
typedef CURLUcode (*url_get_fn)(const CURLU *, CURLUPart, char **, unsigned int);
typedef void (*curl_free_fn)(void *);

static pl_curl_setopt_fn real_setopt;
static getinfo_fn real_getinfo;
static strerror_fn real_strerror;
static url_get_fn real_url_get;
static curl_free_fn real_curl_free;

pl_curl_setopt_fn pl_curl_real_setopt(void)
{
    return PL_REAL(real_setopt, "curl_easy_setopt", curl_easy_setopt);
}

static pl_curl_setopt_fn get_setopt(void) { return pl_curl_real_setopt(); }
static getinfo_fn get_getinfo(void) { return PL_REAL(real_getinfo, "curl_easy_getinfo", NULL); }

/* ---- the tees, called by libcurl during a captured transfer ---- */

/* While a program callback runs we are back in program code: its own network calls are not
 * libcurl's, so the TLS hooks may see them. */
#define CALL_PROGRAM(expr) __extension__({  \
    int pl_saved_in_curl_ = pl_in_curl;     \
    pl_in_curl = 0;                         \
    __typeof__(expr) pl_r_ = (expr);        \
    pl_in_curl = pl_saved_in_curl_;         \
    pl_r_;                                  \
})

/* libcurl hands out decoded bodies only when the program asked (ACCEPT_ENCODING). Otherwise the
 * program gets, and we tee, the encoded bytes; the exchange contract wants them decoded, so we
 * decode our copy as it streams (keeping arrival marks right). With CURLOPT_HEADER the heads are
 * mixed into the body stream, so such a body is stored as received. */
static void start_body(pl_curl_xfer *t)
{
    t->body_started = 1;
    const char *ce = pl_headers_get(&t->x->resp_headers, "Content-Encoding");
    pl_curl_shadow *sh = t->sh;
    int encoded = (!sh->accept_encoding || sh->no_decoding) && !sh->include_header;
    pl_body_start(&t->body, t->x, encoded ? ce : NULL);
}

static void record_response(pl_curl_xfer *t, const char *p, size_t n)
{
    if (!t->body_started)
        start_body(t);
    pl_body_feed(&t->body, t->x, p, n, t->max_body, pl_now());
}

static size_t tee_write(char *p, size_t size, size_t nmemb, void *ud)
{
    pl_curl_xfer *t = ud;
    pl_curl_shadow *sh = t->sh;
    size_t total = size * nmemb, r, accepted;
    if (sh->writefn) {
        r = CALL_PROGRAM(sh->writefn(p, size, nmemb, sh->writedata));
        accepted = r;
    } else {
        r = CALL_PROGRAM(fwrite(p, size, nmemb, (FILE *)sh->writedata));
        accepted = r * size;   /* fwrite counts items; libcurl passes size 1 */
    }
    if (r == CURL_WRITEFUNC_PAUSE || r == (size_t)CURL_WRITEFUNC_ERROR)
        return r;   /* nothing accepted; a paused chunk is delivered again later */
    int e = errno;
    record_response(t, p, accepted < total ? accepted : total);
    errno = e;
    return r;
}

static void record_header(pl_curl_xfer *t, const char *p, size_t n)
{
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        /* A new response head (after 100-continue, a redirect or a proxy CONNECT): only the
         * last one describes the body the program receives. */
        pl_headers_free(&t->x->resp_headers);
        return;
    }
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    if (n)
        pl_headers_add_line(&t->x->resp_headers, p, n);
}

static size_t tee_header(char *p, size_t size, size_t nmemb, void *ud)
{
    pl_curl_xfer *t = ud;
    pl_curl_shadow *sh = t->sh;
    size_t total = size * nmemb, r;
    /* libcurl's own rule: HEADERFUNCTION if set, else the write function with HEADERDATA when
     * that is set, else the headers go nowhere. */
    if (sh->headerfn)
        r = CALL_PROGRAM(sh->headerfn(p, size, nmemb, sh->headerdata));
    else if (sh->headerdata && sh->writefn)
        r = CALL_PROGRAM(sh->writefn(p, size, nmemb, sh->headerdata));
    else if (sh->headerdata)
        r = CALL_PROGRAM(fwrite(p, size, nmemb, (FILE *)sh->headerdata)) * size;
    else
        r = total;
    if (r == CURL_WRITEFUNC_PAUSE)
        return r;
    int e = errno;
    record_header(t, p, total);
    errno = e;
    return r;
}

static size_t tee_read(char *buf, size_t size, size_t nitems, void *ud)
{
    pl_curl_xfer *t = ud;
    pl_curl_shadow *sh = t->sh;
    size_t r, got;
    if (sh->readfn) {
        r = CALL_PROGRAM(sh->readfn(buf, size, nitems, sh->readdata));
        got = r;
    } else {
        r = CALL_PROGRAM(fread(buf, size, nitems, (FILE *)sh->readdata));
        got = r * size;
    }
    if (r == CURL_READFUNC_ABORT || r == CURL_READFUNC_PAUSE || got > size * nitems)
        return r;
    int e = errno;
    int trunc = 0;
    pl_buf_append_capped(&t->x->req_body, buf, got, t->max_body, &trunc);
    if (trunc)
        t->x->req_truncated = 1;
    errno = e;
    return r;
}

/* Installed with tee_read so a rewind (redirect, auth retry) restarts our copy too. Without a
 * program seek function libcurl would fseek a default fread stream itself; we do the same and
 * answer CANTSEEK on failure, which libcurl treats as it treats its own failed fseek. */
static int tee_seek(void *ud, curl_off_t off, int origin)
{
    pl_curl_xfer *t = ud;
    pl_curl_shadow *sh = t->sh;
    int rc;
    if (sh->seekfn)
        rc = CALL_PROGRAM(sh->seekfn(sh->seekdata, off, origin));
    else
        rc = fseeko((FILE *)sh->readdata, (off_t)off, origin) == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_CANTSEEK;
    if (rc == CURL_SEEKFUNC_OK && origin == SEEK_SET && off >= 0 && (size_t)off <= t->x->req_body.len) {
        t->x->req_body.len = (size_t)off;
        if (t->x->req_body.data)
            t->x->req_body.data[off] = '\0';
        t->x->req_truncated = 0;
    }
    return rc;
}

/* ---- starting and finishing a captured transfer ---- */

/* Splits an absolute URL (libcurl assumes http:// when the scheme is missing) into a
 * lower-case host and the target; no allocation unless the URL carries a #fragment or its
 * target starts with '?'. */
static int split_url(const char *url, char *host, size_t hostcap, int *port, const char **target, char **owned)
{
    pl_url u;
    pl_url_split(url, &u);
    if (u.scheme && !(u.scheme_len == 5 && strncasecmp(u.scheme, "https", 5) == 0) &&
        !(u.scheme_len == 4 && strncasecmp(u.scheme, "http", 4) == 0))
        return 0;
    if (!u.host_len || u.host_len >= hostcap)
        return 0;
    for (size_t i = 0; i < u.host_len; i++)
        host[i] = (char)((u.host[i] >= 'A' && u.host[i] <= 'Z') ? u.host[i] + 32 : u.host[i]);
    host[u.host_len] = '\0';
    *port = u.port ? u.port : pl_url_default_port(u.scheme, u.scheme_len);
    *owned = NULL;
    if (!u.target_len) {
        *target = "/";
    } else if (u.target[0] != '?' && !u.fragment) {
        *target = u.target; /* runs to the URL's end */
    } else {
        if (!(*owned = pl_url_target_dup(&u)))
            return 0;
        *target = *owned;
    }
    return 1;
}

static void restore_options(CURL *h, pl_curl_shadow *sh, pl_curl_xfer *t)
{
    pl_curl_setopt_fn so = get_setopt();
    if (!so)
        return;
    so(h, CURLOPT_WRITEFUNCTION, sh->writefn);
    so(h, CURLOPT_WRITEDATA, sh->writedata);
    so(h, CURLOPT_HEADERFUNCTION, sh->headerfn);
    so(h, CURLOPT_HEADERDATA, sh->headerdata);
    if (t->wrapped_read) {
        so(h, CURLOPT_READFUNCTION, sh->readfn);
        so(h, CURLOPT_READDATA, sh->readdata);
    }
    if (t->wrapped_seek) {
        so(h, CURLOPT_SEEKFUNCTION, sh->seekfn);
        so(h, CURLOPT_SEEKDATA, sh->seekdata);
    }
}

static int install_tees(CURL *h, pl_curl_shadow *sh, pl_curl_xfer *t)
{
    pl_curl_setopt_fn so = get_setopt();
    if (!so)
        return -1;
    int bad = so(h, CURLOPT_WRITEFUNCTION, tee_write) != CURLE_OK;
    bad |= so(h, CURLOPT_WRITEDATA, t) != CURLE_OK;
    bad |= so(h, CURLOPT_HEADERFUNCTION, tee_header) != CURLE_OK;
    bad |= so(h, CURLOPT_HEADERDATA, t) != CURLE_OK;
    /* Only an upload whose body does not come from POSTFIELDS goes through the read callback;
     * leaving it alone otherwise keeps libcurl's behaviour exactly as the program set it up. */
    if ((sh->method == PL_CM_POST && !sh->postfields) || sh->method == PL_CM_PUT) {
        t->wrapped_read = 1;
        bad |= so(h, CURLOPT_READFUNCTION, tee_read) != CURLE_OK;
        bad |= so(h, CURLOPT_READDATA, t) != CURLE_OK;
        if (sh->seekfn || (!sh->readfn && !sh->has_ioctl)) {
            t->wrapped_seek = 1;
            bad |= so(h, CURLOPT_SEEKFUNCTION, tee_seek) != CURLE_OK;
            bad |= so(h, CURLOPT_SEEKDATA, t) != CURLE_OK;
        }
    }
    return bad ? -1 : 0;
}

pl_curl_xfer *pl_curl_xfer_begin(CURL *h, pl_curl_shadow *sh, int multi)
{
    int saved = errno;
    pl_curl_xfer *t = NULL;
    char *curlu_url = NULL, *owned_target = NULL;
    const char *url = sh->url;
    if (!url && sh->curlu) {
        url_get_fn ug = PL_REAL(real_url_get, "curl_url_get", NULL);
        if (ug && ug(sh->curlu, CURLUPART_URL, &curlu_url, 0) == CURLUE_OK)
            url = curlu_url;
    }
    char host[256];
    int port;
    const char *target;
    pl_endpoint ep;
    const char *method = pl_curl_shadow_method(sh);
    if (!url || !split_url(url, host, sizeof host, &port, &target, &owned_target) ||
        !pl_capture_wanted(method, host, port, target, &ep))
        goto out;

    t = calloc(1, sizeof *t);
    pl_exchange *x = pl_exchange_new(PL_SOURCE_CURL);
    if (!t || !x || !(x->method = strdup(method)) || pl_exchange_set_url(x, url) != 0) {
        free(t);
        pl_exchange_free(x);
        t = NULL;
        goto out;
    }
    t->sh = sh;
    t->x = x;
    t->ep = ep;
    t->multi = multi;
    t->max_body = pl_config_get()->max_body;
    pl_curl_shadow_headers(sh, &x->req_headers);
    size_t len = 0;
    const void *body = pl_curl_shadow_body(sh, &len);
    if (body) {
        int trunc = 0;
        pl_buf_append_capped(&x->req_body, body, len, t->max_body, &trunc);
        x->req_truncated = trunc != 0;
    }
    x->started_at = pl_now();
    if (install_tees(h, sh, t) != 0) {
        restore_options(h, sh, t);
        pl_debug("could not install libcurl callbacks; %s not captured", url);
        pl_exchange_free(x);
        free(t);
        t = NULL;
        goto out;
    }
    sh->xfer = t;
out:
    free(owned_target);
    if (curlu_url) {
        curl_free_fn cf = PL_REAL(real_curl_free, "curl_free", NULL);
        if (cf)
            cf(curlu_url);
    }
    errno = saved;
    return t;
}

void pl_curl_xfer_abandon(CURL *h, pl_curl_shadow *sh)
{
    pl_curl_xfer *t = sh->xfer;
    sh->xfer = NULL;
    restore_options(h, sh, t);
    pl_exchange_free(t->x);
    pl_body_free(&t->body);
    free(t);
}

static int http_version_of(long v)
{
    switch (v) {
    case CURL_HTTP_VERSION_1_0: return 10;
    case CURL_HTTP_VERSION_1_1: return 11;
    case CURL_HTTP_VERSION_2_0: return 20;
    case 30: return 30; /* CURL_HTTP_VERSION_3 */
    default: return 0;
    }
}

void pl_curl_xfer_finish(CURL *h, pl_curl_shadow *sh, CURLcode rc, int have_rc)
{
    int saved = errno;
    pl_curl_xfer *t = sh->xfer;
    sh->xfer = NULL;
    restore_options(h, sh, t);
    pl_exchange *x = t->x;
    x->ended_at = pl_now();
    getinfo_fn gi = get_getinfo();
    if (gi) {
        long code = 0, hv = 0, hsize = 0;
        curl_off_t st = 0, cl = -1, dl = 0;
        char *eff = NULL, *ctype = NULL;
        if (gi(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code > 0)
            x->status = (int)code;
        if (gi(h, CURLINFO_HTTP_VERSION, &hv) == CURLE_OK)
            x->http_version = http_version_of(hv);
        if (gi(h, CURLINFO_STARTTRANSFER_TIME_T, &st) == CURLE_OK && st > 0)
            x->first_byte_at = x->started_at + (double)st / 1e6;
        if (gi(h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff && *eff)
            pl_exchange_set_url(x, eff);
        if (gi(h, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype &&
            !pl_headers_get(&x->resp_headers, "Content-Type"))
            pl_headers_add(&x->resp_headers, "Content-Type", 12, ctype, strlen(ctype));
        if (sh->include_header && gi(h, CURLINFO_HEADER_SIZE, &hsize) == CURLE_OK && hsize > 0) {
            /* CURLOPT_HEADER sent the response heads through the write callback too. */
            size_t n = (size_t)hsize <= x->resp_body.len ? (size_t)hsize : x->resp_body.len;
            pl_buf_consume(&x->resp_body, n);
            for (size_t i = 0; i < x->n_marks; i++)
                x->marks[i].offset = x->marks[i].offset > n ? x->marks[i].offset - n : 0;
        }
        if (!have_rc) {
            gi(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
            gi(h, CURLINFO_SIZE_DOWNLOAD_T, &dl);
        }
        if (!have_rc && (x->status <= 0 || (cl >= 0 && dl < cl))) {
            x->incomplete = 1;
            x->transport_error = strdup("transfer removed before it completed");
        }
    }
    if (have_rc && rc != CURLE_OK) {
        strerror_fn se = PL_REAL(real_strerror, "curl_easy_strerror", NULL);
        x->incomplete = 1;
        x->transport_error = strdup(se ? se(rc) : "libcurl error");
    }
    pl_body_end(&t->body, x, !x->incomplete, pl_now()); /* a corrupt coding keeps the raw bytes */
    pl_endpoint ep = t->ep;
    free(t);
    pl_capture_commit(x, &ep);
    errno = saved;
}
