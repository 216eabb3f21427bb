/* curl_shadow.c — per-handle mirror of libcurl options (see curl_shadow.h): libcurl cannot
 * report URL, method, headers, body or callbacks back, so we record them as the program sets them. */
#include "curl_shadow.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/headers.h"

#define BUCKETS 1024

static pl_curl_shadow *g_table[BUCKETS];
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

/* A child forked while another thread held the table lock would deadlock on its first setopt:
 * process.c's fork steps hold it across fork. */
void pl_curl_shadow_fork_prepare(void) { pthread_mutex_lock(&g_lock); }
void pl_curl_shadow_fork_release(void) { pthread_mutex_unlock(&g_lock); }

static size_t bucket(const void *h)
{
    uintptr_t v = (uintptr_t)h;
    v ^= v >> 17;
    v *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(v >> 7) % BUCKETS;
}

static void shadow_defaults(pl_curl_shadow *s)
{
    s->postfieldsize = -1;
    s->writedata = stdout;
    s->readdata = stdin;
}

static void shadow_clear(pl_curl_shadow *s)
{
    free(s->url);
    free(s->customrequest);
    free(s->copypostfields);
    free(s->useragent);
    CURL *h = s->handle;
    pl_curl_shadow *next = s->next;
    struct pl_curl_xfer *x = s->xfer;
    memset(s, 0, sizeof *s);
    s->handle = h;
    s->next = next;
    s->xfer = x;
    shadow_defaults(s);
}

pl_curl_shadow *pl_curl_shadow_get(CURL *h, int create)
{
    if (!h)
        return NULL;
    size_t b = bucket(h);
    pthread_mutex_lock(&g_lock);
    pl_curl_shadow *s = g_table[b];
    while (s && s->handle != h)
        s = s->next;
    if (!s && create) {
        s = calloc(1, sizeof *s);
        if (s) {
            s->handle = h;
            shadow_defaults(s);
            s->next = g_table[b];
            g_table[b] = s;
        }
    }
    pthread_mutex_unlock(&g_lock);
    return s;
}

void pl_curl_shadow_drop(CURL *h)
{
    size_t b = bucket(h);
    pthread_mutex_lock(&g_lock);
    pl_curl_shadow **pp = &g_table[b];
    while (*pp && (*pp)->handle != h)
        pp = &(*pp)->next;
    pl_curl_shadow *s = *pp;
    if (s)
        *pp = s->next;
    pthread_mutex_unlock(&g_lock);
    if (s) {
        s->xfer = NULL;
        shadow_clear(s);
        free(s);
    }
}

void pl_curl_shadow_reset(pl_curl_shadow *s)
{
    shadow_clear(s);
}

static char *dup_or_null(const char *p)
{
    return p ? strdup(p) : NULL;
}

pl_curl_shadow *pl_curl_shadow_dup(const pl_curl_shadow *src, CURL *dst)
{
    pl_curl_shadow *d = pl_curl_shadow_get(dst, 1);
    if (!d)
        return NULL;
    shadow_clear(d);
    CURL *h = d->handle;
    pl_curl_shadow *next = d->next;
    *d = *src;
    d->handle = h;
    d->next = next;
    d->xfer = NULL;
    d->url = dup_or_null(src->url);
    d->customrequest = dup_or_null(src->customrequest);
    d->useragent = dup_or_null(src->useragent);
    d->copypostfields = NULL;
    /* duphandle copies the COPYPOSTFIELDS blob (postfieldsize bytes) and points postfields at
     * the copy; a plain POSTFIELDS pointer is shared with the original. */
    if (src->copypostfields && src->postfields == src->copypostfields) {
        size_t n = src->postfieldsize >= 0 ? (size_t)src->postfieldsize : strlen(src->copypostfields);
        d->copypostfields = malloc(n + 1);
        if (d->copypostfields) {
            memcpy(d->copypostfields, src->copypostfields, n);
            d->copypostfields[n] = '\0';
        }
        d->postfields = d->copypostfields;
    }
    return d;
}

int pl_curl_shadow_is_wrapped(CURLoption opt)
{
    switch (opt) {
    case CURLOPT_WRITEFUNCTION: case CURLOPT_WRITEDATA:
    case CURLOPT_READFUNCTION: case CURLOPT_READDATA:
    case CURLOPT_SEEKFUNCTION: case CURLOPT_SEEKDATA:
    case CURLOPT_HEADERFUNCTION: case CURLOPT_HEADERDATA:
        return 1;
    default:
        return 0;
    }
}

static void set_str(char **slot, const void *p)
{
    free(*slot);
    *slot = p ? strdup(p) : NULL;
}

