/* body.c — body storage for the reassemblers (body.h): capped appends that never leave a hole,
 * and response decoding that falls back to the undecoded bytes, flagged, when the coding breaks. */
#include "body.h"

#include <stdint.h>
#include <string.h>

/* Appends unless the body is already cut: a later byte after a dropped one would be a hole. */
static void append(pl_buf *b, const void *p, size_t n, size_t cap, unsigned *truncated)
{
    if (*truncated || !n)
        return;
    int t = 0;
    if (pl_buf_append_capped(b, p, n, cap ? cap : SIZE_MAX, &t) != 0 || t)
        *truncated = 1;
}

void pl_body_request(pl_exchange *x, const void *p, size_t n, size_t cap)
{
    unsigned t = x->req_truncated;
    append(&x->req_body, p, n, cap, &t);
    x->req_truncated = t;
}

/* The coding broke: what arrived replaces what was decoded from it. */
static void fall_back(pl_body *b, pl_exchange *x, double now)
{
    x->decode_error = 1;
    pl_buf_free(&x->resp_body);
    x->resp_body = b->raw;
    memset(&b->raw, 0, sizeof b->raw);
    x->resp_truncated = b->raw_short ? 1 : 0;
    pl_decoder_free(b->dec);
    b->dec = NULL;
    x->n_marks = 0;
    if (x->resp_body.len)
        pl_exchange_mark(x, now);
}

int pl_body_start(pl_body *b, pl_exchange *x, const char *ce)
{
    pl_body_free(b);
    if (!ce || pl_decoder_is_identity(ce))
        return 0;
    b->dec = pl_decoder_new(ce);
    if (!b->dec) {
        x->decode_error = 1; /* no memory for a decoder: the bytes are kept as they come */
        return -1;
    }
    return 0;
}

void pl_body_feed(pl_body *b, pl_exchange *x, const void *p, size_t n, size_t cap, double now)
{
    b->seen += n;
    if (!b->dec) {
        unsigned t = x->resp_truncated;
        append(&x->resp_body, p, n, cap, &t);
        x->resp_truncated = t;
    } else {
        if (!b->raw_short) {
            unsigned t = 0;
            append(&b->raw, p, n, cap, &t);
            b->raw_short = (int)t;
        }
        int t = 0;
        if (pl_decoder_feed(b->dec, p, n, &x->resp_body, cap, &t) != 0) {
            fall_back(b, x, now);
            return;
        }
        if (t) {
            /* The decoded text filled the cap: it is what is kept, the raw copy is not needed. */
            x->resp_truncated = 1;
            pl_buf_free(&b->raw);
            b->raw_short = 1;
        }
    }
    pl_exchange_mark(x, now);
}

void pl_body_end(pl_body *b, pl_exchange *x, int complete, double now)
{
    if (b->dec && complete && b->seen && !x->resp_truncated && !pl_decoder_complete(b->dec))
        fall_back(b, x, now);
    pl_body_free(b);
}

void pl_body_free(pl_body *b)
{
    pl_decoder_free(b->dec);
    pl_buf_free(&b->raw);
    memset(b, 0, sizeof *b);
}
