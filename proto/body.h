/* body.h — storing a kept exchange's bodies as they arrive: the request body as sent, the response
 * body content-decoded (decode.h), and nothing ever lost in silence.
 *
 * Contract (both reassemblers use it, so HTTP/1.1 and HTTP/2 store bodies alike):
 * - Bytes are appended up to the cap (0 = unlimited); what does not fit sets *_truncated, and so
 *   does a failed allocation. Once a body is truncated nothing more is appended, so a stored body
 *   is always a prefix of the real one, never one with a hole.
 * - A response body is decoded while its coding holds. The undecoded bytes are kept aside
 *   (up to the cap) until pl_body_end: when the data turns out corrupt (the decoder fails, or a
 *   complete message ends inside the compressed stream), resp_body becomes the bytes that arrived,
 *   undecoded, and x->decode_error is set. The arrival marks then restart at that point. A
 *   decoder that runs out of memory is handled the same way (the bytes that arrived are sound).
 * Not thread-safe: one exchange, one caller at a time. */
#ifndef PL_BODY_H
#define PL_BODY_H

#include <stddef.h>
#include "decode.h"
#include "exchange.h"

typedef struct pl_body {
    pl_decoder *dec;    /* NULL: identity (or decoding given up), bytes are stored as they come */
    pl_buf raw;         /* while decoding: the undecoded bytes so far, up to the cap */
    int raw_short;      /* raw lost bytes (cap or allocation failure): it is a prefix only */
    size_t seen;        /* undecoded bytes fed so far */
} pl_body;

/* Appends request body bytes to x->req_body (see the truncation rule above). */
void pl_body_request(pl_exchange *x, const void *p, size_t n, size_t cap);

/* Prepares a response body with the given Content-Encoding (NULL, "" and identity store bytes as
 * they come). b must be zeroed or freed. Returns 0, or -1 when memory runs out: the body is then
 * stored undecoded and flagged decode_error, never dropped. */
int pl_body_start(pl_body *b, pl_exchange *x, const char *content_encoding);
/* Appends response body bytes, then calls pl_exchange_mark(x, now). */
void pl_body_feed(pl_body *b, pl_exchange *x, const void *p, size_t n, size_t cap, double now);
/* The response ended. complete: the message ended where its framing said (not cut short), so a
 * compressed stream that has not ended is corrupt. Releases b (it may be started again). */
void pl_body_end(pl_body *b, pl_exchange *x, int complete, double now);
/* Releases b without touching any exchange. */
void pl_body_free(pl_body *b);

#endif
