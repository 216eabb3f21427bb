/* http2.c — HTTP/2 frame parser, HPACK through libnghttp2's inflater, and per-stream reassembly
 * into pl_exchange (see http2.h). Pure: no I/O, no globals; time comes from the caller. */
#include "http2.h"
#include "decode.h"

#include <nghttp2/nghttp2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    F_DATA = 0, F_HEADERS = 1, F_PRIORITY = 2, F_RST_STREAM = 3, F_SETTINGS = 4,
    F_PUSH_PROMISE = 5, F_PING = 6, F_GOAWAY = 7, F_WINDOW_UPDATE = 8, F_CONTINUATION = 9,
};
enum { FL_END_STREAM = 0x1, FL_ACK = 0x1, FL_END_HEADERS = 0x4, FL_PADDED = 0x8, FL_PRIORITY = 0x20 };

#define SETTINGS_HEADER_TABLE_SIZE 1
#define DEFAULT_TABLE_SIZE 4096
/* A peer that leaves this many SETTINGS unacknowledged is not speaking HTTP/2 as we know it. */
#define MAX_UNACKED 16
/* SETTINGS payloads beyond this are absurd (682 parameters). */
#define MAX_SETTINGS_LEN 4096
/* A header frame may carry up to 255 bytes of padding and 5 of priority around its fragment. */
#define MAX_HEADER_FRAME (PL_H2_MAX_HEADER_BLOCK + 261)

typedef struct h2_stream {
    uint32_t id;
    pl_exchange *x;
    int got_final;      /* a non-1xx response HEADERS arrived */
    pl_decoder *dec;    /* undoes the response's Content-Encoding; NULL for identity */
} h2_stream;

typedef struct h2_dir {
    nghttp2_hd_inflater *hd;    /* decodes header blocks travelling in this direction */
    size_t hd_limit;            /* SETTINGS_HEADER_TABLE_SIZE the inflater currently enforces */
    size_t preface_left;        /* OUT: client preface bytes still to verify */
    int seen_frame;             /* IN: the server's first frame must be SETTINGS */
    unsigned char head[9];
    size_t head_have;
    /* the frame being read */
    int in_frame;
    uint32_t len, sid;
    uint8_t type, flags;
    size_t pos;                 /* payload bytes consumed so far */
    size_t keep;                /* payload prefix to buffer; the rest is skipped */
    size_t pad;                 /* DATA padding length, valid once pos >= 1 on padded frames */
    pl_buf payload;
    /* header block (HEADERS + CONTINUATION) being collected */
    int hb_active;
    uint32_t hb_sid;
    int hb_end_stream;
    pl_buf hb;
    /* SETTINGS this direction sent and the other has not acknowledged yet: the header table size
     * each announced, or -1. A smaller table only binds the peer's encoder after its ACK. */
    long unacked[MAX_UNACKED];
    size_t n_unacked;
} h2_dir;

struct pl_h2 {
    pl_proto_events ev;
    pl_source source;
    h2_dir dir[2];
    h2_stream *streams;         /* kept streams in flight, in stream-id order */
    size_t n_streams, cap_streams;
    uint32_t max_client_sid;    /* highest client stream opened so far */
    int failed, closed;
};

int pl_h2_preface_match(const void *data, size_t len)
{
    size_t n = len < PL_H2_PREFACE_LEN ? len : PL_H2_PREFACE_LEN;
    if (memcmp(data, PL_H2_PREFACE, n) != 0)
        return 0;
    return len >= PL_H2_PREFACE_LEN ? 1 : -1;
}

pl_h2 *pl_h2_new(const pl_proto_events *events, pl_source source)
{
    pl_h2 *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->ev = *events;
    h->source = source;
    for (int d = 0; d < 2; d++) {
        if (nghttp2_hd_inflate_new(&h->dir[d].hd) != 0) {
            pl_h2_free(h);
            return NULL;
        }
        h->dir[d].hd_limit = DEFAULT_TABLE_SIZE;
    }
    h->dir[PL_DIR_OUT].preface_left = PL_H2_PREFACE_LEN;
    return h;
}

static void release(pl_h2 *h)
{
    for (size_t i = 0; i < h->n_streams; i++) {
        pl_exchange_free(h->streams[i].x);
        pl_decoder_free(h->streams[i].dec);
    }
    free(h->streams);
    h->streams = NULL;
    h->n_streams = h->cap_streams = 0;
    for (int d = 0; d < 2; d++) {
        if (h->dir[d].hd)
            nghttp2_hd_inflate_del(h->dir[d].hd);
        h->dir[d].hd = NULL;
        pl_buf_free(&h->dir[d].payload);
        pl_buf_free(&h->dir[d].hb);
    }
}

