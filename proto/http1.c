/* http1.c — incremental HTTP/1.1 request/response reassembly (http1.h).
 * Each direction is a small state machine (head, Content-Length body, chunked body, until-close
 * body) consuming bytes as they come; requests queue until their response, so pipelining works. */
#include "http1.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode.h"

#define MAX_TRAILER_LINES 256

typedef struct txn {
    pl_exchange *x;         /* kept and not yet reported; NULL when skipped or already reported */
    unsigned head_req : 1;  /* HEAD: the response has no body */
    unsigned connect : 1;   /* CONNECT: a 2xx turns the connection into a tunnel */
    unsigned req_done : 1;
    unsigned resp_done : 1;
    struct txn *next;
} txn;

typedef enum { S_HEAD, S_BODY_LEN, S_CHUNK_SIZE, S_CHUNK_DATA, S_CHUNK_END, S_TRAILER, S_BODY_CLOSE } sstate;

typedef struct side {
    sstate st;
    pl_buf line;            /* the head, or the chunk-size/trailer line, being accumulated */
    int eol;                /* head end detection: 1 after LF, 2 after LF CR */
    int trailer_lines;
    unsigned long long left;/* bytes left in the body or the chunk */
    txn *t;                 /* OUT: request whose body is flowing (NULL between requests) */
    pl_decoder *dec;        /* IN: decoder of the kept response in progress, NULL = identity */
    double started;         /* when the first byte of the current head arrived */
} side;

struct pl_h1 {
    pl_proto_events ev;
    pl_source source;
    char *scheme;
    int ignored;
    int kept;               /* kept exchanges not yet reported */
    txn *qh, *qt;           /* requests awaiting their response, oldest first */
    side out, in;
};

/* ---- small helpers ------------------------------------------------------------------------- */

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

static size_t body_cap(const pl_h1 *c)
{
    return c->ev.max_body ? c->ev.max_body : SIZE_MAX;
}

/* Does a (comma-separated) header value end with the token "chunked"? */
static int last_coding_is_chunked(const char *v)
{
    const char *end = v + strlen(v);
    while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == ','))
        end--;
    const char *s = end;
    while (s > v && s[-1] != ',' && s[-1] != ' ' && s[-1] != '\t')
        s--;
    return end - s == 7 && strncasecmp(s, "chunked", 7) == 0;
}

/* Content-Length over every occurrence: -1 when absent, -2 when invalid or contradictory. */
static long long content_length(const pl_headers *h)
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

/* ---- txn queue ----------------------------------------------------------------------------- */

static void txn_release(pl_h1 *c, txn *t)
{
    if (t->req_done && t->resp_done) {
        if (t->x) { /* not reached: a reported exchange has x == NULL */
            pl_exchange_free(t->x);
            c->kept--;
        }
        free(t);
    }
}

/* Hands the kept exchange to the owner. */
static void report(pl_h1 *c, txn *t, int incomplete, double now)
{
    pl_exchange *x = t->x;
    if (!x)
        return;
    t->x = NULL;
    c->kept--;
    x->incomplete = incomplete ? 1 : 0;
    x->ended_at = now;
    if (c->ev.on_exchange)
        c->ev.on_exchange(c->ev.ctx, x);
    else
        pl_exchange_free(x);
}

static void side_reset(side *s)
{
    s->st = S_HEAD;
    pl_buf_reset(&s->line);
    s->eol = 0;
    s->trailer_lines = 0;
    s->left = 0;
    s->t = NULL;
    pl_decoder_free(s->dec);
    s->dec = NULL;
    s->started = 0;
}

/* Reports everything in flight (incomplete) and frees all transactions. */
static void drop_all(pl_h1 *c, double now)
{
    txn *t = c->qh;
    c->qh = c->qt = NULL;
    while (t) {
        txn *next = t->next;
        report(c, t, 1, now);
        if (c->out.t == t)
            c->out.t = NULL;
        free(t);
        t = next;
    }
    /* A request whose response was already reported but whose body was still flowing. */
    if (c->out.t) {
        free(c->out.t);
        c->out.t = NULL;
    }
    side_reset(&c->out);
    side_reset(&c->in);
}

