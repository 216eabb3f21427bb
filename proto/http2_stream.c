/* http2_stream.c — HTTP/2 streams (http2_int.h): header blocks decoded through libnghttp2's HPACK
 * inflater into requests and responses, and DATA into bodies (body.h); frames are http2.c's job. */
#include "http2_int.h"
#include "../util/url.h"

#include <stdlib.h>
#include <string.h>

h2_stream *pl_h2_find(pl_h2 *h, uint32_t sid)
{
    for (size_t i = 0; i < h->n_streams; i++)
        if (h->streams[i].id == sid)
            return &h->streams[i];
    return NULL;
}

/* Removes the stream and hands its exchange to the owner. */
void pl_h2_emit(pl_h2 *h, h2_stream *s, int incomplete, double now)
{
    pl_exchange *x = s->x;
    pl_body_end(&s->body, x, !incomplete, now);
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

/* Body bytes of a stream, in order. */
void pl_h2_deliver(pl_h2 *h, pl_dir dir, uint32_t sid, const unsigned char *p, size_t n, double now)
{
    if (!n)
        return;
    h2_stream *s = pl_h2_find(h, sid);
    if (!s)
        return;
    if (dir == PL_DIR_OUT)
        pl_body_request(s->x, p, n, h->ev.max_body);
    else
        pl_body_feed(&s->body, s->x, p, n, h->ev.max_body, now);
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

static int inflate_block(pl_h2 *h, h2_dir *d, h2_block *out)
{
    static const uint8_t empty[1];
    const uint8_t *in = d->hb.len ? (const uint8_t *)d->hb.data : empty;
    size_t inlen = d->hb.len, decoded = 0;
    for (;;) {
        nghttp2_nv nv;
        int flags = 0;
        ssize_t rv = nghttp2_hd_inflate_hd2(d->hd, &nv, &flags, in, inlen, 1);
        if (rv < 0) {
            h->oom = rv == NGHTTP2_ERR_NOMEM;
            return -1;
        }
        in += rv;
        inlen -= (size_t)rv;
        if (flags & NGHTTP2_HD_INFLATE_EMIT) {
            /* Dynamic-table references make decoded headers far larger than the block. */
            decoded += nv.namelen + nv.valuelen + 32;
            if (decoded > PL_H2_MAX_DECODED_HEADERS)
                return -1;
            pl_headers *dst = nv.namelen && nv.name[0] == ':' ? &out->pseudo : &out->regular;
            if (pl_headers_add(dst, (const char *)nv.name, nv.namelen, (const char *)nv.value, nv.valuelen) != 0) {
                h->oom = 1;
                return -1;
            }
        }
        if (flags & NGHTTP2_HD_INFLATE_FINAL) {
            nghttp2_hd_inflate_end_headers(d->hd);
            return 0;
        }
        if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && inlen == 0)
            return -1;
    }
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
    pl_url u;
    pl_url_split_authority(authority, strcspn(authority, "/?#"), &u);
    u.scheme = scheme;
    u.scheme_len = strlen(scheme);
    /* :path is the target exactly as sent. */
    x->scheme = pl_url_scheme_dup(&u);
    x->host = pl_url_host_dup(&u);
    x->port = u.port ? u.port : pl_url_default_port(scheme, u.scheme_len);
    x->target = strdup(path);
    x->method = strdup(method);
    if (!x->scheme || !x->host || !x->target || !x->method) {
        pl_exchange_free(x);
        return NULL;
    }
    x->http_version = 20;
    x->started_at = now;
    pl_headers_move(&x->req_headers, &b->regular);
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
int pl_h2_header_block_done(pl_h2 *h, pl_dir dir, double now)
{
    h2_dir *d = &h->dir[dir];
    uint32_t sid = d->hb_sid;
    int end_stream = d->hb_end_stream;
    h2_block b = {0};
    int rc = inflate_block(h, d, &b);
    d->hb_active = 0;
    pl_buf_reset(&d->hb);
    if (rc != 0) {
        block_free(&b);
        return -1;
    }
    h2_stream *s = pl_h2_find(h, sid);
    if (dir == PL_DIR_OUT) {
        if (s) {
            /* request trailers */
            pl_headers_move(&s->x->req_headers, &b.regular);
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
        pl_body_start(&s->body, x, pl_headers_get(&b.regular, "content-encoding"));
    }
    pl_headers_move(&x->resp_headers, &b.regular);
    block_free(&b);
    if (end_stream)
        pl_h2_emit(h, s, 0, now);
    return 0;
}