void pl_h2_free(pl_h2 *h)
{
    if (!h)
        return;
    release(h);
    free(h);
}

int pl_h2_failed(const pl_h2 *h)
{
    return h->failed;
}

int pl_h2_kept_in_flight(const pl_h2 *h)
{
    return (int)h->n_streams;
}

/* The permanent failed state: whatever was in flight is dropped unreported, because after a
 * decoding error we can no longer tell which bytes belong to which exchange. */
static int fail(pl_h2 *h)
{
    h->failed = 1;
    release(h);
    return -1;
}

static h2_stream *find(pl_h2 *h, uint32_t sid)
{
    for (size_t i = 0; i < h->n_streams; i++)
        if (h->streams[i].id == sid)
            return &h->streams[i];
    return NULL;
}

/* Removes the stream and hands its exchange to the owner. */
static void emit(pl_h2 *h, h2_stream *s, int incomplete, double now)
{
    pl_exchange *x = s->x;
    pl_decoder_free(s->dec);
    size_t i = (size_t)(s - h->streams);
    memmove(&h->streams[i], &h->streams[i + 1], (h->n_streams - i - 1) * sizeof *h->streams);
    h->n_streams--;
    if (incomplete)
        x->incomplete = 1;
    x->ended_at = now;
    if (h->ev.on_exchange)
        h->ev.on_exchange(h->ev.ctx, x);
    else
        pl_exchange_free(x);
}

static void append_body(pl_h2 *h, pl_buf *b, const void *p, size_t n, int *truncated)
{
    if (h->ev.max_body) {
        int t = 0;
        if (pl_buf_append_capped(b, p, n, h->ev.max_body, &t) != 0 || t)
            *truncated = 1;
    } else if (pl_buf_append(b, p, n) != 0) {
        *truncated = 1;
    }
}

/* Body bytes of a stream, in order. */
static void deliver(pl_h2 *h, pl_dir dir, uint32_t sid, const unsigned char *p, size_t n, double now)
{
    if (!n)
        return;
    h2_stream *s = find(h, sid);
    if (!s)
        return;
    pl_exchange *x = s->x;
    int t = 0;
    if (dir == PL_DIR_OUT) {
        append_body(h, &x->req_body, p, n, &t);
        if (t)
            x->req_truncated = 1;
    } else {
        if (s->dec)
            pl_decoder_feed(s->dec, p, n, &x->resp_body, h->ev.max_body, &t);
        else
            append_body(h, &x->resp_body, p, n, &t);
        if (t)
            x->resp_truncated = 1;
        pl_exchange_mark(x, now);
    }
}

/* One decoded header block: pseudo-headers apart, the rest in wire order. */
typedef struct h2_block {
    pl_headers pseudo;
    pl_headers regular;
} h2_block;

static void block_free(h2_block *b)
{
    pl_headers_free(&b->pseudo);
    pl_headers_free(&b->regular);
}

static int inflate_block(h2_dir *d, h2_block *out)
{
    static const uint8_t empty[1];
    const uint8_t *in = d->hb.len ? (const uint8_t *)d->hb.data : empty;
    size_t inlen = d->hb.len, decoded = 0;
    for (;;) {
        nghttp2_nv nv;
        int flags = 0;
        ssize_t rv = nghttp2_hd_inflate_hd2(d->hd, &nv, &flags, in, inlen, 1);
        if (rv < 0)
            return -1;
        in += rv;
        inlen -= (size_t)rv;
        if (flags & NGHTTP2_HD_INFLATE_EMIT) {
            /* Dynamic-table references make decoded headers far larger than the block. */
            decoded += nv.namelen + nv.valuelen + 32;
            if (decoded > PL_H2_MAX_DECODED_HEADERS)
                return -1;
            pl_headers *dst = nv.namelen && nv.name[0] == ':' ? &out->pseudo : &out->regular;
            if (pl_headers_add(dst, (const char *)nv.name, nv.namelen, (const char *)nv.value, nv.valuelen) != 0)
                return -1;
        }
        if (flags & NGHTTP2_HD_INFLATE_FINAL) {
            nghttp2_hd_inflate_end_headers(d->hd);
            return 0;
        }
        if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && inlen == 0)
            return -1;
    }
}

