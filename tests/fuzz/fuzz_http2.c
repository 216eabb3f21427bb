/* fuzz_http2.c — libFuzzer harness for the HTTP/2 frame parser and HPACK handling (proto/http2.h):
 * both directions fed whole and in data-derived pieces must report the same streams.
 *
 * Input: [flags][seed] client frames FUZZ_SEP server frames. The client preface is prepended to
 * the client bytes unless flags bit 6 is set. flags bits 0-1 keep policy (all, none, every other,
 * by path length), bits 2-3 max_body (0, 16, 1024, 1 MiB). */
#include <stdint.h>
#include <stdlib.h>

#include "../../proto/http2.h"
#include "fuzz_common.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

typedef struct h2_run {
    int policy;
    int n_requests;
    pl_buf dump;
    pl_buf decoded;   /* content-decoded response bodies, see fuzz_dump_exchange */
} h2_run;

static int h2_on_request(void *ctx, const pl_exchange *head)
{
    h2_run *r = ctx;
    int n = r->n_requests++;
    switch (r->policy) {
    case 0: return 1;
    case 1: return 0;
    case 2: return n % 2 == 0;
    default: return head->target ? strlen(head->target) % 2 == 0 : 1;
    }
}

static void h2_on_exchange(void *ctx, pl_exchange *x)
{
    h2_run *r = ctx;
    fuzz_dump_exchange(&r->dump, &r->decoded, x);
    pl_exchange_free(x);
}

/* Client bytes: the preface (unless the flags say not to) followed by the fuzzer's frames. */
static pl_buf h2_client_bytes(uint8_t flags, const fuzz_part *out)
{
    pl_buf b = {0};
    if (!(flags & 64))
        pl_buf_append(&b, PL_H2_PREFACE, PL_H2_PREFACE_LEN);
    pl_buf_append(&b, out->p, out->n);
    return b;
}

/* seed < 0: each direction whole; else pieces. interleave: alternate pieces of both directions
 * (the real order of a connection), which is not compared. */
static void h2_pass(h2_run *r, uint8_t flags, int seed, int interleave, const pl_buf *out,
                    const fuzz_part *in)
{
    static const size_t caps[4] = {0, 16, 1024, 1 << 20};
    pl_proto_events ev = {h2_on_request, h2_on_exchange, r, caps[(flags >> 2) & 3]};
    r->policy = flags & 3;
    pl_h2 *h = pl_h2_new(&ev, PL_SOURCE_OPENSSL);
    if (!h)
        return;
    const char *p[2] = {out->data ? out->data : "", in->p};
    size_t n[2] = {out->len, in->n}, off[2] = {0, 0};
    if (seed < 0) {
        pl_h2_feed(h, PL_DIR_OUT, p[0], n[0], 1.0);
        pl_h2_feed(h, PL_DIR_IN, p[1], n[1], 1.0);
    } else {
        fuzz_chunker ch[2];
        fuzz_chunker_init(&ch[0], (uint8_t)seed, n[0]);
        fuzz_chunker_init(&ch[1], (uint8_t)(seed + 1), n[1]);
        for (int d = 0; d < 2; d++) {
            size_t k;
            while ((k = fuzz_chunk(&ch[d])) > 0) {
                pl_h2_feed(h, (pl_dir)d, p[d] + off[d], k, 1.0);
                off[d] += k;
                if (interleave)
                    break;  /* one piece of this direction, then one of the other */
            }
            if (interleave && d == 1 && (ch[0].pos < n[0] || ch[1].pos < n[1]))
                d = -1;
        }
    }
    char tail[64];
    snprintf(tail, sizeof tail, "failed=%d kept=%d\n", pl_h2_failed(h), pl_h2_kept_in_flight(h));
    pl_buf_append_str(&r->dump, tail);
    pl_h2_close(h, 2.0);
    FUZZ_CHECK(pl_h2_kept_in_flight(h) == 0, "streams left after close");
    pl_h2_free(h);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t flags = data[0], seed = data[1];
    fuzz_part parts[2];
    fuzz_split(data + 2, size - 2, parts, 2);
    pl_h2_preface_match(parts[0].p, parts[0].n);

    pl_buf out = h2_client_bytes(flags, &parts[0]);
    h2_run whole = {0}, split = {0}, inter = {0};
    h2_pass(&whole, flags, -1, 0, &out, &parts[1]);
    h2_pass(&split, flags, seed, 0, &out, &parts[1]);
    fuzz_same(&whole.dump, &split.dump, "http2");
    fuzz_same_decoded(&whole.decoded, &split.decoded, "http2");
    h2_pass(&inter, flags, seed, 1, &out, &parts[1]);
    pl_buf_free(&whole.dump);
    pl_buf_free(&split.dump);
    pl_buf_free(&inter.dump);
    pl_buf_free(&whole.decoded);
    pl_buf_free(&split.decoded);
    pl_buf_free(&inter.decoded);
    pl_buf_free(&out);
    return 0;
}
