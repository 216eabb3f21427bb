/* url.c — splitting URLs into views (url.h). Every layer that reads a URL (the curl hooks, the
 * exchange, redaction, the exporter) uses this one splitter so they agree on where a host ends. */
#include "url.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_port(const char *p, size_t n)
{
    if (n == 0 || n > 5)
        return 0;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (p[i] - '0');
    }
    return v <= 65535 ? v : 0;
}

void pl_url_split_authority(const char *auth, size_t n, pl_url *u)
{
    u->authority = auth;
    u->authority_len = n;
    u->userinfo = NULL;
    u->userinfo_len = 0;
    const char *p = auth, *end = auth + n;
    for (const char *q = end; q > auth; q--) {
        if (q[-1] == '@') {
            u->userinfo = auth;
            u->userinfo_len = (size_t)(q - 1 - auth);
            p = q;
            break;
        }
    }
    const char *host_end = end;
    const char *port = NULL;
    if (p < end && *p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (rb) {
            host_end = rb + 1;
            if (host_end < end && *host_end == ':')
                port = host_end + 1;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        if (colon) {
            host_end = colon;
            port = colon + 1;
        }
    }
    u->host = p;
    u->host_len = (size_t)(host_end - p);
    u->port = port ? parse_port(port, (size_t)(end - port)) : 0;
}

void pl_url_split(const char *url, pl_url *u)
{
    memset(u, 0, sizeof *u);
    const char *p = url;
    const char *sep = strstr(url, "://");
    if (sep && (size_t)(sep - url) <= strcspn(url, "/?#")) {
        u->scheme = url;
        u->scheme_len = (size_t)(sep - url);
        p = sep + 3;
    }
    size_t alen = strcspn(p, "/?#");
    pl_url_split_authority(p, alen, u);
    const char *t = p + alen;
    size_t tlen = strcspn(t, "#");
    u->target = t;
    u->target_len = tlen;
    u->path = t;
    u->path_len = strcspn(t, "?#");
    if (t[u->path_len] == '?') {
        u->query = t + u->path_len + 1;
        u->query_len = tlen - u->path_len - 1;
    }
    if (t[tlen] == '#')
        u->fragment = t + tlen + 1;
}

int pl_url_default_port(const char *scheme, size_t n)
{
    return scheme && n == 5 && strncasecmp(scheme, "https", 5) == 0 ? 443 : 80;
}

static char *lower_dup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++)
        d[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    d[n] = '\0';
    return d;
}

char *pl_url_host_dup(const pl_url *u)
{
    return lower_dup(u->host ? u->host : "", u->host ? u->host_len : 0);
}

char *pl_url_scheme_dup(const pl_url *u)
{
    return u->scheme ? lower_dup(u->scheme, u->scheme_len) : lower_dup("http", 4);
}

char *pl_url_target_dup(const pl_url *u)
{
    const char *t = u->target_len ? u->target : "/";
    size_t n = u->target_len ? u->target_len : 1;
    int slash = *t == '?'; /* "http://h?q" means "/?q" */
    char *d = malloc(n + 1 + (size_t)slash);
    if (!d)
        return NULL;
    if (slash)
        d[0] = '/';
    memcpy(d + slash, t, n);
    d[n + (size_t)slash] = '\0';
    return d;
}