static void move_headers(pl_headers *dst, pl_headers *src)
{
    for (size_t i = 0; i < src->count; i++) {
        if (dst->count == dst->cap) {
            size_t cap = dst->cap ? dst->cap * 2 : 16;
            pl_header *items = realloc(dst->items, cap * sizeof *items);
            if (!items)
                break;
            dst->items = items;
            dst->cap = cap;
        }
        dst->items[dst->count++] = src->items[i];
        src->items[i].name = src->items[i].value = NULL;
    }
    pl_headers_free(src);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* A request head from its pseudo-headers; NULL when they are unusable or memory runs out. */
static pl_exchange *request_head(pl_h2 *h, h2_block *b, double now)
{
    const char *method = pl_headers_get(&b->pseudo, ":method");
    const char *scheme = pl_headers_get(&b->pseudo, ":scheme");
    const char *authority = pl_headers_get(&b->pseudo, ":authority");
    const char *path = pl_headers_get(&b->pseudo, ":path");
    if (!authority)
        authority = pl_headers_get(&b->regular, "host");
    if (!method || !authority)
        return NULL;
    if (!scheme)
        scheme = "https";
    if (!path)
        path = "/";
    pl_exchange *x = pl_exchange_new(h->source);
    if (!x)
        return NULL;
    size_t n = strlen(scheme) + strlen(authority) + 4;
    char *url = malloc(n);
    int ok = url != NULL;
    if (ok) {
        memcpy(url, scheme, strlen(scheme));
        memcpy(url + strlen(scheme), "://", 3);
        memcpy(url + strlen(scheme) + 3, authority, strlen(authority) + 1);
        ok = pl_exchange_set_url(x, url) == 0;
    }
    free(url);
    if (ok) {
        /* :path is the target exactly as sent; set_url only supplied host, port and scheme. */
        free(x->target);
        x->target = dup_str(path);
        x->method = dup_str(method);
        ok = x->target && x->method;
    }
    if (!ok) {
        pl_exchange_free(x);
        return NULL;
    }
    x->http_version = 20;
    x->started_at = now;
    move_headers(&x->req_headers, &b->regular);
    return x;
}

/* Room for one more stream, made before on_request so that a kept exchange is always tracked
 * (and reported exactly once). */
static int reserve_stream(pl_h2 *h)
{
    if (h->n_streams < h->cap_streams)
        return 0;
    size_t cap = h->cap_streams ? h->cap_streams * 2 : 8;
    h2_stream *s = realloc(h->streams, cap * sizeof *s);
    if (!s)
        return -1;
    h->streams = s;
    h->cap_streams = cap;
    return 0;
}

static void track(pl_h2 *h, uint32_t sid, pl_exchange *x)
{
    h2_stream *s = &h->streams[h->n_streams++];
    memset(s, 0, sizeof *s);
    s->id = sid;
    s->x = x;
}

/* A complete header block arrived in direction dir on stream sid. */
static int header_block_done(pl_h2 *h, pl_dir dir, double now)
{
    h2_dir *d = &h->dir[dir];
    uint32_t sid = d->hb_sid;
    int end_stream = d->hb_end_stream;
    h2_block b = {0};
    int rc = inflate_block(d, &b);
    d->hb_active = 0;
    pl_buf_reset(&d->hb);
    if (rc != 0) {
        block_free(&b);
        return -1;
    }
    h2_stream *s = find(h, sid);
    if (dir == PL_DIR_OUT) {
        if (s) {
            /* request trailers */
            move_headers(&s->x->req_headers, &b.regular);
        } else if (sid > h->max_client_sid && (sid & 1)) {
            h->max_client_sid = sid;
            if (h->n_streams < PL_H2_MAX_STREAMS && reserve_stream(h) == 0) {
                pl_exchange *x = request_head(h, &b, now);
                if (x && h->ev.on_request && h->ev.on_request(h->ev.ctx, x)) {
                    track(h, sid, x);
                    x = NULL;
                }
                pl_exchange_free(x);
            }
        }
        block_free(&b);
        return 0;
    }
    if (!s) {
        block_free(&b);
        return 0;
    }
    pl_exchange *x = s->x;
    if (!s->got_final) {
        const char *st = pl_headers_get(&b.pseudo, ":status");
        int status = st ? atoi(st) : 0;
        if (status < 100 || status > 999) {
            block_free(&b);
            return -1;
        }
        if (!x->first_byte_at)
            x->first_byte_at = now;
        if (status < 200 && !end_stream) {   /* 100 Continue, 103 Early Hints: a final one follows */
            block_free(&b);
            return 0;
        }
        s->got_final = 1;
        x->status = status;
        const char *ce = pl_headers_get(&b.regular, "content-encoding");
        if (ce && !pl_decoder_is_identity(ce) && !(s->dec = pl_decoder_new(ce))) {
            block_free(&b);
            return -1;
        }
    }
    move_headers(&x->resp_headers, &b.regular);
    block_free(&b);
    if (end_stream)
        emit(h, s, 0, now);
    return 0;
}

static void set_table_limit(h2_dir *d, size_t v)
{
    if (nghttp2_hd_inflate_change_table_size(d->hd, v) == 0)
        d->hd_limit = v;
}

/* SETTINGS sent in direction dir: a header table size binds the encoder on the far side, whose
 * blocks travel the other way. A larger table may be used as soon as the peer reads it; a smaller
 * one is only required after the peer's ACK, which arrives in order with its header blocks. */
static int settings(pl_h2 *h, pl_dir dir, const unsigned char *p, size_t len)
{
    h2_dir *d = &h->dir[dir];
    h2_dir *peer = &h->dir[!dir];
    if (h->dir[dir].flags & FL_ACK) {
        if (len != 0)
            return -1;
        if (peer->n_unacked) {
            long v = peer->unacked[0];
            memmove(peer->unacked, peer->unacked + 1, (peer->n_unacked - 1) * sizeof *peer->unacked);
            peer->n_unacked--;
            if (v >= 0)
                set_table_limit(d, (size_t)v);
        }
        return 0;
    }
    if (len % 6)
        return -1;
    long table = -1;
    for (size_t i = 0; i + 6 <= len; i += 6) {
        unsigned id = (unsigned)p[i] << 8 | p[i + 1];
        uint32_t v = (uint32_t)p[i + 2] << 24 | (uint32_t)p[i + 3] << 16 | (uint32_t)p[i + 4] << 8 | p[i + 5];
        if (id == SETTINGS_HEADER_TABLE_SIZE)
            table = (long)v;
    }
    if (d->n_unacked == MAX_UNACKED)
        return -1;
    d->unacked[d->n_unacked++] = table;
    if (table >= 0 && (size_t)table > peer->hd_limit)
        set_table_limit(peer, (size_t)table);
    return 0;
}

/* A frame header was read: validate it and decide how its payload is consumed. */
static int frame_begin(pl_h2 *h, pl_dir dir)
{
    h2_dir *d = &h->dir[dir];
    d->len = (uint32_t)d->head[0] << 16 | (uint32_t)d->head[1] << 8 | d->head[2];
    d->type = d->head[3];
    d->flags = d->head[4];
    d->sid = ((uint32_t)d->head[5] << 24 | (uint32_t)d->head[6] << 16 | (uint32_t)d->head[7] << 8 | d->head[8]) & 0x7fffffffu;
    d->pos = 0;
    d->pad = 0;
    d->keep = 0;
    pl_buf_reset(&d->payload);
    if (dir == PL_DIR_IN && !d->seen_frame && (d->type != F_SETTINGS || (d->flags & FL_ACK)))
        return -1;
    d->seen_frame = 1;
    if (d->hb_active && d->type != F_CONTINUATION)
        return -1;
    switch (d->type) {
    case F_DATA:
        if (!d->sid || ((d->flags & FL_PADDED) && d->len == 0))
            return -1;
        break;
    case F_HEADERS:
    case F_CONTINUATION:
        if (!d->sid || d->len > MAX_HEADER_FRAME)
            return -1;
        if (d->type == F_CONTINUATION && (!d->hb_active || d->sid != d->hb_sid))
            return -1;
        d->keep = d->len;
        break;
    case F_PUSH_PROMISE:
        return -1;   /* not supported: clients we serve disable push; a pushed stream is not a call */
    case F_SETTINGS:
        if (d->sid || d->len > MAX_SETTINGS_LEN)
            return -1;
        d->keep = d->len;
        break;
    case F_RST_STREAM:
        if (!d->sid || d->len != 4)
            return -1;
        break;
    case F_PRIORITY:
        if (!d->sid || d->len != 5)
            return -1;
        break;
    case F_PING:
        if (d->sid || d->len != 8)
            return -1;
        break;
    case F_GOAWAY:
        if (d->sid || d->len < 8)
            return -1;
        d->keep = 8;   /* debug data is skipped */
        break;
    case F_WINDOW_UPDATE:
        if (d->len != 4)
            return -1;
        break;
    default:
        break;   /* unknown frame types are ignored (RFC 9113 §4.1) */
    }
    d->in_frame = 1;
    return 0;
}

/* The whole payload of the current frame has been consumed. */
static int frame_end(pl_h2 *h, pl_dir dir, double now)
{
    h2_dir *d = &h->dir[dir];
    /* An empty payload has no buffer: point at "" so `p + off` is defined behaviour. */
    const unsigned char *p = (const unsigned char *)(d->payload.data ? d->payload.data : "");
    size_t n = d->payload.len;
    d->in_frame = 0;
    switch (d->type) {
    case F_DATA:
        if (d->flags & FL_END_STREAM) {
            h2_stream *s = find(h, d->sid);
            if (s && dir == PL_DIR_IN)
                emit(h, s, !s->got_final, now);
        }
        return 0;
    case F_HEADERS: {
        size_t off = 0, pad = 0;
        if (d->flags & FL_PADDED) {
            if (n < 1)
                return -1;
            pad = p[0];
            off = 1;
        }
        if (d->flags & FL_PRIORITY)
            off += 5;
        if (off + pad > n)
            return -1;
        d->hb_active = 1;
        d->hb_sid = d->sid;
        d->hb_end_stream = d->flags & FL_END_STREAM;
        pl_buf_reset(&d->hb);
        if (pl_buf_append(&d->hb, p + off, n - off - pad) != 0)
            return -1;
        return (d->flags & FL_END_HEADERS) ? header_block_done(h, dir, now) : 0;
    }
    case F_CONTINUATION:
        if (d->hb.len + n > PL_H2_MAX_HEADER_BLOCK || pl_buf_append(&d->hb, p, n) != 0)
            return -1;
        return (d->flags & FL_END_HEADERS) ? header_block_done(h, dir, now) : 0;
    case F_SETTINGS:
        return settings(h, dir, p, n);
    case F_RST_STREAM: {
        h2_stream *s = find(h, d->sid);
        if (s)
            emit(h, s, 1, now);
        return 0;
    }
    case F_GOAWAY:
        if (dir == PL_DIR_IN) {
            /* The server will not process streams above last-stream-id: they are over. */
            uint32_t last = ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) & 0x7fffffffu;
            size_t i = 0;
            while (i < h->n_streams) {
                if (h->streams[i].id > last)
                    emit(h, &h->streams[i], 1, now);
                else
                    i++;
            }
        }
        return 0;
    default:
        return 0;
    }
}

