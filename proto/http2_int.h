/* http2_int.h — internal to proto/: the HTTP/2 connection state shared by the frame layer
 * (http2.c: frames, SETTINGS, HPACK table sizes) and the stream layer (http2_stream.c: header
 * blocks, requests and responses, bodies). Nothing outside these two files includes it. */
#ifndef PL_HTTP2_INT_H
#define PL_HTTP2_INT_H

#include <nghttp2/nghttp2.h>
#include <stdint.h>
#include "body.h"
#include "http2.h"

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
    pl_body body;       /* the response body, content-decoded as it arrives */
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
    int oom;                    /* an allocation failed: the failure that follows is not the peer's */
};

/* Stream layer (http2_stream.c). */
/* The kept stream with this id, or NULL. */
h2_stream *pl_h2_find(pl_h2 *h, uint32_t sid);
/* Removes the stream and hands its exchange to the owner (flagged incomplete if so). */
void pl_h2_emit(pl_h2 *h, h2_stream *s, int incomplete, double now);
/* DATA payload bytes of stream sid in direction dir, in order. */
void pl_h2_deliver(pl_h2 *h, pl_dir dir, uint32_t sid, const unsigned char *p, size_t n, double now);
/* The header block collected in h->dir[dir].hb is complete: decode it and apply it to its stream.
 * Returns 0, or -1 on a decoding error (the connection then fails). */
int pl_h2_header_block_done(pl_h2 *h, pl_dir dir, double now);

#endif