/* Mirrors lib/setopt.c of libcurl 7.x/8.x for the options we need. */
void pl_curl_shadow_record(pl_curl_shadow *s, CURLoption opt, pl_curl_arg a)
{
    switch (opt) {
    case CURLOPT_URL: set_str(&s->url, a.p); break;
    case CURLOPT_CURLU: s->curlu = a.p; break;
    case CURLOPT_CUSTOMREQUEST: set_str(&s->customrequest, a.p); break;
    case CURLOPT_USERAGENT: set_str(&s->useragent, a.p); break;
    case CURLOPT_USERPWD: case CURLOPT_USERNAME: s->has_userpwd = a.p != NULL; break;
    case CURLOPT_XOAUTH2_BEARER: s->has_bearer = a.p != NULL; break;
    case CURLOPT_HTTPHEADER: s->httpheader = a.p; break;
    case CURLOPT_ACCEPT_ENCODING: s->accept_encoding = a.p != NULL; break;
    case CURLOPT_HTTP_CONTENT_DECODING: s->no_decoding = a.l == 0; break;
    case CURLOPT_HEADER: s->include_header = a.l != 0; break;
    case CURLOPT_POST:
        if (a.l) {
            s->method = PL_CM_POST;
            s->no_body = 0;
        } else {
            s->method = PL_CM_GET;
        }
        break;
    case CURLOPT_HTTPGET:
        if (a.l) {
            s->method = PL_CM_GET;
            s->no_body = 0;
        }
        break;
    case CURLOPT_NOBODY:
        s->no_body = a.l != 0;
        if (s->no_body)
            s->method = PL_CM_HEAD;
        else if (s->method == PL_CM_HEAD)
            s->method = PL_CM_GET;
        break;
    case CURLOPT_UPLOAD:
        if (a.l) {
            s->method = PL_CM_PUT;
            s->no_body = 0;
        } else {
            s->method = PL_CM_GET;
        }
        break;
    case CURLOPT_POSTFIELDS:
        s->postfields = a.p;
        free(s->copypostfields);
        s->copypostfields = NULL;
        s->method = PL_CM_POST;
        break;
    case CURLOPT_COPYPOSTFIELDS:
        free(s->copypostfields);
        s->copypostfields = NULL;
        if (a.p) {
            if (s->postfieldsize < 0) {
                s->copypostfields = strdup(a.p);
            } else {
                size_t n = (size_t)s->postfieldsize;
                s->copypostfields = malloc(n + 1);
                if (s->copypostfields) {
                    memcpy(s->copypostfields, a.p, n);
                    s->copypostfields[n] = '\0';
                }
            }
        }
        s->postfields = s->copypostfields;
        s->method = PL_CM_POST;
        break;
    case CURLOPT_POSTFIELDSIZE:
    case CURLOPT_POSTFIELDSIZE_LARGE: {
        curl_off_t n = opt == CURLOPT_POSTFIELDSIZE ? (curl_off_t)a.l : a.off;
        if (s->postfieldsize < n && s->postfields && s->postfields == s->copypostfields) {
            /* libcurl drops a COPYPOSTFIELDS copy that the new, larger size would overrun. */
            free(s->copypostfields);
            s->copypostfields = NULL;
            s->postfields = NULL;
        }
        s->postfieldsize = n;
        break;
    }
    case CURLOPT_MIMEPOST:
    case CURLOPT_HTTPPOST:
        s->method = PL_CM_FORM;
        s->no_body = 0;
        break;
    case CURLOPT_WRITEFUNCTION: s->writefn = (curl_write_callback)a.fn; break;
    case CURLOPT_WRITEDATA: s->writedata = a.p; break;
    case CURLOPT_READFUNCTION: s->readfn = (curl_read_callback)a.fn; break;
    case CURLOPT_READDATA: s->readdata = a.p; break;
    case CURLOPT_SEEKFUNCTION: s->seekfn = (curl_seek_callback)a.fn; break;
    case CURLOPT_SEEKDATA: s->seekdata = a.p; break;
    case CURLOPT_IOCTLFUNCTION: s->has_ioctl = a.fn != NULL; break;
    case CURLOPT_HEADERFUNCTION: s->headerfn = (curl_write_callback)a.fn; break;
    case CURLOPT_HEADERDATA: s->headerdata = a.p; break;
    default: break;
    }
}

const char *pl_curl_shadow_method(const pl_curl_shadow *s)
{
    if (s->customrequest && *s->customrequest)
        return s->customrequest;
    if (s->no_body)
        return "HEAD";
    switch (s->method) {
    case PL_CM_POST: case PL_CM_FORM: return "POST";
    case PL_CM_PUT: return "PUT";
    case PL_CM_HEAD: return "HEAD";
    default: return "GET";
    }
}

const void *pl_curl_shadow_body(const pl_curl_shadow *s, size_t *len)
{
    if (s->method != PL_CM_POST || !s->postfields)
        return NULL;
    *len = s->postfieldsize >= 0 ? (size_t)s->postfieldsize : strlen(s->postfields);
    return s->postfields;
}

static int list_has(const struct curl_slist *l, const char *name)
{
    size_t n = strlen(name);
    for (; l; l = l->next)
        if (l->data && strncasecmp(l->data, name, n) == 0 && (l->data[n] == ':' || l->data[n] == ';'))
            return 1;
    return 0;
}

static void add(pl_headers *h, const char *name, const char *value)
{
    pl_headers_add(h, name, strlen(name), value, strlen(value));
}

void pl_curl_shadow_headers(const pl_curl_shadow *s, pl_headers *out)
{
    for (const struct curl_slist *l = s->httpheader; l; l = l->next) {
        const char *d = l->data;
        if (!d)
            continue;
        size_t len = strlen(d);
        const char *colon = memchr(d, ':', len);
        const char *semi = memchr(d, ';', len);
        if (colon) {
            /* "Name:" with nothing after it removes a header libcurl would add: not sent. */
            const char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            if (*v)
                pl_headers_add_line(out, d, len);
        } else if (semi && semi[1] == '\0') {
            /* "Name;" sends the header with an empty value. */
            pl_headers_add(out, d, (size_t)(semi - d), "", 0);
        }
    }
    if (s->method == PL_CM_POST && s->postfields && !list_has(s->httpheader, "Content-Type"))
        add(out, "Content-Type", "application/x-www-form-urlencoded");
    if (s->useragent && !list_has(s->httpheader, "User-Agent"))
        add(out, "User-Agent", s->useragent);
    /* The credential itself is never copied: the store would redact it anyway. */
    if (!list_has(s->httpheader, "Authorization")) {
        if (s->has_bearer)
            add(out, "Authorization", "Bearer " PL_REDACTED);
        else if (s->has_userpwd)
            add(out, "Authorization", "Basic " PL_REDACTED);
    }
}
