/* test_body.c — nothing lost in silence (proto/body.h): a response whose gzip, deflate, br or zstd
 * body is corrupt keeps the undecoded bytes that arrived, flagged decode_error, through HTTP/1.1
 * (Content-Length and chunked) and HTTP/2, each fed whole, split at every byte and one byte at a
 * time; sound bodies are never flagged; a failed allocation truncates instead of leaving a hole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "../../proto/body.h"
#include "../../proto/http1.h"
#include "../../proto/http2.h"

/* Under ASan a failed huge allocation must return NULL, as it does without ASan (exported: the
 * build hides symbols by default, and the ASan runtime looks this one up dynamically). */
__attribute__((visibility("default"))) const char *__asan_default_options(void);
__attribute__((visibility("default"))) const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

static const char PLAIN[] =
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"Corrupt bodies are kept as they arrived, flagged, "
    "never shortened in silence. Corrupt bodies are kept as they arrived.\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":20,\"total_tokens\":32}}";

/* ---- encoders ---- */

static pl_buf zlib_pack(int wbits)
{
    pl_buf out = {0};
    unsigned char tmp[4096];
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)PLAIN;
    z.avail_in = sizeof PLAIN - 1;
    z.next_out = tmp;
    z.avail_out = sizeof tmp;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    pl_buf_append(&out, tmp, z.total_out);
    deflateEnd(&z);
    return out;
}

static pl_buf zstd_pack(void)
{
    pl_buf out = {0};
    unsigned char tmp[4096];
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    size_t n = ZSTD_compress2(c, tmp, sizeof tmp, PLAIN, sizeof PLAIN - 1);
    assert_false(ZSTD_isError(n));
    ZSTD_freeCCtx(c);
    pl_buf_append(&out, tmp, n);
    return out;
}

static pl_buf fixture(const char *name)
{
    const char *dir = getenv("PROMPTLOG_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    pl_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        pl_buf_append(&b, chunk, n);
    fclose(f);
    return b;
}

typedef enum { C_GZIP, C_DEFLATE, C_BR, C_ZSTD, N_CODINGS } coding;
static const char *const ce_name[N_CODINGS] = {"gzip", "deflate", "br", "zstd"};

/* The sound encoded body and the plain text it decodes to. */
static pl_buf encoded(coding c, pl_buf *plain)
{
    memset(plain, 0, sizeof *plain);
    switch (c) {
    case C_GZIP: pl_buf_append_str(plain, PLAIN); return zlib_pack(31);
    case C_DEFLATE: pl_buf_append_str(plain, PLAIN); return zlib_pack(15);
    case C_ZSTD: pl_buf_append_str(plain, PLAIN); return zstd_pack();
    default:
        *plain = fixture("openai_chat_stream_include_usage.sse");
        return fixture("openai_chat_stream_include_usage.sse.br");
    }
}

typedef enum { K_FLIP, K_CUT, K_TRAIL, N_KINDS } corruption;
static const char *const kind_name[N_KINDS] = {"flip", "cut", "trail"};

/* Bytes flipped in the middle, the stream cut in half, or garbage after its end. */
static pl_buf corrupt(const pl_buf *enc, corruption k)
{
    pl_buf b = {0};
    if (k == K_CUT) {
        pl_buf_append(&b, enc->data, enc->len / 2);
        return b;
    }
    pl_buf_append(&b, enc->data, enc->len);
    if (k == K_FLIP)
        for (size_t i = enc->len / 2; i < enc->len / 2 + 4; i++)
            b.data[i] = (char)~b.data[i];
    else
        pl_buf_append_str(&b, "GARBAGE!");
    return b;
}

/* ---- recording what the reassemblers report ---- */

typedef struct rec {
    int n;
    pl_buf body;
    int decode_error, truncated, incomplete, status;
} rec;

static int keep(void *ctx, const pl_exchange *x)
{
    (void)ctx;
    (void)x;
    return 1;
}

static void got(void *ctx, pl_exchange *x)
{
    rec *r = ctx;
    r->n++;
    pl_buf_reset(&r->body);
    pl_buf_append(&r->body, x->resp_body.data, x->resp_body.len);
    r->decode_error = x->decode_error;
    r->truncated = x->resp_truncated;
    r->incomplete = x->incomplete;
    r->status = x->status;
    pl_exchange_free(x);
}

static void expect(const rec *r, const pl_buf *body, int decode_error, const char *what)
{
    if (r->n != 1 || r->decode_error != decode_error || r->truncated || r->incomplete || r->status != 200 ||
        r->body.len != body->len || (body->len && memcmp(r->body.data, body->data, body->len) != 0))
        fail_msg("%s: n=%d decode_error=%d truncated=%d incomplete=%d status=%d len=%zu (want %zu, decode_error=%d)",
                 what, r->n, r->decode_error, r->truncated, r->incomplete, r->status, r->body.len, body->len,
                 decode_error);
}

/* ---- HTTP/1.1 ---- */

/* The wire: a request, then a response head and the body (Content-Length or one chunk). Fed
 * whole (split == -1), cut once at `split`, or in steps of `step` bytes. */
static void h1_run(rec *r, const char *ce, const pl_buf *body, int chunked, long split, size_t step)
{
    pl_buf in = {0};
    char head[256];
    if (chunked)
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n",
                 ce, body->len);
    else
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n", ce,
                 body->len);
    pl_buf_append_str(&in, head);
    pl_buf_append(&in, body->data, body->len);
    if (chunked)
        pl_buf_append_str(&in, "\r\n0\r\n\r\n");
    const char *req = "POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}";
    memset(r, 0, sizeof *r);
    pl_proto_events ev = {keep, got, r, 0};
    pl_h1 *c = pl_h1_new(&ev, PL_SOURCE_OPENSSL, "https");
    double now = 1;
    pl_h1_feed(c, PL_DIR_OUT, req, strlen(req), now);
    if (step) {
        for (size_t i = 0; i < in.len; i += step)
            pl_h1_feed(c, PL_DIR_IN, in.data + i, in.len - i < step ? in.len - i : step, now += 0.001);
    } else if (split >= 0) {
        if ((size_t)split > in.len)
            split = (long)in.len;
        pl_h1_feed(c, PL_DIR_IN, in.data, (size_t)split, now += 0.001);
        pl_h1_feed(c, PL_DIR_IN, in.data + split, in.len - (size_t)split, now += 0.001);
    } else {
        pl_h1_feed(c, PL_DIR_IN, in.data, in.len, now += 0.001);
    }
    assert_int_equal(pl_h1_ignored(c), 0);
    pl_h1_free(c);
    pl_buf_free(&in);
}

