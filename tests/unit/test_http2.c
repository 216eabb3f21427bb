/* test_http2.c — HTTP/2 reassembly (proto/http2.c): byte streams built with libnghttp2's own HPACK
 * deflater and hand-made frames, each fed whole, split at every position and byte by byte. */
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

#include "../../proto/http2.h"

/* ---- building byte streams ---- */

typedef struct seg {
    pl_dir dir;
    pl_buf b;
} seg;

typedef struct script {
    seg segs[256];
    size_t n;
    nghttp2_hd_deflater *def[2];   /* the encoder whose blocks travel in each direction */
} script;

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE }

static pl_buf *cur(script *s, pl_dir dir)
{
    if (!s->n || s->segs[s->n - 1].dir != dir) {
        assert_true(s->n < 256);
        memset(&s->segs[s->n], 0, sizeof s->segs[s->n]);
        s->segs[s->n++].dir = dir;
    }
    return &s->segs[s->n - 1].b;
}

static void raw(script *s, pl_dir dir, const void *p, size_t n)
{
    assert_int_equal(pl_buf_append(cur(s, dir), p, n), 0);
}

static void frame(script *s, pl_dir dir, int type, int flags, uint32_t sid, const void *p, size_t n)
{
    unsigned char h[9] = {(unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n,
                          (unsigned char)type, (unsigned char)flags,
                          (unsigned char)(sid >> 24), (unsigned char)(sid >> 16), (unsigned char)(sid >> 8), (unsigned char)sid};
    raw(s, dir, h, 9);
    if (n)
        raw(s, dir, p, n);
}

static size_t block(script *s, pl_dir dir, const nghttp2_nv *nv, size_t nvlen, unsigned char *out, size_t cap)
{
    ssize_t n = nghttp2_hd_deflate_hd(s->def[dir], out, cap, nv, nvlen);
    assert_true(n >= 0);
    return (size_t)n;
}

static size_t headers(script *s, pl_dir dir, uint32_t sid, int end_stream, const nghttp2_nv *nv, size_t nvlen)
{
    unsigned char b[8192];
    size_t n = block(s, dir, nv, nvlen, b, sizeof b);
    frame(s, dir, 1, 0x4 | (end_stream ? 1 : 0), sid, b, n);
    return n;
}

static void data(script *s, pl_dir dir, uint32_t sid, int end_stream, const char *text)
{
    frame(s, dir, 0, end_stream ? 1 : 0, sid, text, strlen(text));
}

static void settings(script *s, pl_dir dir, int ack, int table_size)
{
    unsigned char p[6] = {0, 1, (unsigned char)(table_size >> 24), (unsigned char)(table_size >> 16),
                          (unsigned char)(table_size >> 8), (unsigned char)table_size};
    frame(s, dir, 4, ack ? 1 : 0, 0, p, ack || table_size < 0 ? 0 : 6);
}

static void rst(script *s, pl_dir dir, uint32_t sid, int code)
{
    unsigned char p[4] = {0, 0, 0, (unsigned char)code};
    frame(s, dir, 3, 0, sid, p, 4);
}

static void goaway(script *s, uint32_t last, const char *debug)
{
    unsigned char p[64] = {(unsigned char)(last >> 24), (unsigned char)(last >> 16), (unsigned char)(last >> 8), (unsigned char)last, 0, 0, 0, 0};
    size_t n = strlen(debug);
    memcpy(p + 8, debug, n);
    frame(s, PL_DIR_IN, 7, 0, 0, p, 8 + n);
}

/* Preface and the SETTINGS exchange every connection starts with. */
static void s_init(script *s)
{
    memset(s, 0, sizeof *s);
    assert_int_equal(nghttp2_hd_deflate_new(&s->def[PL_DIR_OUT], 65536), 0);
    assert_int_equal(nghttp2_hd_deflate_new(&s->def[PL_DIR_IN], 65536), 0);
    raw(s, PL_DIR_OUT, PL_H2_PREFACE, PL_H2_PREFACE_LEN);
    unsigned char p[12] = {0, 2, 0, 0, 0, 0, 0, 4, 0, 0x60, 0, 0};   /* ENABLE_PUSH=0, WINDOW */
    frame(s, PL_DIR_OUT, 4, 0, 0, p, 12);
    unsigned char win[4] = {0, 0x0f, 0, 1};
    frame(s, PL_DIR_OUT, 8, 0, 0, win, 4);
    settings(s, PL_DIR_IN, 0, -1);
    settings(s, PL_DIR_IN, 1, 0);
    settings(s, PL_DIR_OUT, 1, 0);
}

static void s_free(script *s)
{
    for (size_t i = 0; i < s->n; i++)
        pl_buf_free(&s->segs[i].b);
    nghttp2_hd_deflate_del(s->def[0]);
    nghttp2_hd_deflate_del(s->def[1]);
}

/* Request on a new stream: POST with headers, body pieces follow separately. */
static void request(script *s, uint32_t sid, const char *path, int end_stream)
{
    nghttp2_nv nv[] = {NV(":method", "POST"), NV(":scheme", "https"), NV(":authority", "API.Example.com:8443"),
                       NV(":path", ""), NV("content-type", "application/json"), NV("authorization", "Bearer sk-test")};
    nv[3].value = (uint8_t *)path;
    nv[3].valuelen = strlen(path);
    headers(s, PL_DIR_OUT, sid, end_stream, nv, sizeof nv / sizeof nv[0]);
}

static void response(script *s, uint32_t sid, const char *status, int end_stream)
{
    nghttp2_nv nv[] = {NV(":status", ""), NV("content-type", "text/event-stream"), NV("x-request-id", "req-1")};
    nv[0].value = (uint8_t *)status;
    nv[0].valuelen = strlen(status);
    headers(s, PL_DIR_IN, sid, end_stream, nv, sizeof nv / sizeof nv[0]);
}

/* ---- running and recording ---- */

typedef struct rec {
    pl_buf log;
    int keep_all;
} rec;

static void log_headers(pl_buf *b, const pl_headers *h)
{
    for (size_t i = 0; i < h->count; i++) {
        pl_buf_append_str(b, " [");
        pl_buf_append_str(b, h->items[i].name);
        pl_buf_append_str(b, ": ");
        pl_buf_append_str(b, h->items[i].value);
        pl_buf_append_str(b, "]");
    }
}

static int on_request(void *ctx, const pl_exchange *x)
{
    rec *r = ctx;
    char line[512];
    snprintf(line, sizeof line, "REQ %s %s %s %d %s v%d src%d", x->method, x->scheme, x->host, x->port, x->target,
             x->http_version, (int)x->source);
    pl_buf_append_str(&r->log, line);
    log_headers(&r->log, &x->req_headers);
    pl_buf_append_str(&r->log, "\n");
    return r->keep_all || !strstr(x->target, "skip");
}

static void on_exchange(void *ctx, pl_exchange *x)
{
    rec *r = ctx;
    char line[512];
    snprintf(line, sizeof line, "EXC %s %s status=%d inc=%d rqt=%d rst=%d fb=%d req=", x->method, x->target, x->status,
             x->incomplete, x->req_truncated, x->resp_truncated, x->first_byte_at > 0);
    pl_buf_append_str(&r->log, line);
    pl_buf_append(&r->log, x->req_body.data, x->req_body.len);
    pl_buf_append_str(&r->log, " resp=");
    pl_buf_append(&r->log, x->resp_body.data, x->resp_body.len);
    pl_buf_append_str(&r->log, " |");
    log_headers(&r->log, &x->resp_headers);
    pl_buf_append_str(&r->log, "\n");
    pl_exchange_free(x);
}

enum { WHOLE = -1, BYTEWISE = -2 };

static size_t max_body = 0;

/* Feeds the script; split = WHOLE, BYTEWISE, or an offset at which each direction's stream is
 * cut once. Returns the log (caller frees). close_at_end reports in-flight streams. */
static char *run(script *s, long split, int close_at_end)
{
    rec r = {0};
    pl_proto_events ev = {on_request, on_exchange, &r, max_body};
    pl_h2 *h = pl_h2_new(&ev, PL_SOURCE_OPENSSL);
    assert_non_null(h);
    size_t off[2] = {0, 0};
    int failed = 0;
    double now = 1000;
    for (size_t i = 0; i < s->n; i++) {
        seg *g = &s->segs[i];
        size_t pieces[3], np = 0;
        if (split >= 0 && (size_t)split > off[g->dir] && (size_t)split < off[g->dir] + g->b.len) {
            pieces[np++] = (size_t)split - off[g->dir];
            pieces[np++] = g->b.len - pieces[0];
        } else {
            pieces[np++] = g->b.len;
        }
        size_t pos = 0;
        for (size_t k = 0; k < np; k++) {
            size_t step = split == BYTEWISE ? 1 : pieces[k];
            for (size_t end = pos + pieces[k]; pos < end; pos += step) {
                int rc = pl_h2_feed(h, g->dir, g->b.data + pos, step, now += 0.001);
                if (rc != 0 && !failed) {
                    failed = 1;
                    pl_buf_append_str(&r.log, "FAILED\n");
                }
                assert_int_equal(rc != 0, pl_h2_failed(h));
            }
        }
        off[g->dir] += g->b.len;
    }
    if (close_at_end)
        pl_h2_close(h, now);
    pl_h2_free(h);
    if (!r.log.data)
        pl_buf_append_str(&r.log, "");
    return pl_buf_detach(&r.log);
}

/* The whole-feed log, after checking every split and byte-at-a-time give the same events. */
static char *run_all(script *s, int close_at_end)
{
    char *whole = run(s, WHOLE, close_at_end);
    char *bytes = run(s, BYTEWISE, close_at_end);
    assert_string_equal(whole, bytes);
    free(bytes);
    size_t longest = 0, total[2] = {0, 0};
    for (size_t i = 0; i < s->n; i++)
        total[s->segs[i].dir] += s->segs[i].b.len;
    longest = total[0] > total[1] ? total[0] : total[1];
    for (size_t k = 1; k < longest; k++) {
        char *split = run(s, (long)k, close_at_end);
        if (strcmp(whole, split) != 0)
            fail_msg("split at %zu differs:\n%s\n--- vs whole ---\n%s", k, split, whole);
        free(split);
    }
    return whole;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* ---- tests ---- */

static void test_preface_match(void **state)
{
    (void)state;
    assert_int_equal(pl_h2_preface_match(PL_H2_PREFACE "xyz", PL_H2_PREFACE_LEN + 3), 1);
    assert_int_equal(pl_h2_preface_match("PRI * HT", 8), -1);
    assert_int_equal(pl_h2_preface_match("POST / HTTP/1.1\r\n", 17), 0);
    assert_int_equal(pl_h2_preface_match("", 0), -1);
}

static void test_single_exchange(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    request(&s, 1, "/v1/chat/completions?x=1", 0);
    data(&s, PL_DIR_OUT, 1, 0, "{\"model\":");
    data(&s, PL_DIR_OUT, 1, 1, "\"m\"}");
    response(&s, 1, "200", 0);
    data(&s, PL_DIR_IN, 1, 0, "data: a\n\n");
    data(&s, PL_DIR_IN, 1, 0, "");
    data(&s, PL_DIR_IN, 1, 1, "data: b\n\n");
    char *log = run_all(&s, 1);
    assert_string_equal(log,
        "REQ POST https api.example.com 8443 /v1/chat/completions?x=1 v20 src2 [content-type: application/json] [authorization: Bearer sk-test]\n"
        "EXC POST /v1/chat/completions?x=1 status=200 inc=0 rqt=0 rst=0 fb=1 req={\"model\":\"m\"} resp=data: a\n\ndata: b\n\n"
        " | [content-type: text/event-stream] [x-request-id: req-1]\n");
    free(log);
    s_free(&s);
}

static void test_multiplexed_interleaved(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    request(&s, 1, "/one", 0);
    request(&s, 3, "/skip-me", 0);
    request(&s, 5, "/three", 0);
    data(&s, PL_DIR_OUT, 3, 1, "body3");
    data(&s, PL_DIR_OUT, 1, 0, "body");
    data(&s, PL_DIR_OUT, 5, 1, "body5");
    data(&s, PL_DIR_OUT, 1, 1, "1");
    response(&s, 5, "200", 0);
    response(&s, 1, "201", 0);
    response(&s, 3, "200", 0);
    data(&s, PL_DIR_IN, 1, 0, "r1a");
    data(&s, PL_DIR_IN, 3, 0, "r3a");
    data(&s, PL_DIR_IN, 5, 0, "r5a");
    data(&s, PL_DIR_IN, 3, 1, "r3b");
    data(&s, PL_DIR_IN, 5, 1, "r5b");
    /* a request while others are in flight, answered in one HEADERS with END_STREAM */
    request(&s, 7, "/four", 1);
    response(&s, 7, "204", 1);
    data(&s, PL_DIR_IN, 1, 1, "r1b");
    char *log = run_all(&s, 1);
    assert_int_equal(count(log, "REQ "), 4);
    assert_int_equal(count(log, "EXC "), 3);
    assert_null(strstr(log, "EXC POST /skip-me"));
    assert_non_null(strstr(log, "EXC POST /three status=200 inc=0 rqt=0 rst=0 fb=1 req=body5 resp=r5ar5b |"));
    assert_non_null(strstr(log, "EXC POST /one status=201 inc=0 rqt=0 rst=0 fb=1 req=body1 resp=r1ar1b |"));
    assert_non_null(strstr(log, "EXC POST /four status=204 inc=0 rqt=0 rst=0 fb=1 req= resp= |"));
    /* completion order: 5, then 7, then 1 */
    assert_true(strstr(log, "EXC POST /three") < strstr(log, "EXC POST /four"));
    assert_true(strstr(log, "EXC POST /four") < strstr(log, "EXC POST /one"));
    free(log);
    s_free(&s);
}

static void test_continuation(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    char big[3000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    nghttp2_nv nv[] = {NV(":method", "GET"), NV(":scheme", "https"), NV(":authority", "h.example"), NV(":path", "/c"),
                       NV("x-big", "")};
    nv[4].value = (uint8_t *)big;
    nv[4].valuelen = strlen(big);
    unsigned char b[8192];
    size_t n = block(&s, PL_DIR_OUT, nv, 5, b, sizeof b);
    assert_true(n > 300);
    frame(&s, PL_DIR_OUT, 1, 0x1, 1, b, 100);                 /* HEADERS, END_STREAM, no END_HEADERS */
    frame(&s, PL_DIR_OUT, 9, 0, 1, b + 100, 100);             /* CONTINUATION */
    frame(&s, PL_DIR_OUT, 9, 0, 1, b + 200, 0);               /* empty CONTINUATION */
    frame(&s, PL_DIR_OUT, 9, 0x4, 1, b + 200, n - 200);       /* CONTINUATION, END_HEADERS */
    nghttp2_nv rv[] = {NV(":status", "200"), NV("x-big", "")};
    rv[1].value = (uint8_t *)big;
    rv[1].valuelen = strlen(big);
    n = block(&s, PL_DIR_IN, rv, 2, b, sizeof b);
    frame(&s, PL_DIR_IN, 1, 0, 1, b, 10);
    frame(&s, PL_DIR_IN, 9, 0x4, 1, b + 10, n - 10);
    data(&s, PL_DIR_IN, 1, 1, "ok");
    char *log = run_all(&s, 1);
    assert_int_equal(count(log, "EXC GET /c status=200 inc=0"), 1);
    assert_int_equal(count(log, big), 2);
    assert_null(strstr(log, "FAILED"));
    free(log);
    s_free(&s);
}

static void test_padding_and_priority(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    nghttp2_nv nv[] = {NV(":method", "POST"), NV(":scheme", "https"), NV(":authority", "h.example"), NV(":path", "/p")};
    unsigned char b[512], f[1024];
    size_t n = block(&s, PL_DIR_OUT, nv, 4, b, sizeof b);
    /* HEADERS with PADDED and PRIORITY: pad length, dependency + weight, fragment, padding */
    f[0] = 7;
    memcpy(f + 1, "\x80\x00\x00\x00\x10", 5);
    memcpy(f + 6, b, n);
    memset(f + 6 + n, 0, 7);
    frame(&s, PL_DIR_OUT, 1, 0x4 | 0x8 | 0x20, 1, f, 6 + n + 7);
    /* padded DATA: "hello" with 10 bytes of padding; then padded, empty, END_STREAM */
    f[0] = 10;
    memcpy(f + 1, "hello", 5);
    memset(f + 6, 0, 10);
    frame(&s, PL_DIR_OUT, 0, 0x8, 1, f, 16);
    f[0] = 0;
    frame(&s, PL_DIR_OUT, 0, 0x9, 1, f, 1);
    /* a PRIORITY frame, a PING and an unknown frame type in between are ignored */
    frame(&s, PL_DIR_OUT, 2, 0, 3, "\x00\x00\x00\x01\x20", 5);
    frame(&s, PL_DIR_IN, 6, 0, 0, "12345678", 8);
    frame(&s, PL_DIR_OUT, 6, 1, 0, "12345678", 8);
    frame(&s, PL_DIR_IN, 0xfa, 0xff, 1, "whatever", 8);
    nghttp2_nv rv[] = {NV(":status", "200")};
    n = block(&s, PL_DIR_IN, rv, 1, b, sizeof b);
    f[0] = 3;
    memcpy(f + 1, b, n);
    memset(f + 1 + n, 0, 3);
    frame(&s, PL_DIR_IN, 1, 0x4 | 0x8, 1, f, 1 + n + 3);
    f[0] = 200;
    memcpy(f + 1, "world", 5);
    memset(f + 6, 0, 200);
    frame(&s, PL_DIR_IN, 0, 0x9, 1, f, 206);
    char *log = run_all(&s, 1);
    assert_string_equal(log, "REQ POST https h.example 443 /p v20 src2\n"
                             "EXC POST /p status=200 inc=0 rqt=0 rst=0 fb=1 req=hello resp=world |\n");
    free(log);
    s_free(&s);
}

static void test_dynamic_table_across_requests(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    nghttp2_nv nv[] = {NV(":method", "POST"), NV(":scheme", "https"), NV(":authority", "h.example"),
                       NV(":path", "/v1/messages"), NV("x-api-key", "secret-value-1234567890"),
                       NV("anthropic-version", "2023-06-01"), NV("user-agent", "custom-agent/1.0 (long enough)")};
    size_t first = headers(&s, PL_DIR_OUT, 1, 1, nv, 7);
    size_t second = headers(&s, PL_DIR_OUT, 3, 1, nv, 7);
    assert_true(second < first / 3);   /* the second block is made of dynamic-table indexes */
    nghttp2_nv rv[] = {NV(":status", "200"), NV("x-custom-server-header", "some rather long value here")};
    size_t r1 = headers(&s, PL_DIR_IN, 1, 0, rv, 2);
    size_t r2 = headers(&s, PL_DIR_IN, 3, 0, rv, 2);
    assert_true(r2 < r1);
    data(&s, PL_DIR_IN, 3, 1, "three");
    data(&s, PL_DIR_IN, 1, 1, "one");
    char *log = run_all(&s, 1);
    const char *req = "REQ POST https h.example 443 /v1/messages v20 src2 [x-api-key: secret-value-1234567890] "
                      "[anthropic-version: 2023-06-01] [user-agent: custom-agent/1.0 (long enough)]\n";
    assert_int_equal(count(log, req), 2);
    assert_int_equal(count(log, "inc=0 rqt=0 rst=0 fb=1 req= resp=three | [x-custom-server-header: some rather long value here]\n"), 1);
    assert_int_equal(count(log, "inc=0 rqt=0 rst=0 fb=1 req= resp=one | [x-custom-server-header: some rather long value here]\n"), 1);
    free(log);
    s_free(&s);
}

static void test_header_table_size_settings(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    nghttp2_nv nv[] = {NV(":method", "GET"), NV(":scheme", "https"), NV(":authority", "h.example"),
                       NV(":path", "/t"), NV("x-long-header-name", "a long header value to fill the table")};
    nghttp2_nv rv[] = {NV(":status", "200"), NV("x-server", "a long server header value in the table")};
    /* The server allows a larger table: the client's encoder announces 16384 and uses it. */
    settings(&s, PL_DIR_IN, 0, 16384);
    assert_int_equal(nghttp2_hd_deflate_change_table_size(s.def[PL_DIR_OUT], 16384), 0);
    headers(&s, PL_DIR_OUT, 1, 1, nv, 5);   /* usable on receipt, before the client's ACK */
    settings(&s, PL_DIR_OUT, 1, 0);
    headers(&s, PL_DIR_IN, 1, 1, rv, 2);
    /* The client shrinks the server's table to 0: binding once the server acknowledged it. */
    settings(&s, PL_DIR_OUT, 0, 0);
    headers(&s, PL_DIR_OUT, 3, 1, nv, 5);
    headers(&s, PL_DIR_IN, 3, 1, rv, 2);   /* sent before the ACK: still the old table */
    settings(&s, PL_DIR_IN, 1, 0);
    assert_int_equal(nghttp2_hd_deflate_change_table_size(s.def[PL_DIR_IN], 0), 0);
    headers(&s, PL_DIR_OUT, 5, 1, nv, 5);
    headers(&s, PL_DIR_IN, 5, 1, rv, 2);   /* starts with a table size update to 0 */
    headers(&s, PL_DIR_OUT, 7, 1, nv, 5);
    headers(&s, PL_DIR_IN, 7, 1, rv, 2);
    char *log = run_all(&s, 1);
    assert_null(strstr(log, "FAILED"));
    assert_int_equal(count(log, "REQ GET https h.example 443 /t v20 src2 [x-long-header-name: a long header value to fill the table]\n"), 4);
    assert_int_equal(count(log, "EXC GET /t status=200 inc=0 rqt=0 rst=0 fb=1 req= resp= | [x-server: a long server header value in the table]\n"), 4);
    free(log);
    s_free(&s);
}

static void test_header_table_size_violation_fails(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    /* The client's encoder grows its table without the server having allowed it. */
    assert_int_equal(nghttp2_hd_deflate_change_table_size(s.def[PL_DIR_OUT], 16384), 0);
    nghttp2_nv nv[] = {NV(":method", "GET"), NV(":scheme", "https"), NV(":authority", "h.example"), NV(":path", "/t")};
    headers(&s, PL_DIR_OUT, 1, 1, nv, 4);
    char *log = run_all(&s, 1);
    assert_string_equal(log, "FAILED\n");
    free(log);
    s_free(&s);

    /* The server's encoder ignores an acknowledged shrink (no table size update follows). */
    s_init(&s);
    settings(&s, PL_DIR_OUT, 0, 0);
    settings(&s, PL_DIR_IN, 1, 0);
    headers(&s, PL_DIR_OUT, 1, 1, nv, 4);
    nghttp2_nv rv[] = {NV(":status", "200")};
    headers(&s, PL_DIR_IN, 1, 1, rv, 1);
    log = run_all(&s, 1);
    assert_string_equal(log, "REQ GET https h.example 443 /t v20 src2\nFAILED\n");
    free(log);
    s_free(&s);
}

static void test_rst_stream_mid_response(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    request(&s, 1, "/a", 1);
    request(&s, 3, "/b", 1);
    response(&s, 1, "200", 0);
    response(&s, 3, "200", 0);
    data(&s, PL_DIR_IN, 1, 0, "partial");
    data(&s, PL_DIR_IN, 3, 0, "three");
    rst(&s, PL_DIR_OUT, 1, 8);   /* the client cancels stream 1 */
    data(&s, PL_DIR_IN, 1, 0, "late bytes after the reset");
    data(&s, PL_DIR_IN, 3, 0, "more");
    rst(&s, PL_DIR_IN, 3, 2);    /* the server resets stream 3 */
    char *log = run_all(&s, 1);
    assert_string_equal(log,
        "REQ POST https api.example.com 8443 /a v20 src2 [content-type: application/json] [authorization: Bearer sk-test]\n"
        "REQ POST https api.example.com 8443 /b v20 src2 [content-type: application/json] [authorization: Bearer sk-test]\n"
        "EXC POST /a status=200 inc=1 rqt=0 rst=0 fb=1 req= resp=partial | [content-type: text/event-stream] [x-request-id: req-1]\n"
        "EXC POST /b status=200 inc=1 rqt=0 rst=0 fb=1 req= resp=threemore | [content-type: text/event-stream] [x-request-id: req-1]\n");
    free(log);
    s_free(&s);
}

static void test_goaway(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    request(&s, 1, "/a", 1);
    request(&s, 3, "/b", 1);
    response(&s, 1, "200", 0);
    data(&s, PL_DIR_IN, 1, 0, "x");
    goaway(&s, 1, "shutting down");   /* stream 3 will never be processed */
    data(&s, PL_DIR_IN, 1, 1, "y");
    char *log = run_all(&s, 1);
    const char *b = strstr(log, "EXC POST /b status=0 inc=1 rqt=0 rst=0 fb=0 req= resp= |\n");
    const char *a = strstr(log, "EXC POST /a status=200 inc=0 rqt=0 rst=0 fb=1 req= resp=xy |");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(b < a);
    free(log);
    s_free(&s);
}

static void test_close_reports_in_flight(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    request(&s, 1, "/a", 0);
    data(&s, PL_DIR_OUT, 1, 0, "half");
    request(&s, 3, "/b", 1);
    response(&s, 3, "200", 0);
    data(&s, PL_DIR_IN, 3, 0, "so far");
    char *log = run_all(&s, 1);
    assert_non_null(strstr(log, "EXC POST /a status=0 inc=1 rqt=0 rst=0 fb=0 req=half resp= |\n"));
    assert_non_null(strstr(log, "EXC POST /b status=200 inc=1 rqt=0 rst=0 fb=1 req= resp=so far |"));
    assert_true(strstr(log, "EXC POST /a") < strstr(log, "EXC POST /b"));
    free(log);
    /* without close, nothing is reported (and nothing leaks: ASan checks) */
    log = run(&s, WHOLE, 0);
    assert_int_equal(count(log, "EXC"), 0);
    free(log);
    s_free(&s);
}

static void test_corrupt_hpack_fails(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    request(&s, 1, "/done", 1);
    response(&s, 1, "200", 1);
    request(&s, 3, "/inflight", 1);
    response(&s, 3, "200", 0);
    data(&s, PL_DIR_IN, 3, 0, "partial");
    /* index 200 is past the static and dynamic tables */
    frame(&s, PL_DIR_OUT, 1, 0x5, 5, "\x82\xff\x49", 3);
    data(&s, PL_DIR_IN, 3, 1, "rest");
    request(&s, 7, "/after", 1);
    char *log = run_all(&s, 1);
    assert_non_null(strstr(log, "EXC POST /done status=200 inc=0"));
    assert_null(strstr(log, "/inflight status"));
    assert_null(strstr(log, "/after"));
    assert_non_null(strstr(log, "FAILED\n"));
    assert_int_equal(count(log, "EXC"), 1);
    free(log);
    s_free(&s);
}

static void test_protocol_violations_fail(void **state)
{
    (void)state;
    const char *names[] = {"bad preface", "data on stream 0", "continuation without headers", "padding too long",
                           "push promise", "ping size", "server starts without settings", "headers interrupted",
                           "absurd header frame"};
    for (int i = 0; i < 9; i++) {
        script s;
        memset(&s, 0, sizeof s);
        assert_int_equal(nghttp2_hd_deflate_new(&s.def[0], 4096), 0);
        assert_int_equal(nghttp2_hd_deflate_new(&s.def[1], 4096), 0);
        if (i == 0) {
            raw(&s, PL_DIR_OUT, "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", 24);
        } else if (i == 6) {
            raw(&s, PL_DIR_OUT, PL_H2_PREFACE, 24);
            frame(&s, PL_DIR_IN, 6, 0, 0, "12345678", 8);
        } else {
            raw(&s, PL_DIR_OUT, PL_H2_PREFACE, 24);
            settings(&s, PL_DIR_IN, 0, -1);
            request(&s, 1, "/x", 0);
            response(&s, 1, "200", 0);
            switch (i) {
            case 1: frame(&s, PL_DIR_IN, 0, 0, 0, "abc", 3); break;
            case 2: frame(&s, PL_DIR_OUT, 9, 4, 1, "\x82", 1); break;
            case 3: frame(&s, PL_DIR_IN, 0, 0x8, 1, "\x05" "abc", 4); break;
            case 4: frame(&s, PL_DIR_IN, 5, 4, 1, "\x00\x00\x00\x02\x82", 5); break;
            case 5: frame(&s, PL_DIR_IN, 6, 0, 0, "1234", 4); break;
            case 7:
                frame(&s, PL_DIR_OUT, 1, 0, 3, "\x82", 1);
                frame(&s, PL_DIR_OUT, 0, 0, 1, "abc", 3);
                break;
            case 8: {
                unsigned char h[9] = {0x10, 0, 0, 1, 4, 0, 0, 0, 3};   /* 1 MiB HEADERS */
                raw(&s, PL_DIR_OUT, h, 9);
                break;
            }
            }
        }
        char *log = run_all(&s, 1);
        if (!strstr(log, "FAILED\n") || strstr(log, "EXC"))
            fail_msg("%s: %s", names[i], log);
        free(log);
        s_free(&s);
    }
}

static void test_informational_and_trailers(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    request(&s, 1, "/t", 0);
    response(&s, 1, "100", 0);
    data(&s, PL_DIR_OUT, 1, 1, "body");
    response(&s, 1, "200", 0);
    data(&s, PL_DIR_IN, 1, 0, "resp");
    nghttp2_nv tr[] = {NV("grpc-status", "0")};
    headers(&s, PL_DIR_IN, 1, 1, tr, 1);
    char *log = run_all(&s, 1);
    assert_non_null(strstr(log, "EXC POST /t status=200 inc=0 rqt=0 rst=0 fb=1 req=body resp=resp | "
                                "[content-type: text/event-stream] [x-request-id: req-1] [grpc-status: 0]\n"));
    free(log);
    s_free(&s);
}

static void test_body_cap(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    request(&s, 1, "/cap", 0);
    data(&s, PL_DIR_OUT, 1, 1, "0123456789abcdef");
    response(&s, 1, "200", 0);
    data(&s, PL_DIR_IN, 1, 0, "0123456");
    data(&s, PL_DIR_IN, 1, 1, "789abcdef");
    max_body = 10;
    char *log = run_all(&s, 1);
    max_body = 0;
    assert_non_null(strstr(log, "EXC POST /cap status=200 inc=0 rqt=1 rst=1 fb=1 req=0123456789 resp=0123456789 |"));
    free(log);
    s_free(&s);
}

static void test_skipped_stream(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    request(&s, 1, "/skip", 0);
    data(&s, PL_DIR_OUT, 1, 1, "not kept");
    response(&s, 1, "200", 0);
    data(&s, PL_DIR_IN, 1, 1, "not kept either");
    request(&s, 3, "/kept", 1);
    response(&s, 3, "200", 1);
    char *log = run_all(&s, 1);
    assert_int_equal(count(log, "REQ "), 2);
    assert_int_equal(count(log, "EXC "), 1);
    assert_null(strstr(log, "not kept"));
    assert_non_null(strstr(log, "EXC POST /kept status=200 inc=0"));
    free(log);
    s_free(&s);
}

static char *slurp(const char *name, size_t *len)
{
    const char *dir = getenv("PROMPTLOG_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("missing fixture %s", path);
    pl_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        pl_buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return pl_buf_detach(&b);
}

/* Response bodies are content-decoded as they arrive, whatever the DATA frame boundaries. */
static void test_content_encoding(void **state)
{
    (void)state;
    const char *text = "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}\n\ndata: [DONE]\n\n";
    unsigned char gz[512];
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)text;
    z.avail_in = (unsigned)strlen(text);
    z.next_out = gz;
    z.avail_out = sizeof gz;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t gzlen = z.total_out;
    deflateEnd(&z);

    size_t brlen, plainlen;
    char *br = slurp("openai_chat_stream_include_usage.sse.br", &brlen);
    char *plain = slurp("openai_chat_stream_include_usage.sse", &plainlen);

    script s;
    s_init(&s);
    request(&s, 1, "/gzip", 1);
    request(&s, 3, "/br", 1);
    nghttp2_nv g[] = {NV(":status", "200"), NV("content-encoding", "gzip")};
    nghttp2_nv b[] = {NV(":status", "200"), NV("content-encoding", "br")};
    headers(&s, PL_DIR_IN, 1, 0, g, 2);
    headers(&s, PL_DIR_IN, 3, 0, b, 2);
    frame(&s, PL_DIR_IN, 0, 0, 1, gz, 7);
    frame(&s, PL_DIR_IN, 0, 0, 3, br, 100);
    frame(&s, PL_DIR_IN, 0, 0, 1, gz + 7, 20);
    frame(&s, PL_DIR_IN, 0, 0, 3, br + 100, brlen - 100);
    frame(&s, PL_DIR_IN, 0, 1, 1, gz + 27, gzlen - 27);
    frame(&s, PL_DIR_IN, 0, 1, 3, "", 0);
    char *log = run_all(&s, 1);
    pl_buf want = {0};
    pl_buf_append_str(&want, "EXC POST /gzip status=200 inc=0 rqt=0 rst=0 fb=1 req= resp=");
    pl_buf_append_str(&want, text);
    pl_buf_append_str(&want, " | [content-encoding: gzip]\n");
    assert_non_null(strstr(log, want.data));
    pl_buf_reset(&want);
    pl_buf_append_str(&want, "EXC POST /br status=200 inc=0 rqt=0 rst=0 fb=1 req= resp=");
    pl_buf_append(&want, plain, plainlen);
    pl_buf_append_str(&want, " | [content-encoding: br]\n");
    assert_non_null(strstr(log, want.data));
    pl_buf_free(&want);
    free(log);
    free(br);
    free(plain);
    s_free(&s);
}

/* Any single corrupted bit (every third bit of every byte): never a crash or leak (checked by the
 * ASan run), and never more records than request HEADERS frames (3 with a mangled stream id). */
static void test_corrupted_bytes_never_crash(void **state)
{
    (void)state;
    script s;
    s_init(&s);
    request(&s, 1, "/a", 0);
    request(&s, 3, "/b", 0);
    data(&s, PL_DIR_OUT, 1, 1, "one");
    data(&s, PL_DIR_OUT, 3, 1, "three");
    response(&s, 3, "200", 0);
    response(&s, 1, "200", 0);
    data(&s, PL_DIR_IN, 1, 0, "r1");
    data(&s, PL_DIR_IN, 3, 1, "r3");
    data(&s, PL_DIR_IN, 1, 1, "r1");
    char *good = run(&s, WHOLE, 1);
    assert_int_equal(count(good, "EXC"), 2);
    free(good);
    for (size_t i = 0; i < s.n; i++) {
        for (size_t k = 0; k < s.segs[i].b.len; k++) {
            for (int bit = 0; bit < 8; bit += 3) {
                s.segs[i].b.data[k] ^= (char)(1 << bit);
                char *log = run(&s, WHOLE, 1);
                assert_true(count(log, "EXC") <= 3);
                free(log);
                s.segs[i].b.data[k] ^= (char)(1 << bit);
            }
        }
    }
    s_free(&s);
}

/* A stream recorded from python3-h2 (httpx's HTTP/2 stack) talking to itself: its own HPACK
 * encoder (Huffman, dynamic table), three interleaved responses, gzip, padding, GOAWAY at the end. */
static void test_python_h2_fixture(void **state)
{
    (void)state;
    size_t len;
    char *bin = slurp("h2_python_h2_multiplex.bin", &len);
    script s;
    memset(&s, 0, sizeof s);
    assert_int_equal(nghttp2_hd_deflate_new(&s.def[0], 4096), 0);
    assert_int_equal(nghttp2_hd_deflate_new(&s.def[1], 4096), 0);
    for (size_t off = 0; off < len;) {
        assert_true(off + 5 <= len);
        size_t n = (size_t)(unsigned char)bin[off + 1] << 24 | (size_t)(unsigned char)bin[off + 2] << 16 |
                   (size_t)(unsigned char)bin[off + 3] << 8 | (unsigned char)bin[off + 4];
        raw(&s, bin[off] == 'O' ? PL_DIR_OUT : PL_DIR_IN, bin + off + 5, n);
        off += 5 + n;
    }
    free(bin);
    char *log = run_all(&s, 1);
    const char *req = "REQ POST https api.openai.com 443 /v1/chat/completions v20 src2 "
                      "[content-type: application/json] [authorization: Bearer sk-h2-fixture]\n";
    assert_int_equal(count(log, req), 4);
    assert_non_null(strstr(log, "EXC POST /v1/chat/completions status=200 inc=0 rqt=0 rst=0 fb=1 "
        "req={\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"five\"}]} "
        "resp={\"id\":\"chatcmpl-5\",\"choices\":[{\"message\":{\"content\":\"FIVE\"}}]} | [content-type: application/json]\n"));
    assert_non_null(strstr(log, "req={\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"three\"}]} "
        "resp=data: {\"choices\":[{\"delta\":{\"content\":\"TH\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"REE\"}}]}\n\n"
        "data: [DONE]\n\n | [content-type: text/event-stream]\n"));
    assert_non_null(strstr(log, "req={\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"one\"}]} "
        "resp={\"id\":\"chatcmpl-1\",\"choices\":[{\"message\":{\"content\":\"ONE\"}}]} | [content-type: application/json] [content-encoding: gzip]\n"));
    assert_non_null(strstr(log, "resp={\"again\":true} |"));
    assert_int_equal(count(log, "EXC "), 4);
    assert_int_equal(count(log, "inc=0"), 4);
    assert_null(strstr(log, "FAILED"));
    free(log);
    s_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preface_match),
        cmocka_unit_test(test_single_exchange),
        cmocka_unit_test(test_multiplexed_interleaved),
        cmocka_unit_test(test_continuation),
        cmocka_unit_test(test_padding_and_priority),
        cmocka_unit_test(test_dynamic_table_across_requests),
        cmocka_unit_test(test_header_table_size_settings),
        cmocka_unit_test(test_header_table_size_violation_fails),
        cmocka_unit_test(test_rst_stream_mid_response),
        cmocka_unit_test(test_goaway),
        cmocka_unit_test(test_close_reports_in_flight),
        cmocka_unit_test(test_corrupt_hpack_fails),
        cmocka_unit_test(test_protocol_violations_fail),
        cmocka_unit_test(test_informational_and_trailers),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_skipped_stream),
        cmocka_unit_test(test_content_encoding),
        cmocka_unit_test(test_corrupted_bytes_never_crash),
        cmocka_unit_test(test_python_h2_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
