/* test_decode.c — Content-Encoding decoder: every coding, stacked codings, every split position,
 * corrupt and truncated input, the output cap. Fixtures are built in-process (zlib, zstd) or read
 * from tests/fixtures (brotli, generated once with libbrotlienc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "../../proto/decode.h"

static const char *PLAIN_NAME = "openai_chat_stream_include_usage.sse";

static unsigned char *read_fixture(const char *name, size_t *len)
{
    const char *dir = getenv("PROMPTLOG_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *b = malloc(1 << 20);
    *len = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static unsigned char *zlib_pack(const unsigned char *in, size_t n, int wbits, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, n) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static unsigned char *zstd_pack(const unsigned char *in, size_t n, size_t *out_len)
{
    size_t cap = ZSTD_compressBound(n);
    unsigned char *out = malloc(cap);
    *out_len = ZSTD_compress(out, cap, in, n, 3);
    assert_false(ZSTD_isError(*out_len));
    return out;
}

/* Decodes data fed in pieces: whole (step 0), split in two at `split`, or `step` bytes at a time. */
static pl_buf decode_split(const char *ce, const unsigned char *data, size_t n, size_t split, size_t step, int *err, int *complete)
{
    pl_buf out = {0};
    int trunc = 0;
    pl_decoder *d = pl_decoder_new(ce);
    assert_non_null(d);
    if (step) {
        for (size_t i = 0; i < n; i += step)
            pl_decoder_feed(d, data + i, n - i < step ? n - i : step, &out, 0, &trunc);
    } else {
        pl_decoder_feed(d, data, split, &out, 0, &trunc);
        pl_decoder_feed(d, data + split, n - split, &out, 0, &trunc);
    }
    *err = pl_decoder_error(d);
    *complete = pl_decoder_complete(d);
    pl_decoder_free(d);
    assert_int_equal(trunc, 0);
    return out;
}

/* Every way of cutting `enc` gives exactly `plain`, no error, stream complete. */
static void check_all_splits(const char *ce, const unsigned char *enc, size_t n, const unsigned char *plain, size_t plain_len)
{
    int err, complete;
    for (size_t split = 0; split <= n; split++) {
        pl_buf out = decode_split(ce, enc, n, split, 0, &err, &complete);
        assert_int_equal(err, 0);
        assert_int_equal(complete, 1);
        assert_int_equal(out.len, plain_len);
        assert_memory_equal(out.data, plain, plain_len);
        pl_buf_free(&out);
    }
    pl_buf out = decode_split(ce, enc, n, 0, 1, &err, &complete);
    assert_int_equal(err, 0);
    assert_int_equal(complete, 1);
    assert_int_equal(out.len, plain_len);
    assert_memory_equal(out.data, plain, plain_len);
    pl_buf_free(&out);
}

static void test_identity(void **state)
{
    (void)state;
    const unsigned char text[] = "hello, identity";
    check_all_splits(NULL, text, sizeof text - 1, text, sizeof text - 1);
    check_all_splits("identity", text, sizeof text - 1, text, sizeof text - 1);
    assert_int_equal(pl_decoder_is_identity(NULL), 1);
    assert_int_equal(pl_decoder_is_identity(" identity "), 1);
    assert_int_equal(pl_decoder_is_identity("gzip"), 0);
}

static void test_gzip(void **state)
{
    (void)state;
    size_t plen, elen;
    unsigned char *plain = read_fixture(PLAIN_NAME, &plen);
    unsigned char *enc = zlib_pack(plain, plen, 31, &elen);
    check_all_splits("gzip", enc, elen, plain, plen);
    check_all_splits("X-GZIP", enc, elen, plain, plen);
    free(enc);
    free(plain);
}

static void test_gzip_members(void **state)
{
    (void)state;
    size_t a_len, b_len;
    unsigned char *a = zlib_pack((const unsigned char *)"first ", 6, 31, &a_len);
    unsigned char *b = zlib_pack((const unsigned char *)"second", 6, 31, &b_len);
    unsigned char both[512];
    memcpy(both, a, a_len);
    memcpy(both + a_len, b, b_len);
    check_all_splits("gzip", both, a_len + b_len, (const unsigned char *)"first second", 12);
    free(a);
    free(b);
}

static void test_deflate_zlib_and_raw(void **state)
{
    (void)state;
    size_t plen, elen;
    unsigned char *plain = read_fixture(PLAIN_NAME, &plen);
    unsigned char *enc = zlib_pack(plain, plen, 15, &elen);
    check_all_splits("deflate", enc, elen, plain, plen);
    free(enc);
    enc = zlib_pack(plain, plen, -15, &elen);
    check_all_splits("deflate", enc, elen, plain, plen);
    free(enc);
    free(plain);
}

