/* test_http1.c — the HTTP/1.1 reassembler fed recorded byte streams (keep-alive, chunked with
 * extensions and trailers, gzip, SSE, until-close, HEAD/204/304, 100-continue, pipelining,
 * malformed input), each whole, split in two at every position, and one byte at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../proto/http1.h"

/* ---- a recording owner -------------------------------------------------------------------- */

typedef struct rec {
    pl_buf log;        /* one line per reported exchange */
    int requests;      /* on_request calls */
    int marks_max;     /* largest n_marks seen */
    int first_byte_ok; /* every exchange with a response had first_byte_at set */
} rec;

static int on_request(void *ctx, const pl_exchange *h)
{
    rec *r = ctx;
    r->requests++;
    return strstr(h->target, "skip") == NULL;
}

static void on_exchange(void *ctx, pl_exchange *x)
{
    rec *r = ctx;
    char line[256];
    snprintf(line, sizeof line, "%s %s %s:%d %s v%d status=%d inc=%d qt=%d rt=%d req[%zu]=", x->method, x->scheme,
             x->host ? x->host : "-", x->port, x->target, x->http_version, x->status, x->incomplete,
             x->req_truncated, x->resp_truncated, x->req_body.len);
    pl_buf_append_str(&r->log, line);
    pl_buf_append(&r->log, x->req_body.data, x->req_body.len);
    snprintf(line, sizeof line, " resp[%zu]=", x->resp_body.len);
    pl_buf_append_str(&r->log, line);
    pl_buf_append(&r->log, x->resp_body.data, x->resp_body.len);
    const char *ct = pl_headers_get(&x->resp_headers, "Content-Type");
    snprintf(line, sizeof line, " ct=%s\n", ct ? ct : "-");
    pl_buf_append_str(&r->log, line);
    if ((int)x->n_marks > r->marks_max)
        r->marks_max = (int)x->n_marks;
    if (x->status && !x->first_byte_at)
        r->first_byte_ok = 0;
    if (x->started_at <= 0 || x->ended_at < x->started_at)
        r->first_byte_ok = 0;
    pl_exchange_free(x);
}

/* ---- scenarios ---------------------------------------------------------------------------- */

typedef struct seg {
    pl_dir dir;
    const char *data;
    size_t len;
} seg;

enum { END_NONE, END_CLOSE, END_ABORT };

typedef struct scenario {
    seg segs[16];
    int n;
    int end;
    size_t max_body;
} scenario;

static void add(scenario *s, pl_dir dir, const void *data, size_t len)
{
    s->segs[s->n].dir = dir;
    s->segs[s->n].data = data;
    s->segs[s->n].len = len;
    s->n++;
}
#define OUT(s, str) add((s), PL_DIR_OUT, (str), strlen(str))
#define IN(s, str) add((s), PL_DIR_IN, (str), strlen(str))

/* Runs the scenario; segment `split_seg` is cut at `split_at`; step > 0 feeds step bytes at a time.
 * Returns the log (caller frees) and whether the connection ended ignored. */
static char *run(const scenario *s, int split_seg, size_t split_at, size_t step, int *ignored, rec *out_rec)
{
    rec r = {.first_byte_ok = 1};
    pl_proto_events ev = {on_request, on_exchange, &r, s->max_body};
    pl_h1 *c = pl_h1_new(&ev, PL_SOURCE_OPENSSL, "https");
    assert_non_null(c);
    double now = 1000.0;
    for (int i = 0; i < s->n; i++) {
        const seg *g = &s->segs[i];
        if (step) {
            for (size_t k = 0; k < g->len; k += step)
                pl_h1_feed(c, g->dir, g->data + k, g->len - k < step ? g->len - k : step, now += 0.001);
        } else if (i == split_seg) {
            pl_h1_feed(c, g->dir, g->data, split_at, now += 0.001);
            pl_h1_feed(c, g->dir, g->data + split_at, g->len - split_at, now += 0.001);
        } else {
            pl_h1_feed(c, g->dir, g->data, g->len, now += 0.001);
        }
    }
    if (s->end == END_CLOSE)
        pl_h1_close(c, now += 0.001);
    else if (s->end == END_ABORT)
        pl_h1_abort(c, now += 0.001);
    *ignored = pl_h1_ignored(c);
    pl_h1_free(c);
    if (out_rec)
        *out_rec = r;
    assert_int_equal(r.first_byte_ok, 1);
    return r.log.data ? r.log.data : strdup("");
}