/* Payload bytes of a DATA frame: the pad-length byte, the data, then padding. */
static int data_bytes(pl_h2 *h, pl_dir dir, const unsigned char *p, size_t n, double now)
{
    h2_dir *d = &h->dir[dir];
    size_t i = 0;
    if (d->flags & FL_PADDED) {
        if (d->pos == 0) {
            d->pad = p[0];
            if (d->pad > d->len - 1)
                return -1;
            i = 1;
        }
    }
    size_t abs = d->pos + i, end = d->len - d->pad;
    if (abs < end) {
        size_t m = n - i < end - abs ? n - i : end - abs;
        deliver(h, dir, d->sid, p + i, m, now);
    }
    return 0;
}

int pl_h2_feed(pl_h2 *h, pl_dir dir, const void *data, size_t len, double now)
{
    if (h->failed)
        return -1;
    if (h->closed || (dir != PL_DIR_OUT && dir != PL_DIR_IN))
        return 0;
    h2_dir *d = &h->dir[dir];
    const unsigned char *p = data;
    while (len || (d->in_frame && d->pos == d->len)) {
        if (d->in_frame && d->pos == d->len) {   /* empty payloads end right after the header */
            if (frame_end(h, dir, now) != 0)
                return fail(h);
            continue;
        }
        if (d->preface_left) {
            size_t n = len < d->preface_left ? len : d->preface_left;
            if (memcmp(p, &PL_H2_PREFACE[PL_H2_PREFACE_LEN - d->preface_left], n) != 0)
                return fail(h);
            d->preface_left -= n;
            p += n;
            len -= n;
            continue;
        }
        if (!d->in_frame) {
            size_t n = 9 - d->head_have < len ? 9 - d->head_have : len;
            memcpy(d->head + d->head_have, p, n);
            d->head_have += n;
            p += n;
            len -= n;
            if (d->head_have < 9)
                continue;
            d->head_have = 0;
            if (frame_begin(h, dir) != 0)
                return fail(h);
            continue;
        }
        size_t n = d->len - d->pos < len ? d->len - d->pos : len;
        if (d->type == F_DATA) {
            if (data_bytes(h, dir, p, n, now) != 0)
                return fail(h);
        } else if (d->pos < d->keep) {
            size_t k = d->keep - d->pos < n ? d->keep - d->pos : n;
            if (pl_buf_append(&d->payload, p, k) != 0)
                return fail(h);
        }
        d->pos += n;
        p += n;
        len -= n;
    }
    return 0;
}

void pl_h2_close(pl_h2 *h, double now)
{
    if (h->failed || h->closed)
        return;
    while (h->n_streams)
        emit(h, &h->streams[0], 1, now);
    h->closed = 1;
    release(h);
}