/* Every feeding of the response gives one record with `want` and the flag. */
static void h1_check(const char *ce, const pl_buf *wire_body, const pl_buf *want, int decode_error, int chunked,
                     const char *what)
{
    rec r;
    char label[160];
    h1_run(&r, ce, wire_body, chunked, -1, 0);
    snprintf(label, sizeof label, "%s whole", what);
    expect(&r, want, decode_error, label);
    size_t total = wire_body->len + 100;
    for (size_t at = 0; at <= total; at++) {
        pl_buf_free(&r.body);
        h1_run(&r, ce, wire_body, chunked, (long)at, 0);
        snprintf(label, sizeof label, "%s split at %zu", what, at);
        expect(&r, want, decode_error, label);
    }
    pl_buf_free(&r.body);
    h1_run(&r, ce, wire_body, chunked, -1, 1);
    snprintf(label, sizeof label, "%s byte by byte", what);
    expect(&r, want, decode_error, label);
    pl_buf_free(&r.body);
}

static void test_h1_corrupt_kept_and_flagged(void **state)
{
    (void)state;
    for (int c = 0; c < N_CODINGS; c++) {
        pl_buf plain;
        pl_buf enc = encoded((coding)c, &plain);
        char what[64];
        snprintf(what, sizeof what, "%s sound", ce_name[c]);
        h1_check(ce_name[c], &enc, &plain, 0, c & 1, what);
        for (int k = 0; k < N_KINDS; k++) {
            pl_buf bad = corrupt(&enc, (corruption)k);
            snprintf(what, sizeof what, "%s %s", ce_name[c], kind_name[k]);
            /* the stored body is exactly the bytes on the wire, undecoded */
            h1_check(ce_name[c], &bad, &bad, 1, (c + k) & 1, what);
            pl_buf_free(&bad);
        }
        pl_buf_free(&enc);
        pl_buf_free(&plain);
    }
}

/* A response cut short by the connection keeps what decoded: it is incomplete, not corrupt. */
static void test_h1_cut_connection_not_flagged(void **state)
{
    (void)state;
    pl_buf enc = zlib_pack(31);
    char head[128];
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", enc.len);
    const char *req = "POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}";
    rec r = {0};
    pl_proto_events ev = {keep, got, &r, 0};
    pl_h1 *c = pl_h1_new(&ev, PL_SOURCE_OPENSSL, "https");
    pl_h1_feed(c, PL_DIR_OUT, req, strlen(req), 1);
    pl_h1_feed(c, PL_DIR_IN, head, strlen(head), 2);
    pl_h1_feed(c, PL_DIR_IN, enc.data, enc.len - 12, 3);
    pl_h1_close(c, 4);
    pl_h1_free(c);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.incomplete, 1);
    assert_int_equal(r.decode_error, 0);
    assert_true(r.body.len > 0 && r.body.len < sizeof PLAIN - 1);
    assert_memory_equal(r.body.data, PLAIN, r.body.len);
    pl_buf_free(&r.body);
    pl_buf_free(&enc);
}

