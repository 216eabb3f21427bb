/* http1_head.c — HTTP/1.1 start lines, header fields and framing fields (http1_head.h), plus the
 * request sniffers of http1.h: everything about a message head that needs no connection state. */
#include "http1_head.h"
#include "http1.h"
#include "../util/url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_tchar(int c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

int pl_h1_last_coding_is_chunked(const char *v)
{
    const char *end = v + strlen(v);
    while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == ','))
        end--;
    const char *s = end;
    while (s > v && s[-1] != ',' && s[-1] != ' ' && s[-1] != '\t')
        s--;
    return end - s == 7 && strncasecmp(s, "chunked", 7) == 0;
}

long long pl_h1_content_length(const pl_headers *h)
{
    long long found = -1;
    for (size_t i = 0; i < h->count; i++) {
        if (strcasecmp(h->items[i].name, "Content-Length") != 0)
            continue;
        const char *v = h->items[i].value;
        if (!*v)
            return -2;
        unsigned long long n = 0;
        for (; *v; v++) {
            if (!isdigit((unsigned char)*v) || n > (1ULL << 50))
                return -2;
            n = n * 10 + (unsigned)(*v - '0');
        }
        if (found >= 0 && (unsigned long long)found != n)
            return -2;
        found = (long long)n;
    }
    return found;
}

long long pl_h1_chunk_size(const pl_buf *line)
{
    const char *p = pl_buf_cstr(line);
    const char *end = p + line->len;
    if (end > p && end[-1] == '\r')
        end--;
    unsigned long long n = 0;
    int digits = 0;
    for (; p < end && isxdigit((unsigned char)*p); p++, digits++) {
        if (digits >= 15)
            return -1;
        n = n * 16 + (unsigned)(isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10));
    }
    if (!digits)
        return -1;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p < end && *p != ';')
        return -1;
    return (long long)n;
}

/* Splits buf into lines (LF or CRLF); returns the next line's length and advances *pos. */
static int next_line(const pl_buf *b, size_t *pos, const char **line, size_t *len)
{
    if (*pos >= b->len)
        return 0;
    const char *s = b->data + *pos;
    const char *nl = memchr(s, '\n', b->len - *pos);
    size_t n = nl ? (size_t)(nl - s) : b->len - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n && s[n - 1] == '\r')
        n--;
    *line = s;
    *len = n;
    return 1;
}

/* Header lines after the start line into h. Returns 0, or -1 when malformed or out of memory. */
static int parse_fields(const pl_buf *b, size_t pos, pl_headers *h)
{
    const char *line;
    size_t len;
    while (next_line(b, &pos, &line, &len)) {
        if (len == 0)
            break;
        const char *colon = memchr(line, ':', len);
        if (!colon || colon == line || line[0] == ' ' || line[0] == '\t')
            return -1; /* no name, or obsolete line folding */
        for (const char *p = line; p < colon; p++)
            if (!is_tchar((unsigned char)*p))
                return -1;
        if (h && pl_headers_add_line(h, line, len) != 0)
            return -1;
    }
    return 0;
}

static int parse_version(const char *s, size_t n, int *version)
{
    if (n != 8 || memcmp(s, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)s[7]))
        return -1;
    *version = 10 + (s[7] - '0');
    return 0;
}

/* Host and port from a Host header value; the port defaults by scheme. */
static int set_host(pl_exchange *x, const char *v, const char *scheme)
{
    pl_url u;
    pl_url_split_authority(v, strlen(v), &u);
    free(x->host);
    x->host = pl_url_host_dup(&u);
    x->port = u.port > 0 && u.port < 65536 ? u.port : pl_url_default_port(scheme, strlen(scheme));
    return x->host ? 0 : -1;
}

int pl_h1_head_request(const pl_buf *b, const char *scheme, pl_exchange *x)
{
    size_t pos = 0;
    const char *line;
    size_t len;
    if (!next_line(b, &pos, &line, &len) || !pl_h1_is_request_line(b->data, b->len))
        return -1;
    const char *sp1 = memchr(line, ' ', len);
    const char *sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
    int version = 11;
    parse_version(sp2 + 1, len - (size_t)(sp2 + 1 - line), &version);
    x->http_version = version;
    x->method = dup_n(line, (size_t)(sp1 - line));
    x->target = dup_n(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    x->scheme = dup_n(scheme, strlen(scheme));
    if (!x->method || !x->target || !x->scheme || parse_fields(b, pos, &x->req_headers) != 0)
        return -1;
    if (x->target[0] != '/' && strstr(x->target, "://")) {
        char *abs = x->target; /* absolute-form: the URL names the host */
        x->target = NULL;
        int r = pl_exchange_set_url(x, abs);
        free(abs);
        return r;
    }
    const char *host = pl_headers_get(&x->req_headers, "Host");
    if (host)
        return set_host(x, host, scheme);
    x->port = pl_url_default_port(scheme, strlen(scheme));
    return 0;
}

int pl_h1_head_response(const pl_buf *b, int *status, int *version, pl_headers *h)
{
    size_t pos = 0;
    const char *line;
    size_t len;
    if (!next_line(b, &pos, &line, &len))
        return -1;
    /* "HTTP/1.1 200 OK" (the reason phrase may be empty or absent) */
    if (len < 12 || parse_version(line, 8, version) != 0 || line[8] != ' ' ||
        !isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) ||
        !isdigit((unsigned char)line[11]) || (len > 12 && line[12] != ' '))
        return -1;
    *status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (*status < 100)
        return -1;
    return parse_fields(b, pos, h);
}

int pl_h1_request_start_match(const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i = 0;
    for (; i < len && i < 20; i++) {
        if (p[i] == ' ')
            return i > 0 ? 1 : 0;
        if (p[i] < 'A' || p[i] > 'Z')
            return 0;
    }
    return i < 20 ? -1 : 0;
}

int pl_h1_is_request_line(const void *data, size_t len)
{
    const char *p = data;
    const char *nl = memchr(p, '\n', len);
    if (!nl)
        return 0;
    size_t n = (size_t)(nl - p);
    if (n && p[n - 1] == '\r')
        n--;
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i >= n || p[i] != ' ')
        return 0;
    size_t t0 = ++i;
    while (i < n && p[i] != ' ') {
        if ((unsigned char)p[i] <= 0x20 || p[i] == 0x7f)
            return 0;
        i++;
    }
    if (i == t0 || i >= n)
        return 0;
    int v;
    return parse_version(p + i + 1, n - i - 1, &v) == 0;
}
