/* exchange.c — construction, header lists and URL handling for pl_exchange (see exchange.h).
 * Pure: no I/O, no globals. */
#include "exchange.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

int pl_headers_add(pl_headers *h, const char *name, size_t name_len, const char *value, size_t value_len)
{
    if (h->count == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        pl_header *items = realloc(h->items, cap * sizeof *items);
        if (!items)
            return -1;
        h->items = items;
        h->cap = cap;
    }
    char *n = dup_n(name, name_len);
    char *v = dup_n(value, value_len);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    h->items[h->count].name = n;
    h->items[h->count].value = v;
    h->count++;
    return 0;
}

int pl_headers_add_line(pl_headers *h, const char *line, size_t len)
{
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return 0;
    size_t name_len = (size_t)(colon - line);
    while (name_len && (line[name_len - 1] == ' ' || line[name_len - 1] == '\t'))
        name_len--;
    const char *v = colon + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    return pl_headers_add(h, line, name_len, v, (size_t)(end - v));
}

const char *pl_headers_get(const pl_headers *h, const char *name)
{
    for (size_t i = 0; i < h->count; i++)
        if (strcasecmp(h->items[i].name, name) == 0)
            return h->items[i].value;
    return NULL;
}

void pl_headers_free(pl_headers *h)
{
    for (size_t i = 0; i < h->count; i++) {
        free(h->items[i].name);
        free(h->items[i].value);
    }
    free(h->items);
    h->items = NULL;
    h->count = h->cap = 0;
}

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
    const char *sep = strstr(url, "://");
    const char *scheme = "http";
    size_t scheme_len = 4;
    const char *p = url;
    if (sep) {
        scheme = url;
        scheme_len = (size_t)(sep - url);
        p = sep + 3;
    }
    const char *auth_end = p + strcspn(p, "/?#");
    /* userinfo ("user:pass@") is dropped: it is a credential and never needed downstream. */
    const char *at = memchr(p, '@', (size_t)(auth_end - p));
    if (at)
        p = at + 1;
    const char *host = p, *host_end = auth_end;
    int port = 0;
    if (*host == '[') {
        const char *rb = memchr(host, ']', (size_t)(auth_end - host));
        if (rb) {
            host_end = rb + 1;
            if (rb + 1 < auth_end && rb[1] == ':')
                port = atoi(rb + 2);
        }
    } else {
        const char *colon = memchr(host, ':', (size_t)(auth_end - host));
        if (colon) {
            host_end = colon;
            port = atoi(colon + 1);
        }
    }
    char *s = dup_n(scheme, scheme_len);
    char *h = dup_n(host, (size_t)(host_end - host));
    const char *t = *auth_end ? auth_end : "/";
    size_t tlen = strcspn(t, "#");
    char *tg;
    if (*t == '?') { /* "http://h?q" means "/?q" */
        tg = malloc(tlen + 2);
        if (tg) {
            tg[0] = '/';
            memcpy(tg + 1, t, tlen);
            tg[tlen + 1] = '\0';
        }
    } else {
        tg = dup_n(t, tlen);
    }
    if (!s || !h || !tg) {
        free(s);
        free(h);
        free(tg);
        return -1;
    }
    for (char *c = s; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    for (char *c = h; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (!port)
        port = strcmp(s, "https") == 0 ? 443 : 80;
    free(x->scheme);
    free(x->host);
    free(x->target);
    x->scheme = s;
    x->host = h;
    x->target = tg;
    x->port = port;
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
