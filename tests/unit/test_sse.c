/* test_sse.c — the stream framers (SSE, NDJSON, streamed JSON array): the SSE field rules and the
 * line-ending mixtures of the wire-format notes §10, and split-anywhere equivalence: every fixture fed
 * in two pieces at every byte position, and one byte at a time, gives exactly the whole-feed events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../proto/sse.h"

static char *load_fixture(const char *name, size_t *len)
{
    const char *dir = getenv("PROMPTLOG_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Every event becomes one log line; comparing logs compares event sequences exactly. */
static void log_event(void *ctx, const pl_stream_event *ev)
{
    pl_buf *log = ctx;
    char head[128];
    snprintf(head, sizeof head, "[%zu%s%s r=%ld] ", ev->end_offset, ev->unterminated ? " U" : "",
             ev->has_data ? "" : " nodata", ev->retry);
    pl_buf_append_str(log, head);
    pl_buf_append(log, "event=", 6);
    pl_buf_append(log, ev->event, ev->event_len);
    pl_buf_append(log, " id=", 4);
    pl_buf_append(log, ev->id, ev->id_len);
    pl_buf_append(log, " data=", 6);
    pl_buf_append(log, ev->data, ev->data_len);
    pl_buf_append(log, "\n", 1);
}

typedef enum { K_SSE, K_NDJSON, K_ARRAY } kind;

/* Feeds `s` cut at the given positions (cuts must be ascending), then finishes. */
static char *run(kind k, const char *s, size_t len, const size_t *cuts, size_t n_cuts, int *closed)
{
    pl_buf log = {0};
    pl_sse_parser sp;
    pl_ndjson_parser np;
    pl_jsonarr_parser ap;
    if (k == K_SSE) pl_sse_init(&sp, log_event, &log);
    if (k == K_NDJSON) pl_ndjson_init(&np, log_event, &log);
    if (k == K_ARRAY) pl_jsonarr_init(&ap, log_event, &log);
    size_t at = 0;
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t end = i < n_cuts ? cuts[i] : len;
        /* A private copy per piece, so ASan catches reads past a piece. */
        char *piece = malloc(end - at + 1);
        memcpy(piece, s + at, end - at);
        if (k == K_SSE) pl_sse_feed(&sp, piece, end - at);
        if (k == K_NDJSON) pl_ndjson_feed(&np, piece, end - at);
        if (k == K_ARRAY) pl_jsonarr_feed(&ap, piece, end - at);
        free(piece);
        at = end;
    }
    if (k == K_SSE) { pl_sse_finish(&sp); pl_sse_free(&sp); }
    if (k == K_NDJSON) { pl_ndjson_finish(&np); pl_ndjson_free(&np); }
    if (k == K_ARRAY) {
        pl_jsonarr_finish(&ap);
        if (closed)
            *closed = ap.closed;
        pl_jsonarr_free(&ap);
    }
    pl_buf_append(&log, "", 0);
    char *out = pl_buf_detach(&log);
    return out ? out : calloc(1, 1);
}