/* An unknown coding is stored as it came, flagged (it used to be dropped). */
static void test_h1_unknown_coding(void **state)
{
    (void)state;
    pl_buf b = {0};
    pl_buf_append_str(&b, "\x1f\x9d\x90 compressed with compress(1)");
    h1_check("compress", &b, &b, 1, 0, "compress");
    pl_buf_free(&b);
}

/* ---- HTTP/2 ---- */

static void frame(pl_buf *b, int type, int flags, uint32_t sid, const void *p, size_t n)
{
    unsigned char h[9] = {(unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n, (unsigned char)type,
                          (unsigned char)flags, (unsigned char)(sid >> 24), (unsigned char)(sid >> 16),
                          (unsigned char)(sid >> 8), (unsigned char)sid};
    pl_buf_append(b, h, 9);
    if (n)
        pl_buf_append(b, p, n);
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE }

static void h2_block(pl_buf *b, nghttp2_hd_deflater *d, uint32_t sid, int end_stream, const nghttp2_nv *nv, size_t n)
{
    unsigned char out[1024];
    ssize_t len = nghttp2_hd_deflate_hd(d, out, sizeof out, nv, n);
    assert_true(len > 0);
    frame(b, 1, 0x4 | (end_stream ? 1 : 0), sid, out, (size_t)len);
}

/* One stream whose response body arrives in DATA frames of `piece` bytes; the server's bytes
 * are fed cut once at `split` (or whole when split < 0, or byte by byte when split == -2). */
static void h2_run(rec *r, const char *ce, const pl_buf *body, size_t piece, long split)
{
    nghttp2_hd_deflater *dout, *din;
    nghttp2_hd_deflate_new(&dout, 4096);
    nghttp2_hd_deflate_new(&din, 4096);
    pl_buf out = {0}, in = {0};
    pl_buf_append(&out, PL_H2_PREFACE, PL_H2_PREFACE_LEN);
    frame(&out, 4, 0, 0, "", 0);
    nghttp2_nv rq[] = {NV(":method", "POST"), NV(":scheme", "https"), NV(":authority", "api.example.com"),
                       NV(":path", "/v1/chat/completions")};
    h2_block(&out, dout, 1, 1, rq, 4);
    frame(&in, 4, 0, 0, "", 0);
    nghttp2_nv rs[] = {NV(":status", "200"), NV("content-encoding", ce)};
    h2_block(&in, din, 1, 0, rs, 2);
    for (size_t off = 0; off < body->len; off += piece) {
        size_t n = body->len - off < piece ? body->len - off : piece;
        frame(&in, 0, off + n == body->len ? 1 : 0, 1, body->data + off, n);
    }
    memset(r, 0, sizeof *r);
    pl_proto_events ev = {keep, got, r, 0};
    pl_h2 *h = pl_h2_new(&ev, PL_SOURCE_OPENSSL);
    assert_int_equal(pl_h2_feed(h, PL_DIR_OUT, out.data, out.len, 1), 0);
    int rc = 0;
    if (split == -2) {
        for (size_t i = 0; i < in.len; i++)
            rc |= pl_h2_feed(h, PL_DIR_IN, in.data + i, 1, 2);
    } else if (split >= 0) {
        if ((size_t)split > in.len)
            split = (long)in.len;
        rc |= pl_h2_feed(h, PL_DIR_IN, in.data, (size_t)split, 2);
        rc |= pl_h2_feed(h, PL_DIR_IN, in.data + split, in.len - (size_t)split, 3);
    } else {
        rc |= pl_h2_feed(h, PL_DIR_IN, in.data, in.len, 2);
    }
    assert_int_equal(rc, 0);
    pl_h2_close(h, 4);
    pl_h2_free(h);
    pl_buf_free(&out);
    pl_buf_free(&in);
    nghttp2_hd_deflate_del(dout);
    nghttp2_hd_deflate_del(din);
}

static void test_h2_corrupt_kept_and_flagged(void **state)
{
    (void)state;
    for (int c = 0; c < N_CODINGS; c++) {
        pl_buf plain;
        pl_buf enc = encoded((coding)c, &plain);
        for (int k = -1; k < N_KINDS; k++) {
            pl_buf bad = {0};
            if (k < 0)
                pl_buf_append(&bad, enc.data, enc.len);
            else
                bad = corrupt(&enc, (corruption)k);
            const pl_buf *want = k < 0 ? &plain : &bad;
            char what[64];
            snprintf(what, sizeof what, "h2 %s %s", ce_name[c], k < 0 ? "sound" : kind_name[k]);
            rec r;
            h2_run(&r, ce_name[c], &bad, 37, -1);
            expect(&r, want, k >= 0, what);
            pl_buf_free(&r.body);
            h2_run(&r, ce_name[c], &bad, 37, -2);
            expect(&r, want, k >= 0, what);
            pl_buf_free(&r.body);
            for (long at = 0; at < (long)bad.len + 60; at += 7) {
                h2_run(&r, ce_name[c], &bad, 37, at);
                expect(&r, want, k >= 0, what);
                pl_buf_free(&r.body);
            }
            pl_buf_free(&bad);
        }
        pl_buf_free(&enc);
        pl_buf_free(&plain);
    }
}

/* ---- the cap and failed allocations ---- */

/* Feeds body byte by byte under a cap and ends the message. */
static pl_exchange *capped(const pl_buf *body, size_t cap)
{
    pl_exchange *x = pl_exchange_new(PL_SOURCE_OPENSSL);
    pl_body b = {0};
    assert_int_equal(pl_body_start(&b, x, "gzip"), 0);
    for (size_t i = 0; i < body->len; i++)
        pl_body_feed(&b, x, body->data + i, 1, cap, 1);
    pl_body_end(&b, x, 1, 2);
    return x;
}

/* Under the cap: corruption beyond what the cap keeps leaves the decoded prefix, truncated; a
 * body corrupt from its first bytes keeps the undecoded prefix, truncated and flagged. */
static void test_cap_with_corrupt_body(void **state)
{
    (void)state;
    pl_buf enc = zlib_pack(31);
    pl_buf bad = corrupt(&enc, K_FLIP);
    pl_exchange *x = capped(&bad, 40);
    assert_int_equal(x->decode_error, 0);
    assert_int_equal(x->resp_truncated, 1);
    assert_int_equal(x->resp_body.len, 40);
    assert_memory_equal(x->resp_body.data, PLAIN, 40);
    pl_exchange_free(x);

    for (int i = 0; i < 3; i++)
        bad.data[i] = (char)~bad.data[i];
    x = capped(&bad, 40);
    assert_int_equal(x->decode_error, 1);
    assert_int_equal(x->resp_truncated, 1);
    assert_int_equal(x->resp_body.len, 40);
    assert_memory_equal(x->resp_body.data, bad.data, 40);
    pl_exchange_free(x);
    pl_buf_free(&bad);
    pl_buf_free(&enc);
}

/* An append that cannot get memory truncates the body for good: later bytes never follow a hole. */
static void test_failed_allocation_truncates(void **state)
{
    (void)state;
    static const char huge_source[1];
    size_t huge = SIZE_MAX / 4;  /* no allocator grants this; nothing is read from the source */
    pl_exchange *x = pl_exchange_new(PL_SOURCE_OPENSSL);
    pl_body b = {0};
    assert_int_equal(pl_body_start(&b, x, NULL), 0);
    pl_body_feed(&b, x, "first ", 6, 0, 1);
    pl_body_feed(&b, x, huge_source, huge, 0, 2);
    pl_body_feed(&b, x, "later", 5, 0, 3);
    pl_body_end(&b, x, 1, 4);
    assert_int_equal(x->resp_truncated, 1);
    assert_int_equal(x->decode_error, 0);
    assert_int_equal(x->resp_body.len, 6);
    assert_memory_equal(x->resp_body.data, "first ", 6);

    pl_body_request(x, "abc", 3, 0);
    pl_body_request(x, huge_source, huge, 0);
    pl_body_request(x, "def", 3, 0);
    assert_int_equal(x->req_truncated, 1);
    assert_int_equal(x->req_body.len, 3);
    assert_memory_equal(x->req_body.data, "abc", 3);
    pl_exchange_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_h1_corrupt_kept_and_flagged),
        cmocka_unit_test(test_h1_cut_connection_not_flagged),
        cmocka_unit_test(test_h1_unknown_coding),
        cmocka_unit_test(test_h2_corrupt_kept_and_flagged),
        cmocka_unit_test(test_cap_with_corrupt_body),
        cmocka_unit_test(test_failed_allocation_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
