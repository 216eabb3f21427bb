/* http2.c — the HTTP/2 frame layer (http2.h): preface, frames, SETTINGS and the HPACK table sizes
 * they bind, padding, GOAWAY, RST_STREAM. Pure; streams and header blocks are http2_stream.c's. */
#include "http2_int.h"

#include <stdlib.h>
#include <string.h>

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
        pl_body_free(&h->streams[i].body);
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

/* The permanent failed state. After a decoding error we can no longer tell which bytes belong to
 * which exchange, so whatever was in flight is dropped unreported. After a failed allocation the
 * bytes so far are sound: the streams in flight are reported incomplete and truncated instead. */
static int fail(pl_h2 *h, double now)
{
    while (h->oom && h->n_streams) {
        h->streams[0].x->resp_truncated = 1;
        pl_h2_emit(h, &h->streams[0], 1, now);
    }
    h->failed = 1;
    release(h);
    return -1;
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
            h2_stream *s = pl_h2_find(h, d->sid);
            if (s && dir == PL_DIR_IN)
                pl_h2_emit(h, s, !s->got_final, now);
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
        if (pl_buf_append(&d->hb, p + off, n - off - pad) != 0) {
            h->oom = 1;
            return -1;
        }
        return (d->flags & FL_END_HEADERS) ? pl_h2_header_block_done(h, dir, now) : 0;
    }
    case F_CONTINUATION:
        if (d->hb.len + n > PL_H2_MAX_HEADER_BLOCK)
            return -1;
        if (pl_buf_append(&d->hb, p, n) != 0) {
            h->oom = 1;
            return -1;
        }
        return (d->flags & FL_END_HEADERS) ? pl_h2_header_block_done(h, dir, now) : 0;
    case F_SETTINGS:
        return settings(h, dir, p, n);
    case F_RST_STREAM: {
        h2_stream *s = pl_h2_find(h, d->sid);
        if (s)
            pl_h2_emit(h, s, 1, now);
        return 0;
    }
    case F_GOAWAY:
        if (dir == PL_DIR_IN) {
            /* The server will not process streams above last-stream-id: they are over. */
            uint32_t last = ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) & 0x7fffffffu;
            size_t i = 0;
            while (i < h->n_streams) {
                if (h->streams[i].id > last)
                    pl_h2_emit(h, &h->streams[i], 1, now);
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
        pl_h2_deliver(h, dir, d->sid, p + i, m, now);
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
                return fail(h, now);
            continue;
        }
        if (d->preface_left) {
            size_t n = len < d->preface_left ? len : d->preface_left;
            if (memcmp(p, &PL_H2_PREFACE[PL_H2_PREFACE_LEN - d->preface_left], n) != 0)
                return fail(h, now);
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
                return fail(h, now);
            continue;
        }
        size_t n = d->len - d->pos < len ? d->len - d->pos : len;
        if (d->type == F_DATA) {
            if (data_bytes(h, dir, p, n, now) != 0)
                return fail(h, now);
        } else if (d->pos < d->keep) {
            size_t k = d->keep - d->pos < n ? d->keep - d->pos : n;
            if (pl_buf_append(&d->payload, p, k) != 0) {
                h->oom = 1;
                return fail(h, now);
            }
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
        pl_h2_emit(h, &h->streams[0], 1, now);
    h->closed = 1;
    release(h);
}