static char *run_whole(kind k, const char *s)
{
    return run(k, s, strlen(s), NULL, 0, NULL);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Split at every position, and byte-at-a-time: all logs equal the whole-feed log. */
static void check_splits(kind k, const char *s, size_t len, size_t expect_events)
{
    char *whole = run(k, s, len, NULL, 0, NULL);
    if (expect_events)
        assert_int_equal(count_lines(whole), expect_events);
    for (size_t cut = 0; cut <= len; cut++) {
        char *got = run(k, s, len, &cut, 1, NULL);
        if (strcmp(got, whole) != 0)
            fail_msg("split at %zu differs:\n--- whole\n%s\n--- split\n%s", cut, whole, got);
        free(got);
    }
    size_t *cuts = calloc(len + 1, sizeof *cuts);
    for (size_t i = 0; i < len; i++)
        cuts[i] = i;
    char *bytes = run(k, s, len, cuts, len, NULL);
    assert_string_equal(bytes, whole);
    free(bytes);
    /* Three pieces at a prime stride, which straddles CRLFs and UTF-8 sequences differently. */
    for (size_t a = 1; a + 7 < len; a += 7) {
        size_t two[2] = {a, a + 7};
        char *got = run(k, s, len, two, 2, NULL);
        assert_string_equal(got, whole);
        free(got);
    }
    free(cuts);
    free(whole);
}

static void check_fixture(kind k, const char *name, size_t expect_events)
{
    size_t len;
    char *s = load_fixture(name, &len);
    check_splits(k, s, len, expect_events);
    free(s);
}

/* ------------------------------------------------------------------------------------------ */

static void sse_field_rules(void **state)
{
    (void)state;
    char *got = run_whole(K_SSE,
                          ": comment line\n"
                          "data:no-space\n\n"
                          "data:  two-spaces\n\n"
                          "data: line1\ndata: line2\ndata\n\n"
                          "event: ping\n\n"
                          "event: message_start\ndata: {}\nid: 7\nretry: 1500\nbogus: field\n\n"
                          "data: after-id\n\n"
                          "\n\n\n"
                          "retry: soon\ndata: x\n\n");
    assert_string_equal(got,
                        "[30 r=-1] event= id= data=no-space\n"
                        "[49 r=-1] event= id= data= two-spaces\n"
                        "[79 r=-1] event= id= data=line1\nline2\n\n"
                        "[92 nodata r=-1] event=ping id= data=\n"
                        "[154 r=1500] event=message_start id=7 data={}\n"
                        "[170 r=-1] event= id=7 data=after-id\n"
                        "[194 r=-1] event= id=7 data=x\n");
    free(got);
}

static void sse_line_endings(void **state)
{
    (void)state;
    /* openai-python's test_sse_framing case, verbatim: CRLF, LF and a lone CR as a blank line. */
    const char *s = "id:one\r\ndata:\xd0\xb8\xd0\xb7\xd0\xb2\xd0\xb5\xd1\x81\xd1\x82\xd0\xbd\xd0\xb8\r\n\ndata:two\n\rdata:unfinished";
    char *got = run_whole(K_SSE, s);
    assert_string_equal(got,
                        "[32 r=-1] event= id=one data=\xd0\xb8\xd0\xb7\xd0\xb2\xd0\xb5\xd1\x81\xd1\x82\xd0\xbd\xd0\xb8\n"
                        "[42 r=-1] event= id=one data=two\n"
                        "[57 U r=-1] event= id=one data=unfinished\n");
    free(got);
    check_splits(K_SSE, s, strlen(s), 3);

    const char *mixed = "data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\r\n\ndata: e\r\n\r";
    got = run_whole(K_SSE, mixed);
    assert_string_equal(got,
                        "[10 r=-1] event= id= data=a\n"
                        "[20 r=-1] event= id= data=b\n"
                        "[29 r=-1] event= id= data=c\n"
                        "[39 r=-1] event= id= data=d\n"
                        "[49 r=-1] event= id= data=e\n");
    free(got);
    check_splits(K_SSE, mixed, strlen(mixed), 5);

    /* A CR at the very end of one feed followed by LF in the next is ONE line end. */
    const char *crlf = "data: x\r\n\r\n";
    size_t cut = 8;
    got = run(K_SSE, crlf, strlen(crlf), &cut, 1, NULL);
    assert_string_equal(got, "[10 r=-1] event= id= data=x\n");
    free(got);
}

static void sse_unterminated(void **state)
{
    (void)state;
    pl_buf log = {0};
    pl_sse_parser p;
    pl_sse_init(&p, log_event, &log);
    const char *tail = "event: message_stop\ndata: {\"type\":\"message_stop\"}";
    pl_sse_feed(&p, tail, strlen(tail));
    assert_int_equal(log.len, 0);
    assert_int_equal(pl_sse_finish(&p), 1);
    assert_string_equal(pl_buf_cstr(&log), "[49 U r=-1] event=message_stop id= data={\"type\":\"message_stop\"}\n");
    pl_sse_free(&p);
    pl_buf_free(&log);

    /* Complete stream: finish reports nothing pending. */
    pl_sse_init(&p, log_event, &log);
    pl_sse_feed(&p, "data: a\n\n", 9);
    assert_int_equal(pl_sse_finish(&p), 0);
    pl_sse_free(&p);
    pl_buf_free(&log);
}

static void sse_utf8_split(void **state)
{
    (void)state;
    /* "привет 世界 🎉" split inside each multi-byte sequence comes out byte-identical. */
    const char *s = "data: \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8e\x89\n\n";
    size_t cuts[] = {7, 13, 19, 22, 30, 31, 32};
    char *got = run(K_SSE, s, strlen(s), cuts, 7, NULL);
    char *whole = run_whole(K_SSE, s);
    assert_string_equal(got, whole);
    assert_non_null(strstr(got, "data=\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8e\x89\n"));
    free(got);
    free(whole);
    check_splits(K_SSE, s, strlen(s), 1);
    /* U+2028 inside JSON is not a line break for SSE. */
    const char *ls = "data: {\"t\":\"a\xe2\x80\xa8" "b\"}\n\n";
    got = run_whole(K_SSE, ls);
    assert_string_equal(got, "[21 r=-1] event= id= data={\"t\":\"a\xe2\x80\xa8" "b\"}\n");
    free(got);
}

static void sse_fixtures_split_everywhere(void **state)
{
    (void)state;
    check_fixture(K_SSE, "openai_chat_stream_include_usage.sse", 9);
    check_fixture(K_SSE, "openai_chat_tools_stream.sse", 0);
    check_fixture(K_SSE, "openai_completions_stream.sse", 17);
    check_fixture(K_SSE, "openai_python_snapshot_finish_length_stream.sse", 0);
    check_fixture(K_SSE, "openai_python_snapshot_two_tools_stream.sse", 0);
    check_fixture(K_SSE, "openai_responses_stream.sse", 13);
    check_fixture(K_SSE, "openai_responses_function_call_stream.sse", 0);
    check_fixture(K_SSE, "anthropic_sdk_fixture_basic_response.sse", 9);
    check_fixture(K_SSE, "anthropic_sdk_fixture_tool_use_response.sse", 0);
    check_fixture(K_SSE, "anthropic_messages_tools_stream.sse", 0);
    check_fixture(K_SSE, "gemini_stream_alt_sse.sse", 3);
    check_fixture(K_SSE, "gemini_stream_functioncall_alt_sse.sse", 0);
    check_fixture(K_SSE, "vertex_stream_alt_sse.sse", 0);
}

static void sse_fixtures_large_bytewise(void **state)
{
    (void)state;
    /* The larger fixtures: byte-at-a-time and every-split too (quadratic but small enough). */
    check_fixture(K_SSE, "azure_chat_stream.sse", 0);
    check_fixture(K_SSE, "anthropic_messages_stream.sse", 0);
}

/* ------------------------------------------------------------------------------------------ */

static void ndjson_lines(void **state)
{
    (void)state;
    const char *s = "{\"a\":1}\r\n\n  \n{\"b\":\"x\\ny\"}\n{\"c\":3}";
    char *got = run_whole(K_NDJSON, s);
    assert_string_equal(got,
                        "[9 r=-1] event= id= data={\"a\":1}\n"
                        "[26 r=-1] event= id= data={\"b\":\"x\\ny\"}\n"
                        "[33 U r=-1] event= id= data={\"c\":3}\n");
    free(got);
    check_splits(K_NDJSON, s, strlen(s), 3);
    check_fixture(K_NDJSON, "ollama_chat_stream.ndjson", 50);
    check_fixture(K_NDJSON, "ollama_generate_stream.ndjson", 71);
}

/* ------------------------------------------------------------------------------------------ */

static const char *ARRAY =
    "[{\n  \"candidates\": [{\"content\": {\"parts\": [{\"text\": \"brackets ] } [ { inside\"}],\"role\": \"model\"}}]\n}\n"
    ",\r\n{\"t\": \"escaped \\\" quote and \\\\\", \"n\": [1, [2, 3]]}\n"
    ",\r\n{\"u\": \"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\"}\n]";

static void jsonarray_elements(void **state)
{
    (void)state;
    int closed = 0;
    char *got = run(K_ARRAY, ARRAY, strlen(ARRAY), NULL, 0, &closed);
    assert_int_equal(closed, 1);
    assert_string_equal(got,
                        "[100 r=-1] event= id= data={\n  \"candidates\": [{\"content\": {\"parts\": [{\"text\": \"brackets ] } [ { inside\"}],\"role\": \"model\"}}]\n}\n"
                        "[154 r=-1] event= id= data={\"t\": \"escaped \\\" quote and \\\\\", \"n\": [1, [2, 3]]}\n"
                        "[179 r=-1] event= id= data={\"u\": \"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\"}\n");
    free(got);
    check_splits(K_ARRAY, ARRAY, strlen(ARRAY), 0);  /* elements hold newlines: no line count */

    /* Cut before the closing bracket: not closed, the partial element is reported unterminated. */
    size_t n = strlen(ARRAY) - 12;
    got = run(K_ARRAY, ARRAY, n, NULL, 0, &closed);
    assert_int_equal(closed, 0);
    assert_non_null(strstr(got, " U r=-1"));
    free(got);
}

static void jsonarray_non_array_and_scalars(void **state)
{
    (void)state;
    /* An error object instead of an array is still one event. */
    char *got = run_whole(K_ARRAY, "  {\"error\": {\"code\": 400, \"message\": \"bad [\"}}  ");
    assert_string_equal(got, "[46 r=-1] event= id= data={\"error\": {\"code\": 400, \"message\": \"bad [\"}}\n");
    free(got);
    got = run_whole(K_ARRAY, "[1, \"s,]\", true ,{}]");
    assert_string_equal(got,
                        "[2 r=-1] event= id= data=1\n"
                        "[9 r=-1] event= id= data=\"s,]\"\n"
                        "[15 r=-1] event= id= data=true\n"
                        "[19 r=-1] event= id= data={}\n");
    free(got);
    const char *s = "[1, \"s,]\", true ,{}]";
    check_splits(K_ARRAY, s, strlen(s), 4);
    got = run_whole(K_ARRAY, "[]");
    assert_string_equal(got, "");
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sse_field_rules),
        cmocka_unit_test(sse_line_endings),
        cmocka_unit_test(sse_unterminated),
        cmocka_unit_test(sse_utf8_split),
        cmocka_unit_test(sse_fixtures_split_everywhere),
        cmocka_unit_test(sse_fixtures_large_bytewise),
        cmocka_unit_test(ndjson_lines),
        cmocka_unit_test(jsonarray_elements),
        cmocka_unit_test(jsonarray_non_array_and_scalars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
