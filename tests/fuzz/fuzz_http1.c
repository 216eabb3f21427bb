/* fuzz_http1.c — libFuzzer harness for the HTTP/1.1 reassembler (proto/http1.h): the same two
 * byte streams are fed whole and in data-derived pieces, and the reported exchanges must match.
 *
 * Input: [flags][seed] requests FUZZ_SEP responses.
 *   flags bits 0-1 keep policy (all, none, every other, by target length), bits 2-3 max_body
 *   (0, 16, 1024, 1 MiB), bit 4 end with pl_h1_abort instead of pl_h1_close, bit 5 source. */
#include <stdint.h>
#include <stdlib.h>

#include "../../proto/http1.h"
#include "fuzz_common.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

typedef struct h1_run {
    int policy;
    int n_requests;
    pl_buf dump;
    pl_buf decoded;   /* content-decoded response bodies, see fuzz_dump_exchange */
} h1_run;

static int h1_on_request(void *ctx, const pl_exchange *head)
{
    h1_run *r = ctx;
    int n = r->n_requests++;
    FUZZ_CHECK(head->method && head->target, "head without method or target");
    switch (r->policy) {
    case 0: return 1;
    case 1: return 0;
    case 2: return n % 2 == 0;
    default: return strlen(head->target) % 2 == 0;
    }
}

static void h1_on_exchange(void *ctx, pl_exchange *x)
{
    h1_run *r = ctx;
    fuzz_dump_exchange(&r->dump, &r->decoded, x);
    pl_exchange_free(x);
}

/* One pass: OUT then IN, each whole (seed < 0) or in pieces; then the connection ends. */
static void h1_pass(h1_run *r, uint8_t flags, int seed, const fuzz_part *out, const fuzz_part *in)
{
    static const size_t caps[4] = {0, 16, 1024, 1 << 20};
    pl_proto_events ev = {h1_on_request, h1_on_exchange, r, caps[(flags >> 2) & 3]};
    r->policy = flags & 3;
    pl_h1 *c = pl_h1_new(&ev, (flags & 32) ? PL_SOURCE_GNUTLS : PL_SOURCE_OPENSSL, "https");
    if (!c)
        return;
    const fuzz_part *dirs[2] = {out, in};
    for (int d = 0; d < 2; d++) {
        if (seed < 0) {
            pl_h1_feed(c, (pl_dir)d, dirs[d]->p, dirs[d]->n, 1.0);
            continue;
        }
        fuzz_chunker ch;
        fuzz_chunker_init(&ch, (uint8_t)(seed + d), dirs[d]->n);
        size_t off = 0, k;
        while ((k = fuzz_chunk(&ch)) > 0) {
            pl_h1_feed(c, (pl_dir)d, dirs[d]->p + off, k, 1.0);
            off += k;
        }
    }
    char tail[64];
    snprintf(tail, sizeof tail, "ignored=%d kept=%d out_start=%d\n", pl_h1_ignored(c),
             pl_h1_kept_in_flight(c), pl_h1_out_at_message_start(c));
    pl_buf_append_str(&r->dump, tail);
    if (flags & 16)
        pl_h1_abort(c, 2.0);
    else
        pl_h1_close(c, 2.0);
    FUZZ_CHECK(pl_h1_kept_in_flight(c) == 0, "exchanges left after the connection ended");
    pl_h1_free(c);
}

/* Requests and responses interleaved piece by piece, as a real connection sees them, then the
 * parser reused after a close: nothing to compare, but the sanitizers watch every path. */
static void h1_interleaved(uint8_t flags, uint8_t seed, const fuzz_part *out, const fuzz_part *in)
{
    h1_run r = {0};
    static const size_t caps[4] = {0, 16, 1024, 1 << 20};
    pl_proto_events ev = {h1_on_request, h1_on_exchange, &r, caps[(flags >> 2) & 3]};
    r.policy = flags & 3;
    pl_h1 *c = pl_h1_new(&ev, PL_SOURCE_OPENSSL, "https");
    if (!c)
        return;
    fuzz_chunker co, ci;
    fuzz_chunker_init(&co, (uint8_t)(seed ^ 0x55), out->n);
    fuzz_chunker_init(&ci, (uint8_t)(seed ^ 0xaa), in->n);
    size_t oo = 0, io = 0;
    for (;;) {
        size_t a = fuzz_chunk(&co), b = fuzz_chunk(&ci);
        if (!a && !b)
            break;
        if (a)
            pl_h1_feed(c, PL_DIR_OUT, out->p + oo, a, 1.0);
        if (b)
            pl_h1_feed(c, PL_DIR_IN, in->p + io, b, 1.0);
        oo += a, io += b;
    }
    pl_h1_close(c, 2.0);
    pl_h1_feed(c, PL_DIR_OUT, out->p, out->n, 3.0);
    pl_h1_feed(c, PL_DIR_IN, in->p, in->n, 3.0);
    if (flags & 64)
        pl_h1_ignore(c, 4.0);
    pl_h1_abort(c, 4.0);
    pl_h1_free(c);
    pl_buf_free(&r.dump);
    pl_buf_free(&r.decoded);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t flags = data[0], seed = data[1];
    fuzz_part parts[2];
    fuzz_split(data + 2, size - 2, parts, 2);

    /* The sniffers see the first bytes of every program write. */
    pl_h1_request_start_match(parts[0].p, parts[0].n);
    pl_h1_is_request_line(parts[0].p, parts[0].n);

    h1_run whole = {0}, split = {0};
    h1_pass(&whole, flags, -1, &parts[0], &parts[1]);
    h1_pass(&split, flags, seed, &parts[0], &parts[1]);
    fuzz_same(&whole.dump, &split.dump, "http1");
    fuzz_same_decoded(&whole.decoded, &split.decoded, "http1");
    pl_buf_free(&whole.dump);
    pl_buf_free(&split.dump);
    pl_buf_free(&whole.decoded);
    pl_buf_free(&split.decoded);

    h1_interleaved(flags, seed, &parts[0], &parts[1]);
    return 0;
}
