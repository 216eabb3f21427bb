/* exchange.c — construction, URL handling and the arrival timeline of pl_exchange (exchange.h).
 * Pure: no I/O, no globals; URLs are split by util/url.h, headers live in util/headers.h. */
#include "exchange.h"
#include "../util/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

const char *pl_source_name(pl_source s)
{
    switch (s) {
    case PL_SOURCE_CURL: return "curl";
    case PL_SOURCE_OPENSSL: return "openssl";
    case PL_SOURCE_GNUTLS: return "gnutls";
    case PL_SOURCE_SOCKET: return "socket";
    case PL_SOURCE_GO: return "go";
    default: return "unknown";
    }
}

pl_exchange *pl_exchange_new(pl_source source)
{
    pl_exchange *x = calloc(1, sizeof *x);
    if (x)
        x->source = source;
    return x;
}

void pl_exchange_free(pl_exchange *x)
{
    if (!x)
        return;
    free(x->method);
    free(x->scheme);
    free(x->host);
    free(x->target);
    pl_headers_free(&x->req_headers);
    pl_buf_free(&x->req_body);
    pl_headers_free(&x->resp_headers);
    pl_buf_free(&x->resp_body);
    free(x->transport_error);
    free(x->marks);
    free(x);
}

int pl_exchange_set_url(pl_exchange *x, const char *url)
{
    pl_url u;
    pl_url_split(url, &u);
    /* userinfo ("user:pass@") is dropped: it is a credential and never needed downstream. */
    char *s = pl_url_scheme_dup(&u);
    char *h = pl_url_host_dup(&u);
    char *tg = pl_url_target_dup(&u);
    if (!s || !h || !tg) {
        free(s);
        free(h);
        free(tg);
        return -1;
    }
    free(x->scheme);
    free(x->host);
    free(x->target);
    x->scheme = s;
    x->host = h;
    x->target = tg;
    x->port = u.port ? u.port : pl_url_default_port(s, strlen(s));
    return 0;
}

char *pl_exchange_url(const pl_exchange *x)
{
    const char *scheme = x->scheme ? x->scheme : "https";
    const char *host = x->host ? x->host : "";
    const char *target = x->target ? x->target : "/";
    int default_port = (strcmp(scheme, "https") == 0 && x->port == 443) ||
                       (strcmp(scheme, "http") == 0 && x->port == 80) || x->port == 0;
    size_t n = strlen(scheme) + strlen(host) + strlen(target) + 16;
    char *u = malloc(n);
    if (!u)
        return NULL;
    if (default_port)
        snprintf(u, n, "%s://%s%s", scheme, host, target);
    else
        snprintf(u, n, "%s://%s:%d%s", scheme, host, x->port, target);
    return u;
}

void pl_exchange_mark(pl_exchange *x, double at)
{
    if (!x->first_byte_at)
        x->first_byte_at = at;
    if (x->n_marks && x->marks[x->n_marks - 1].offset == x->resp_body.len)
        return;
    if (!x->marks) {
        x->marks = malloc(PL_MAX_MARKS * sizeof *x->marks);
        if (!x->marks)
            return;
    }
    if (x->n_marks == PL_MAX_MARKS)
        x->n_marks--;
    x->marks[x->n_marks].offset = x->resp_body.len;
    x->marks[x->n_marks].at = at;
    x->n_marks++;
}

double pl_exchange_time_at(const pl_exchange *x, size_t offset)
{
    for (size_t i = 0; i < x->n_marks; i++)
        if (x->marks[i].offset >= offset)
            return x->marks[i].at;
    return 0;
}

double pl_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}