static void test_br(void **state)
{
    (void)state;
    size_t plen, elen;
    unsigned char *plain = read_fixture(PLAIN_NAME, &plen);
    unsigned char *enc = read_fixture("openai_chat_stream_include_usage.sse.br", &elen);
    check_all_splits("br", enc, elen, plain, plen);
    free(enc);
    free(plain);
}

static void test_zstd(void **state)
{
    (void)state;
    size_t plen, elen;
    unsigned char *plain = read_fixture(PLAIN_NAME, &plen);
    unsigned char *enc = zstd_pack(plain, plen, &elen);
    check_all_splits("zstd", enc, elen, plain, plen);
    free(enc);
    free(plain);
}

static void test_stacked(void **state)
{
    (void)state;
    size_t plen, elen, glen;
    unsigned char *plain = read_fixture(PLAIN_NAME, &plen);
    /* "gzip, br": gzip was applied first, then br. */
    unsigned char *enc = read_fixture("openai_chat_stream_include_usage.sse.gz.br", &elen);
    check_all_splits("gzip, br", enc, elen, plain, plen);
    free(enc);
    /* "gzip, zstd" built here. */
    unsigned char *g = zlib_pack(plain, plen, 31, &glen);
    enc = zstd_pack(g, glen, &elen);
    check_all_splits("gzip,zstd", enc, elen, plain, plen);
    /* wrong order cannot decode */
    int err, complete;
    pl_buf out = decode_split("zstd, gzip", enc, elen, elen, 0, &err, &complete);
    assert_int_equal(err, 1);
    pl_buf_free(&out);
    free(enc);
    free(g);
    free(plain);
}

static void test_corrupt_keeps_prefix(void **state)
{
    (void)state;
    size_t plen, elen;
    unsigned char *plain = read_fixture(PLAIN_NAME, &plen);
    unsigned char *enc = zlib_pack(plain, plen, 31, &elen);
    /* Truncated: no error, what arrived is decoded, not complete. */
    int err, complete;
    pl_buf out = decode_split("gzip", enc, elen / 2, elen / 2, 0, &err, &complete);
    assert_int_equal(err, 0);
    assert_int_equal(complete, 0);
    assert_true(out.len > 0 && out.len < plen);
    assert_memory_equal(out.data, plain, out.len);
    pl_buf_free(&out);
    /* Garbage header: error, nothing decoded, and the decoder ignores later input. */
    unsigned char bad[64];
    memset(bad, 0x5a, sizeof bad);
    out = decode_split("gzip", bad, sizeof bad, 10, 0, &err, &complete);
    assert_int_equal(err, 1);
    assert_int_equal(out.len, 0);
    pl_buf_free(&out);
    /* Corrupt zstd and br */
    out = decode_split("zstd", bad, sizeof bad, 3, 0, &err, &complete);
    assert_int_equal(err, 1);
    pl_buf_free(&out);
    memset(bad, 0, sizeof bad); /* 0x5a... is a valid brotli prefix; zeros are not */
    out = decode_split("br", bad, sizeof bad, 3, 0, &err, &complete);
    assert_int_equal(err, 1);
    pl_buf_free(&out);
    /* Unknown coding */
    out = decode_split("compress", enc, elen, 5, 0, &err, &complete);
    assert_int_equal(err, 1);
    assert_int_equal(out.len, 0);
    pl_buf_free(&out);
    free(enc);
    free(plain);
}

static void test_limit(void **state)
{
    (void)state;
    /* A 1 MiB run of zeros compresses to ~1 KiB: the cap must stop the work, not just the copy. */
    size_t n = 1 << 20, elen;
    unsigned char *zeros = calloc(1, n);
    unsigned char *enc = zlib_pack(zeros, n, 31, &elen);
    pl_decoder *d = pl_decoder_new("gzip");
    pl_buf out = {0};
    int trunc = 0;
    assert_int_equal(pl_decoder_feed(d, enc, elen, &out, 1000, &trunc), 0);
    assert_int_equal(out.len, 1000);
    assert_int_equal(trunc, 1);
    assert_int_equal(pl_decoder_error(d), 0);
    pl_decoder_free(d);
    pl_buf_free(&out);
    free(enc);
    free(zeros);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_gzip_members),
        cmocka_unit_test(test_deflate_zlib_and_raw),
        cmocka_unit_test(test_br),
        cmocka_unit_test(test_zstd),
        cmocka_unit_test(test_stacked),
        cmocka_unit_test(test_corrupt_keeps_prefix),
        cmocka_unit_test(test_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
