/* http1.c — HTTP/1.1 message framing for one connection (http1.h): per direction a state machine
 * (head, length, chunked, until-close); requests queue for pipelining. Heads: http1_head.c. */
#include "http1.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "body.h"
#include "http1_head.h"

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
    pl_body body;           /* IN: the kept response body in progress */
    double started;         /* when the first byte of the current head arrived */
    int oom;                /* an allocation failed while this side was being read */
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
    pl_body_free(&s->body);
    s->started = 0;
    s->oom = 0;
}

/* Reports everything in flight (incomplete) and frees all transactions. */
static void drop_all(pl_h1 *c, double now)
{
    txn *t = c->qh;
    c->qh = c->qt = NULL;
    /* After a failed allocation the bytes kept so far are sound but the rest is missing. */
    if (c->in.oom && t && t->x)
        t->x->resp_truncated = 1;
    if (c->out.oom && c->out.t && c->out.t->x)
        c->out.t->x->req_truncated = 1;
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

/* Memory ran out: the connection is given up as if malformed, but what is in flight is reported
 * truncated (see drop_all), not merely incomplete. */
static int out_of_memory(pl_h1 *c, side *s, double now)
{
    s->oom = 1;
    return malformed(c, now);
}

/* ---- heads --------------------------------------------------------------------------------- */

/* A complete request head is in c->out.line. */
static int on_request_head(pl_h1 *c, double now)
{
    txn *t = calloc(1, sizeof *t);
    pl_exchange *x = pl_exchange_new(c->source);
    if (!t || !x || pl_h1_head_request(&c->out.line, c->scheme, x) != 0) {
        free(t);
        pl_exchange_free(x);
        return malformed(c, now);
    }
    x->started_at = c->out.started ? c->out.started : now;
    t->head_req = strcmp(x->method, "HEAD") == 0;
    t->connect = strcmp(x->method, "CONNECT") == 0;

    /* Framing of the request body. */
    const char *te = pl_headers_get(&x->req_headers, "Transfer-Encoding");
    long long cl = pl_h1_content_length(&x->req_headers);
    sstate next = S_HEAD;
    if (te) {
        if (!pl_h1_last_coding_is_chunked(te)) {
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
    if (t->x)
        pl_body_end(&c->in.body, t->x, !incomplete, now);
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
    long long cl = pl_h1_content_length(h);
    if (te && pl_h1_last_coding_is_chunked(te)) {
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
        pl_body_start(&c->in.body, t->x, ce.len ? ce.data : NULL);
        pl_buf_free(&ce);
    }
    return 0;
}

/* A complete response head is in c->in.line, for the request at the head of the queue. */
static int on_response_head(pl_h1 *c, double now)
{
    txn *t = c->qh;
    if (!t)
        return malformed(c, now);
    int status, version;
    pl_headers tmp = {0};
    pl_headers *h = &tmp;
    pl_exchange *x = t->x;
    if (pl_h1_head_response(&c->in.line, &status, &version, &tmp) != 0) {
        pl_headers_free(&tmp);
        return malformed(c, now);
    }
    if (x && status >= 200) {
        /* The final response's fields become the exchange's; 1xx ones are dropped. */
        pl_headers_free(&x->resp_headers);
        x->resp_headers = tmp;
        memset(&tmp, 0, sizeof tmp);
        h = &x->resp_headers;
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
        if (t && t->x)
            pl_body_request(t->x, p, n, c->ev.max_body);
        return;
    }
    pl_exchange *x = c->qh ? c->qh->x : NULL;
    if (x)
        pl_body_feed(&c->in.body, x, p, n, c->ev.max_body, now);
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
 * line is complete; -1 when it is too long, -2 when memory ran out. */
static long take_line(side *s, const unsigned char *p, size_t n, int *done)
{
    const unsigned char *nl = memchr(p, '\n', n);
    size_t k = nl ? (size_t)(nl - p) : n;
    if (s->line.len + k > PL_H1_MAX_HEAD)
        return -1;
    if (k && pl_buf_append(&s->line, p, k) != 0)
        return -2;
    *done = nl != NULL;
    return (long)(k + (nl ? 1 : 0));
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
        if (s->line.len + (i - start) > PL_H1_MAX_HEAD) {
            malformed(c, now);
            return 0;
        }
        if (pl_buf_append(&s->line, p + start, i - start) != 0) {
            out_of_memory(c, s, now);
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
            if (k == -2)
                out_of_memory(c, s, now);
            else
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
            long long size = pl_h1_chunk_size(line);
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
    c->scheme = strdup(scheme ? scheme : "https");
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
    pl_body_free(&c->in.body);
    pl_buf_free(&c->out.line);
    pl_buf_free(&c->in.line);
    free(c->scheme);
    free(c);
}