static int malformed(pl_h1 *c, double now)
{
    pl_h1_ignore(c, now);
    return -1;
}

/* ---- heads --------------------------------------------------------------------------------- */

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

static void set_host(pl_exchange *x, const char *v, const char *scheme)
{
    int port = 0;
    const char *end = v + strlen(v);
    const char *host_end = end;
    if (*v == '[') {
        const char *rb = strchr(v, ']');
        if (rb) {
            host_end = rb + 1;
            if (rb[1] == ':')
                port = atoi(rb + 2);
        }
    } else {
        const char *colon = strchr(v, ':');
        if (colon) {
            host_end = colon;
            port = atoi(colon + 1);
        }
    }
    free(x->host);
    x->host = dup_n(v, (size_t)(host_end - v));
    if (x->host)
        for (char *p = x->host; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    x->port = port > 0 && port < 65536 ? port : (strcmp(scheme, "https") == 0 ? 443 : 80);
}

/* A complete request head is in c->out.line. */
static int on_request_head(pl_h1 *c, double now)
{
    const pl_buf *b = &c->out.line;
    size_t pos = 0;
    const char *line;
    size_t len;
    if (!next_line(b, &pos, &line, &len))
        return malformed(c, now);
    if (!pl_h1_is_request_line(b->data, b->len))
        return malformed(c, now);
    const char *sp1 = memchr(line, ' ', len);
    const char *sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
    int version = 11;
    parse_version(sp2 + 1, len - (size_t)(sp2 + 1 - line), &version);

    txn *t = calloc(1, sizeof *t);
    pl_exchange *x = pl_exchange_new(c->source);
    if (!t || !x) {
        free(t);
        pl_exchange_free(x);
        return malformed(c, now);
    }
    x->http_version = version;
    x->method = dup_n(line, (size_t)(sp1 - line));
    x->target = dup_n(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    x->scheme = dup_n(c->scheme, strlen(c->scheme));
    x->started_at = c->out.started ? c->out.started : now;
    if (!x->method || !x->target || !x->scheme || parse_fields(b, pos, &x->req_headers) != 0) {
        pl_exchange_free(x);
        free(t);
        return malformed(c, now);
    }
    if (x->target[0] != '/' && strstr(x->target, "://")) {
        char *abs = x->target; /* absolute-form: the URL names the host */
        x->target = NULL;
        int r = pl_exchange_set_url(x, abs);
        free(abs);
        if (r != 0) {
            pl_exchange_free(x);
            free(t);
            return malformed(c, now);
        }
    } else {
        const char *host = pl_headers_get(&x->req_headers, "Host");
        if (host)
            set_host(x, host, c->scheme);
        else
            x->port = strcmp(c->scheme, "https") == 0 ? 443 : 80;
    }
    t->head_req = strcmp(x->method, "HEAD") == 0;
    t->connect = strcmp(x->method, "CONNECT") == 0;

    /* Framing of the request body. */
    const char *te = pl_headers_get(&x->req_headers, "Transfer-Encoding");
    long long cl = content_length(&x->req_headers);
    sstate next = S_HEAD;
    if (te) {
        if (!last_coding_is_chunked(te)) {
            pl_exchange_free(x);
            free(t);
            return malformed(c, now);
        }
        next = S_CHUNK_SIZE;
    } else if (cl == -2) {
        pl_exchange_free(x);
        free(t);
        return malformed(c, now);
    } else if (cl > 0) {
        next = S_BODY_LEN;
        c->out.left = (unsigned long long)cl;
    }

    int keep = c->ev.on_request ? c->ev.on_request(c->ev.ctx, x) : 0;
    if (keep) {
        t->x = x;
        c->kept++;
    } else {
        pl_exchange_free(x);
    }
    if (c->qt)
        c->qt->next = t;
    else
        c->qh = t;
    c->qt = t;

    pl_buf_reset(&c->out.line);
    c->out.eol = 0;
    c->out.started = 0;
    c->out.st = next;
    if (next == S_HEAD) {
        t->req_done = 1;
        c->out.t = NULL;
    } else {
        c->out.t = t;
    }
    return 0;
}

static void response_done(pl_h1 *c, int incomplete, double now)
{
    txn *t = c->qh;
    c->qh = t->next;
    if (!c->qh)
        c->qt = NULL;
    t->next = NULL;
    report(c, t, incomplete, now);
    t->resp_done = 1;
    side_reset(&c->in);
    txn_release(c, t);
}

/* Chooses how the response body ends, and its decoder when the exchange is kept. */
static int response_framing(pl_h1 *c, txn *t, int status, const pl_headers *h, double now)
{
    if (t->head_req || status == 204 || status == 304) {
        response_done(c, 0, now);
        return 0;
    }
    const char *te = pl_headers_get(h, "Transfer-Encoding");
    long long cl = content_length(h);
    if (te && last_coding_is_chunked(te)) {
        c->in.st = S_CHUNK_SIZE;
    } else if (te) {
        c->in.st = S_BODY_CLOSE;
    } else if (cl == -2) {
        return malformed(c, now);
    } else if (cl == 0) {
        response_done(c, 0, now);
        return 0;
    } else if (cl > 0) {
        c->in.st = S_BODY_LEN;
        c->in.left = (unsigned long long)cl;
    } else {
        c->in.st = S_BODY_CLOSE;
    }
    if (t->x) {
        /* Several Content-Encoding lines mean one list, in order. */
        pl_buf ce = {0};
        for (size_t i = 0; i < h->count; i++) {
            if (strcasecmp(h->items[i].name, "Content-Encoding") != 0)
                continue;
            if (ce.len)
                pl_buf_append_str(&ce, ", ");
            pl_buf_append_str(&ce, h->items[i].value);
        }
        if (ce.len && !pl_decoder_is_identity(ce.data))
            c->in.dec = pl_decoder_new(ce.data);
        pl_buf_free(&ce);
    }
    return 0;
}

/* A complete response head is in c->in.line, for the request at the head of the queue. */
static int on_response_head(pl_h1 *c, double now)
{
    const pl_buf *b = &c->in.line;
    txn *t = c->qh;
    size_t pos = 0;
    const char *line;
    size_t len;
    if (!t || !next_line(b, &pos, &line, &len))
        return malformed(c, now);
    /* "HTTP/1.1 200 OK" (the reason phrase may be empty or absent) */
    int version;
    if (len < 12 || parse_version(line, 8, &version) != 0 || line[8] != ' ' ||
        !isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) ||
        !isdigit((unsigned char)line[11]) || (len > 12 && line[12] != ' '))
        return malformed(c, now);
    int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (status < 100)
        return malformed(c, now);

    pl_headers tmp = {0};
    pl_headers *h = &tmp;
    pl_exchange *x = t->x;
    if (x && status >= 200) {
        pl_headers_free(&x->resp_headers);
        h = &x->resp_headers;
    }
    if (parse_fields(b, pos, h) != 0) {
        pl_headers_free(&tmp);
        return malformed(c, now);
    }
    pl_buf_reset(&c->in.line);
    c->in.eol = 0;

    int r = 0;
    if (status == 101) {
        r = malformed(c, now); /* another protocol from here on */
    } else if (status < 200) {
        /* 100 Continue, 103 Early Hints: the final response follows */
    } else if (t->connect && status < 300) {
        r = malformed(c, now); /* a tunnel: the rest is not HTTP we can read */
    } else {
        if (x) {
            x->status = status;
            x->http_version = version;
        }
        r = response_framing(c, t, status, h, now);
    }
    pl_headers_free(&tmp);
    return r;
}

/* ---- bodies -------------------------------------------------------------------------------- */

static void body_bytes(pl_h1 *c, pl_dir dir, const unsigned char *p, size_t n, double now)
{
    if (dir == PL_DIR_OUT) {
        txn *t = c->out.t;
        if (t && t->x) {
            int trunc = 0;
            pl_buf_append_capped(&t->x->req_body, p, n, body_cap(c), &trunc);
            if (trunc)
                t->x->req_truncated = 1;
        }
        return;
    }
    pl_exchange *x = c->qh ? c->qh->x : NULL;
    if (!x)
        return;
    int trunc = 0;
    if (c->in.dec)
        pl_decoder_feed(c->in.dec, p, n, &x->resp_body, c->ev.max_body, &trunc);
    else
        pl_buf_append_capped(&x->resp_body, p, n, body_cap(c), &trunc);
    if (trunc)
        x->resp_truncated = 1;
    pl_exchange_mark(x, now);
}

static void message_done(pl_h1 *c, pl_dir dir, double now)
{
    if (dir == PL_DIR_IN) {
        response_done(c, 0, now);
        return;
    }
    txn *t = c->out.t;
    side_reset(&c->out);
    if (t) {
        t->req_done = 1;
        txn_release(c, t);
    }
}

/* Accumulates one line (without its LF) into s->line. Returns bytes consumed; *done when the
 * line is complete; -1 when it is too long. */
static long take_line(side *s, const unsigned char *p, size_t n, int *done)
{
    const unsigned char *nl = memchr(p, '\n', n);
    size_t k = nl ? (size_t)(nl - p) : n;
    if (s->line.len + k > PL_H1_MAX_HEAD)
        return -1;
    if (k && pl_buf_append(&s->line, p, k) != 0)
        return -1;
    *done = nl != NULL;
    return (long)(k + (nl ? 1 : 0));
}

/* Parses the chunk-size line in s->line: hex size, optional extensions. -1 when malformed. */
static long long chunk_size(const pl_buf *line)
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

/* One step of a direction's state machine; returns bytes consumed (> 0 unless the connection
 * became ignored). */
static size_t step(pl_h1 *c, pl_dir dir, const unsigned char *p, size_t n, double now)
{
    side *s = dir == PL_DIR_OUT ? &c->out : &c->in;
    switch (s->st) {
    case S_HEAD: {
        size_t i = 0;
        while (i < n && s->line.len == 0 && (p[i] == '\r' || p[i] == '\n'))
            i++; /* empty lines between messages are tolerated (RFC 9112 §2.2) */
        if (i == n)
            return n;
        if (s->line.len == 0) {
            if (dir == PL_DIR_IN && !c->qh) {
                malformed(c, now); /* a response nobody asked for */
                return 0;
            }
            s->started = now;
            if (dir == PL_DIR_IN && c->qh->x && !c->qh->x->first_byte_at)
                c->qh->x->first_byte_at = now;
        }
        size_t start = i;
        int end = 0;
        for (; i < n; i++) {
            unsigned char ch = p[i];
            if (ch == '\n') {
                if (s->eol) {
                    end = 1;
                    i++;
                    break;
                }
                s->eol = 1;
            } else if (ch == '\r' && s->eol == 1) {
                s->eol = 2;
            } else if (ch != '\r') {
                s->eol = 0;
            }
        }
        if (s->line.len + (i - start) > PL_H1_MAX_HEAD || pl_buf_append(&s->line, p + start, i - start) != 0) {
            malformed(c, now);
            return 0;
        }
        if (end) {
            int r = dir == PL_DIR_OUT ? on_request_head(c, now) : on_response_head(c, now);
            if (r != 0)
                return 0;
        }
        return i;
    }
    case S_BODY_LEN: {
        size_t k = n < s->left ? n : (size_t)s->left;
        body_bytes(c, dir, p, k, now);
        s->left -= k;
        if (!s->left)
            message_done(c, dir, now);
        return k;
    }
    case S_BODY_CLOSE:
        body_bytes(c, dir, p, n, now);
        return n;
    case S_CHUNK_DATA: {
        size_t k = n < s->left ? n : (size_t)s->left;
        body_bytes(c, dir, p, k, now);
        s->left -= k;
        if (!s->left)
            s->st = S_CHUNK_END;
        return k;
    }
    case S_CHUNK_SIZE:
    case S_CHUNK_END:
    case S_TRAILER: {
        int done = 0;
        long k = take_line(s, p, n, &done);
        if (k < 0) {
            malformed(c, now);
            return 0;
        }
        if (!done)
            return (size_t)k;
        const pl_buf *line = &s->line;
        size_t len = line->len;
        if (len && line->data[len - 1] == '\r')
            len--;
        if (s->st == S_CHUNK_SIZE) {
            long long size = chunk_size(line);
            if (size < 0) {
                malformed(c, now);
                return 0;
            }
            s->st = size ? S_CHUNK_DATA : S_TRAILER;
            s->left = (unsigned long long)size;
        } else if (s->st == S_CHUNK_END) {
            if (len) {
                malformed(c, now);
                return 0;
            }
            s->st = S_CHUNK_SIZE;
        } else if (len == 0) {
            pl_buf_reset(&s->line);
            message_done(c, dir, now);
            return (size_t)k;
        } else if (++s->trailer_lines > MAX_TRAILER_LINES || !memchr(line->data, ':', len)) {
            malformed(c, now); /* trailer fields are read and dropped */
            return 0;
        }
        pl_buf_reset(&s->line);
        return (size_t)k;
    }
    }
    return n;
}

/* ---- public -------------------------------------------------------------------------------- */

pl_h1 *pl_h1_new(const pl_proto_events *events, pl_source source, const char *scheme)
{
    pl_h1 *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->ev = *events;
    c->source = source;
    c->scheme = dup_n(scheme ? scheme : "https", strlen(scheme ? scheme : "https"));
    if (!c->scheme) {
        free(c);
        return NULL;
    }
    return c;
}

int pl_h1_feed(pl_h1 *c, pl_dir dir, const void *data, size_t len, double now)
{
    if (c->ignored)
        return -1;
    const unsigned char *p = data;
    while (len && !c->ignored) {
        size_t k = step(c, dir, p, len, now);
        p += k;
        len -= k;
    }
    return c->ignored ? -1 : 0;
}

int pl_h1_ignored(const pl_h1 *c)
{
    return c->ignored;
}

void pl_h1_ignore(pl_h1 *c, double now)
{
    if (c->ignored)
        return;
    c->ignored = 1;
    drop_all(c, now);
    pl_buf_free(&c->out.line);
    pl_buf_free(&c->in.line);
}

void pl_h1_close(pl_h1 *c, double now)
{
    if (c->ignored)
        return;
    if (c->in.st == S_BODY_CLOSE && c->qh)
        response_done(c, 0, now);
    drop_all(c, now);
}

void pl_h1_abort(pl_h1 *c, double now)
{
    if (!c->ignored)
        drop_all(c, now);
}

int pl_h1_kept_in_flight(const pl_h1 *c)
{
    return c->kept;
}

int pl_h1_out_at_message_start(const pl_h1 *c)
{
    return c->out.st == S_HEAD && c->out.line.len == 0;
}

void pl_h1_free(pl_h1 *c)
{
    if (!c)
        return;
    txn *t = c->qh;
    while (t) {
        txn *next = t->next;
        if (c->out.t == t)
            c->out.t = NULL;
        pl_exchange_free(t->x);
        free(t);
        t = next;
    }
    if (c->out.t) {
        pl_exchange_free(c->out.t->x);
        free(c->out.t);
    }
    pl_decoder_free(c->in.dec);
    pl_buf_free(&c->out.line);
    pl_buf_free(&c->in.line);
    free(c->scheme);
    free(c);
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