/* Every way of feeding gives the expected log. */
static void check(const scenario *s, const char *expected, int expect_ignored)
{
    int ign;
    char *whole = run(s, -1, 0, 0, &ign, NULL);
    if (strcmp(whole, expected) != 0)
        fprintf(stderr, "got:\n%s\nexpected:\n%s\n", whole, expected);
    assert_string_equal(whole, expected);
    assert_int_equal(ign, expect_ignored);
    for (int i = 0; i < s->n; i++) {
        for (size_t at = 0; at <= s->segs[i].len; at++) {
            char *got = run(s, i, at, 0, &ign, NULL);
            if (strcmp(got, expected) != 0)
                fprintf(stderr, "split seg %d at %zu:\n%s\n", i, at, got);
            assert_string_equal(got, expected);
            assert_int_equal(ign, expect_ignored);
            free(got);
        }
    }
    char *bytes = run(s, -1, 0, 1, &ign, NULL);
    assert_string_equal(bytes, expected);
    assert_int_equal(ign, expect_ignored);
    free(bytes);
    free(whole);
}

static char *read_fixture(const char *name, size_t *len)
{
    const char *dir = getenv("PROMPTLOG_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *b = calloc(1, 1 << 20);
    *len = fread(b, 1, (1 << 20) - 1, f);
    fclose(f);
    return b;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_keepalive_content_length(void **state)
{
    (void)state;
    scenario s = {0};
    OUT(&s, "POST /v1/chat/completions HTTP/1.1\r\nHost: API.example.com\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
    IN(&s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello");
    OUT(&s, "GET /v1/models HTTP/1.1\r\nHost: api.example.com:8443\r\n\r\n");
    IN(&s, "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop");
    OUT(&s, "POST /third HTTP/1.0\r\nHost: [::1]:9\r\nContent-Length: 0\r\n\r\n");
    IN(&s, "HTTP/1.0 200 \r\ncontent-length: 2\r\n\r\nok");
    check(&s,
          "POST https api.example.com:443 /v1/chat/completions v11 status=200 inc=0 qt=0 rt=0 req[7]={\"a\":1} resp[5]=hello ct=application/json\n"
          "GET https api.example.com:8443 /v1/models v11 status=404 inc=0 qt=0 rt=0 req[0]= resp[3]=nop ct=-\n"
          "POST https [::1]:9 /third v10 status=200 inc=0 qt=0 rt=0 req[0]= resp[2]=ok ct=-\n",
          0);
}

static void test_chunked_extensions_trailers(void **state)
{
    (void)state;
    scenario s = {0};
    OUT(&s, "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\n\r\n");
    IN(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"); /* odd but legal: last coding chunked */
    IN(&s, "5 ; ext=\"q\"\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n");
    OUT(&s, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
    IN(&s, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n!");
    check(&s,
          "POST https h:443 /up v11 status=200 inc=0 qt=0 rt=0 req[3]=abc resp[15]=hello, world!!! ct=-\n"
          "GET https h:443 /next v11 status=200 inc=0 qt=0 rt=0 req[0]= resp[1]=! ct=-\n",
          0);
}

static size_t gzip_into(const char *in, size_t n, char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    z.next_out = (unsigned char *)out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t len = cap - z.avail_out;
    deflateEnd(&z);
    return len;
}

static void test_gzip_chunked(void **state)
{
    (void)state;
    const char *plain = "{\"choices\":[{\"message\":{\"content\":\"gzip works\"}}]}";
    char gz[512];
    size_t gzlen = gzip_into(plain, strlen(plain), gz, sizeof gz);
    /* the gzip stream in two chunks */
    static char body[2048];
    size_t half = gzlen / 2;
    int n = snprintf(body, sizeof body, "%zx\r\n", half);
    memcpy(body + n, gz, half);
    n += (int)half;
    n += snprintf(body + n, sizeof body - (size_t)n, "\r\n%zx\r\n", gzlen - half);
    memcpy(body + n, gz + half, gzlen - half);
    n += (int)(gzlen - half);
    n += snprintf(body + n, sizeof body - (size_t)n, "\r\n0\r\n\r\n");
    scenario s = {0};
    OUT(&s, "POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}");
    IN(&s, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
    add(&s, PL_DIR_IN, body, (size_t)n);
    char expected[512];
    snprintf(expected, sizeof expected,
             "POST https h:443 /v1/chat/completions v11 status=200 inc=0 qt=0 rt=0 req[2]={} resp[%zu]=%s ct=-\n",
             strlen(plain), plain);
    check(&s, expected, 0);
}

static void test_sse_stream(void **state)
{
    (void)state;
    size_t len;
    char *sse = read_fixture("openai_chat_stream_include_usage.sse", &len);
    /* the stream as chunks of 100 bytes, the way servers flush events */
    char *body = malloc(len * 2 + 64);
    size_t n = 0;
    for (size_t i = 0; i < len; i += 100) {
        size_t k = len - i < 100 ? len - i : 100;
        n += (size_t)sprintf(body + n, "%zx\r\n", k);
        memcpy(body + n, sse + i, k);
        n += k;
        memcpy(body + n, "\r\n", 2);
        n += 2;
    }
    memcpy(body + n, "0\r\n\r\n", 5);
    n += 5;
    scenario s = {0};
    OUT(&s, "POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}");
    IN(&s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
    add(&s, PL_DIR_IN, body, n);
    char *expected = malloc(len + 256);
    sprintf(expected, "POST https h:443 /v1/chat/completions v11 status=200 inc=0 qt=0 rt=0 req[2]={} resp[%zu]=%s ct=text/event-stream\n",
            len, sse);
    check(&s, expected, 0);
    /* arrival marks: fed in pieces, the body has a timeline for time-to-first-token */
    int ign;
    rec r;
    char *got = run(&s, -1, 0, 50, &ign, &r);
    assert_true(r.marks_max > 10);
    free(got);
    free(expected);
    free(body);
    free(sse);
}

static void test_until_close(void **state)
{
    (void)state;
    scenario s = {0};
    OUT(&s, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
    IN(&s, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of this");
    IN(&s, " and this");
    s.end = END_CLOSE;
    check(&s, "GET https h:443 /a v11 status=200 inc=0 qt=0 rt=0 req[0]= resp[20]=all of this and this ct=-\n", 0);
    /* dropped by the program before the peer closed: incomplete */
    s.end = END_ABORT;
    check(&s, "GET https h:443 /a v11 status=200 inc=1 qt=0 rt=0 req[0]= resp[20]=all of this and this ct=-\n", 0);
}

static void test_head_204_304(void **state)
{
    (void)state;
    scenario s = {0};
    OUT(&s, "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n");
    IN(&s, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
    OUT(&s, "DELETE /d HTTP/1.1\r\nHost: h\r\n\r\n");
    IN(&s, "HTTP/1.1 204 No Content\r\n\r\n");
    OUT(&s, "GET /c HTTP/1.1\r\nHost: h\r\nIf-None-Match: x\r\n\r\n");
    IN(&s, "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n");
    OUT(&s, "GET /z HTTP/1.1\r\nHost: h\r\n\r\n");
    IN(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    check(&s,
          "HEAD https h:443 /h v11 status=200 inc=0 qt=0 rt=0 req[0]= resp[0]= ct=-\n"
          "DELETE https h:443 /d v11 status=204 inc=0 qt=0 rt=0 req[0]= resp[0]= ct=-\n"
          "GET https h:443 /c v11 status=304 inc=0 qt=0 rt=0 req[0]= resp[0]= ct=-\n"
          "GET https h:443 /z v11 status=200 inc=0 qt=0 rt=0 req[0]= resp[0]= ct=-\n",
          0);
}

static void test_100_continue(void **state)
{
    (void)state;
    scenario s = {0};
    OUT(&s, "POST /v1/messages HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    IN(&s, "HTTP/1.1 100 Continue\r\n\r\n");
    OUT(&s, "body");
    IN(&s, "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
    check(&s, "POST https h:443 /v1/messages v11 status=201 inc=0 qt=0 rt=0 req[4]=body resp[2]=ok ct=-\n", 0);
}

static void test_pipelining_and_skip(void **state)
{
    (void)state;
    scenario s = {0};
    OUT(&s, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
            "POST /skip HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nSKIPD"
            "POST /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n");
    IN(&s, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nskip\r\n0\r\n\r\n"
           "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthree");
    check(&s,
          "GET https h:443 /1 v11 status=200 inc=0 qt=0 rt=0 req[0]= resp[3]=one ct=-\n"
          "POST https h:443 /3 v11 status=200 inc=0 qt=0 rt=0 req[2]=xy resp[5]=three ct=-\n",
          0);
}

static void test_truncation(void **state)
{
    (void)state;
    scenario s = {0};
    s.max_body = 4;
    OUT(&s, "POST /t HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabcdef");
    IN(&s, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n12345678");
    check(&s, "POST https h:443 /t v11 status=200 inc=0 qt=1 rt=1 req[4]=abcd resp[4]=1234 ct=-\n", 0);
}

static void test_incomplete_at_close(void **state)
{
    (void)state;
    scenario s = {0};
    OUT(&s, "POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}");
    IN(&s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
    s.end = END_CLOSE;
    check(&s, "POST https h:443 /v1/chat/completions v11 status=200 inc=1 qt=0 rt=0 req[2]={} resp[7]=partial ct=-\n", 0);
    /* no response at all */
    scenario t = {0};
    OUT(&t, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}");
    t.end = END_ABORT;
    check(&t, "POST https h:443 /x v11 status=0 inc=1 qt=0 rt=0 req[2]={} resp[0]= ct=-\n", 0);
}

static void test_malformed(void **state)
{
    (void)state;
    /* garbage response: the exchange in flight is reported incomplete, nothing from the garbage */
    scenario s = {0};
    OUT(&s, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
    IN(&s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokGARBAGE NOT HTTP\r\n\r\n");
    OUT(&s, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    IN(&s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    s.end = END_CLOSE;
    check(&s, "GET https h:443 /a v11 status=200 inc=0 qt=0 rt=0 req[0]= resp[2]=ok ct=-\n", 1);

    const char *bad_inputs[] = {
        "NOT A REQUEST\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET /x HTTP/1.1\r\nbad header line\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
        "POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcde",
        "POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
        "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX\r\n",
        "POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad_inputs / sizeof *bad_inputs; i++) {
        scenario b = {0};
        OUT(&b, bad_inputs[i]);
        IN(&b, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        b.end = END_CLOSE;
        int ign;
        char *got = run(&b, -1, 0, 0, &ign, NULL);
        assert_int_equal(ign, 1);
        /* only a request whose head parsed may be reported, and then incomplete */
        assert_null(strstr(got, "inc=0"));
        free(got);
    }
    /* an unsolicited response, a bad status line, a 101 switch */
    const char *bad_resp[] = {"HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 101 Switching Protocols\r\n\r\n"};
    for (size_t i = 0; i < 3; i++) {
        scenario b = {0};
        if (i)
            OUT(&b, "GET /ws HTTP/1.1\r\nHost: h\r\n\r\n");
        IN(&b, bad_resp[i]);
        IN(&b, "\x17\x03\x03 binary");
        int ign;
        char *got = run(&b, -1, 0, 0, &ign, NULL);
        assert_int_equal(ign, 1);
        assert_null(strstr(got, "inc=0"));
        free(got);
    }
}

static void test_sniffing(void **state)
{
    (void)state;
    assert_int_equal(pl_h1_request_start_match("POST /", 6), 1);
    assert_int_equal(pl_h1_request_start_match("PO", 2), -1);
    assert_int_equal(pl_h1_request_start_match("", 0), -1);
    assert_int_equal(pl_h1_request_start_match("\x16\x03\x01", 3), 0);
    assert_int_equal(pl_h1_request_start_match(" GET", 4), 0);
    assert_int_equal(pl_h1_request_start_match("get /", 5), 0);
    assert_int_equal(pl_h1_is_request_line("GET / HTTP/1.1\r\n", 16), 1);
    assert_int_equal(pl_h1_is_request_line("GET / HTTP/1.1", 14), 0);
    assert_int_equal(pl_h1_is_request_line("GET  HTTP/1.1\r\n", 15), 0);
    assert_int_equal(pl_h1_is_request_line("HELLO world\r\n", 13), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keepalive_content_length),
        cmocka_unit_test(test_chunked_extensions_trailers),
        cmocka_unit_test(test_gzip_chunked),
        cmocka_unit_test(test_sse_stream),
        cmocka_unit_test(test_until_close),
        cmocka_unit_test(test_head_204_304),
        cmocka_unit_test(test_100_continue),
        cmocka_unit_test(test_pipelining_and_skip),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_incomplete_at_close),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_sniffing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
