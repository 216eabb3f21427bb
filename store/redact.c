/* redact.c — replaces credentials in headers and URLs with "[REDACTED]" (see redact.h).
 * Called by the store on every insert, so a secret never reaches a compressor, a page or a log. */
#include "redact.h"
#include "../util/url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/buf.h"

/* Exact header names. */
static const char *const header_names[] = {
    "authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key",
    "cookie", "set-cookie", NULL,
};

/* Exact query parameter names. Over-redacting a URL costs nothing; missing a key is forever. */
static const char *const param_names[] = {
    "key", "api_key", "api-key", "apikey", "x-api-key", "access_token", "token", "id_token",
    "refresh_token", "client_secret", "password", "sig", "signature", NULL,
};

/* Substrings that mark a credential-bearing name whatever its prefix (x-foo-api-key,
 * x-amz-security-token, my-secret). "token" alone is not here: response headers such as
 * x-ratelimit-remaining-tokens are useful and not secret. */
static const char *const name_fragments[] = {
    "api-key", "api_key", "apikey", "secret", "password", "passwd", "authorization",
    "cookie", "auth-token", "auth_token", "access-token", "access_token", "security-token",
    "session-token", "session_token", NULL,
};

static int in_list(const char *name, size_t n, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strlen(list[i]) == n && strncasecmp(list[i], name, n) == 0)
            return 1;
    return 0;
}

/* Every header name of every call passes here: only the positions holding a fragment's first
 * letter (a, c, p or s, either case) are compared, and only with the fragments starting so. */
static int has_fragment(const char *name, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        unsigned char c = (unsigned char)(name[j] | 0x20);
        if (c != 'a' && c != 'c' && c != 'p' && c != 's')
            continue;
        unsigned char c2 = j + 1 < n ? (unsigned char)(name[j + 1] | 0x20) : 0;
        for (size_t i = 0; name_fragments[i]; i++) {
            const char *f = name_fragments[i];
            if (f[0] != c || (unsigned char)f[1] != c2)   /* (every fragment is lower case) */
                continue;
            size_t fl = strlen(f);
            if (fl <= n - j && strncasecmp(name + j, f, fl) == 0)
                return 1;
        }
    }
    return 0;
}

/* Is name (n bytes) one of the comma-separated names in extra? Spaces around names ignored. */
static int in_extra(const char *name, size_t n, const char *extra)
{
    if (!extra)
        return 0;
    const char *p = extra;
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - start) == n && n && strncasecmp(start, name, n) == 0)
            return 1;
    }
    return 0;
}

static int name_is_secret(const char *name, size_t n, const char *const *exact, const char *extra)
{
    return in_list(name, n, exact) || has_fragment(name, n) || in_extra(name, n, extra);
}

int pl_redact_header_name(const char *name, const char *extra)
{
    if (!name)
        return 0;
    return name_is_secret(name, strlen(name), header_names, extra);
}

int pl_redact_headers(pl_headers *h, const char *extra)
{
    if (!h)
        return 0;
    for (size_t i = 0; i < h->count; i++) {
        if (!pl_redact_header_name(h->items[i].name, extra))
            continue;
        char *v = strdup(PL_REDACTED);
        if (!v)
            return -1;
        free(h->items[i].value);
        h->items[i].value = v;
    }
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Query names may arrive percent-encoded ("api%5Fkey"); compare the decoded form. */
static int param_is_secret(const char *name, size_t n, const char *extra)
{
    char dec[128];
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + 1 >= sizeof dec)
            return 1; /* absurdly long names: redact rather than guess */
        if (name[i] == '%' && i + 2 < n && hexval(name[i + 1]) >= 0 && hexval(name[i + 2]) >= 0) {
            dec[o++] = (char)(hexval(name[i + 1]) * 16 + hexval(name[i + 2]));
            i += 2;
        } else if (name[i] == '+') {
            dec[o++] = ' ';
        } else {
            dec[o++] = name[i];
        }
    }
    dec[o] = '\0';
    return name_is_secret(dec, o, param_names, extra) || in_list(dec, o, header_names);
}

char *pl_redact_url(const char *url, const char *extra)
{
    if (!url)
        return NULL;
    pl_buf out = {0};
    const char *p = url;
    int ok = 1;

    /* Authority: "scheme://[userinfo@]host..." — userinfo is a credential as a whole. A bare
     * target has no scheme (util/url.h: "://" inside a query is not one) and keeps p = url. */
    pl_url u;
    pl_url_split(url, &u);
    if (u.scheme) {
        const char *auth_end = u.authority + u.authority_len;
        ok &= pl_buf_append(&out, url, (size_t)(u.authority - url)) == 0;
        if (u.userinfo) {
            const char *at = u.userinfo + u.userinfo_len; /* the authority's last '@' */
            ok &= pl_buf_append_str(&out, PL_REDACTED) == 0;
            ok &= pl_buf_append(&out, at, (size_t)(auth_end - at)) == 0;
        } else {
            ok &= pl_buf_append(&out, u.authority, u.authority_len) == 0;
        }
        p = auth_end;
    }

    const char *q = strchr(p, '?');
    const char *frag = strchr(p, '#');
    if (q && frag && frag < q)
        q = NULL;
    if (!q) {
        ok &= pl_buf_append_str(&out, p) == 0;
    } else {
        ok &= pl_buf_append(&out, p, (size_t)(q + 1 - p)) == 0;
        const char *s = q + 1;
        const char *qend = frag ? frag : s + strlen(s);
        while (s < qend) {
            const char *amp = s;
            while (amp < qend && *amp != '&' && *amp != ';')
                amp++;
            const char *eq = memchr(s, '=', (size_t)(amp - s));
            if (eq && param_is_secret(s, (size_t)(eq - s), extra)) {
                ok &= pl_buf_append(&out, s, (size_t)(eq + 1 - s)) == 0;
                ok &= pl_buf_append_str(&out, PL_REDACTED) == 0;
            } else {
                ok &= pl_buf_append(&out, s, (size_t)(amp - s)) == 0;
            }
            if (amp < qend)
                ok &= pl_buf_append(&out, amp, 1) == 0;
            s = amp + 1;
        }
        if (frag)
            ok &= pl_buf_append_str(&out, frag) == 0;
    }
    if (!ok) {
        pl_buf_free(&out);
        return NULL;
    }
    char *res = pl_buf_detach(&out);
    return res ? res : strdup("");
}
