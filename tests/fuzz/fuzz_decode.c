/* fuzz_decode.c — libFuzzer harness for Content-Encoding decoding (proto/decode.h): corrupt,
 * truncated and stacked streams fed whole and in pieces must decode alike and never overflow.
 *
 * Input: [coding][seed][limit] body bytes. coding indexes a table of Content-Encoding values
 * (single, stacked, unknown, odd spelling); limit picks the output cap (0, 1, 100, 64 KiB). */
#include <stdint.h>
#include <stdlib.h>

#include "../../proto/decode.h"
#include "fuzz_common.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

static const char *const dec_codings[] = {
    NULL, "", "identity", "gzip", "x-gzip", "deflate", "br", "zstd",
    "gzip, br", "br, gzip", "deflate, zstd", "gzip, gzip", "bogus", "gzip, identity",
    "GZIP", " br ,", "zstd, br, gzip, deflate", "gzip, br, zstd, deflate, gzip", "gzip;q=1",
};
#define DEC_N_CODINGS (sizeof dec_codings / sizeof dec_codings[0])

/* libzstd also decodes the legacy v0.1-v0.7 frame formats, but when such a frame's 4-byte magic
 * arrives split it rejects the partial magic (it only knows the partial current one), while the
 * whole magic decodes: whole and split feeds then disagree on the error. No HTTP server sends
 * legacy frames, so such inputs only get the prefix check. */
static int dec_zstd_legacy(const char *ce, const uint8_t *p, size_t n)
{
    if (!ce || !strstr(ce, "zstd"))
        return 0;
    for (size_t i = 1; i + 3 <= n; i++)
        if (p[i - 1] >= 0x1e && p[i - 1] <= 0x27 && p[i] == 0xb5 && p[i + 1] == 0x2f && p[i + 2] == 0xfd)
            return 1;
    return 0;
}

typedef struct dec_result {
    pl_buf out;
    int truncated, error, complete, rc_err;
} dec_result;

/* seed < 0: fed whole; else in pieces. */
static void dec_pass(dec_result *r, const char *ce, size_t limit, int seed, const uint8_t *p, size_t n)
{
    pl_decoder *d = pl_decoder_new(ce);
    if (!d)
        return;
    fuzz_chunker ch;
    fuzz_chunker_init(&ch, (uint8_t)(seed < 0 ? 0 : seed), n);
    if (seed < 0)
        ch.mode = 1, ch.cut = n;
    size_t off = 0, k;
    while ((k = fuzz_chunk(&ch)) > 0) {
        if (pl_decoder_feed(d, p + off, k, &r->out, limit, &r->truncated) != 0)
            r->rc_err = 1;
        off += k;
        FUZZ_CHECK(!limit || r->out.len <= limit, "output %zu past the limit %zu", r->out.len, limit);
    }
    r->error = pl_decoder_error(d);
    r->complete = pl_decoder_complete(d);
    FUZZ_CHECK(!r->rc_err || r->error, "a feed failed but the error flag is clear");
    pl_decoder_free(d);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    static const size_t limits[4] = {0, 1, 100, 64 * 1024};
    const char *ce = dec_codings[data[0] % DEC_N_CODINGS];
    size_t limit = limits[data[2] & 3];
    pl_decoder_is_identity(ce);
    dec_result whole = {0}, split = {0};
    dec_pass(&whole, ce, limit, -1, data + 3, size - 3);
    dec_pass(&split, ce, limit, data[1], data + 3, size - 3);
    /* Once the output is lenient the rest of the input is ignored, so corruption after the cap
     * may be seen by one feeding and not the other (so may a legacy zstd frame, see above). */
    int lenient = whole.truncated || split.truncated || dec_zstd_legacy(ce, data + 3, size - 3);
    if (!lenient)
        FUZZ_CHECK(whole.error == split.error, "error whole %d split %d (%s)", whole.error, split.error,
                   ce ? ce : "NULL");
    if (!whole.error && !split.error) {
        FUZZ_CHECK(whole.truncated == split.truncated, "truncated whole %d split %d",
                   whole.truncated, split.truncated);
        if (!lenient)
            FUZZ_CHECK(whole.complete == split.complete, "complete whole %d split %d", whole.complete,
                       split.complete);
        fuzz_same(&whole.out, &split.out, "decode");
    } else {
        /* How much decodes before the error may depend on the chunking, not what it is. */
        fuzz_prefix(whole.out.data, whole.out.len, split.out.data, split.out.len, "decode");
    }
    if (pl_decoder_is_identity(ce) && !whole.truncated && !whole.error)
        FUZZ_CHECK(whole.out.len == size - 3 && (!whole.out.len || !memcmp(whole.out.data, data + 3, size - 3)),
                   "identity changed the bytes");
    pl_buf_free(&whole.out);
    pl_buf_free(&split.out);
    return 0;
}
