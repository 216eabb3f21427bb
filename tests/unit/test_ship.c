/* test_ship.c — the pure parts of `ship`: the span mapping on hand-made rows (names, error
 * status, response id, request parameters, content shapes, deterministic ids), the OTLP JSON
 * encoding's id/int conventions, the protobuf varint/field layout of one tiny span, and the
 * --since time forms (the CLI's one parser, exporter/when.c). (The full wire format is checked by the integration tests, which decode
 * with the official opentelemetry-proto definitions.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The exporter's objects are not linked into unit tests; its pure parts are compiled in here. */
#include "../../exporter/export.c"
#include "../../exporter/otlp.c"
#include "../../exporter/otlp_json.c"
#include "../../exporter/otlp_proto.c"
#include "../../exporter/ship_content.c"
#include "../../exporter/ship_span.c"
#include "../../exporter/when.c"
#include "../../store/cursor.h"
#include "test_store_util.h"

static const char REQ[] = "{\"model\":\"gpt-4o-mini\",\"temperature\":0.25,\"max_completion_tokens\":99,\"stop\":\"X\","
                          "\"messages\":[{\"role\":\"system\",\"content\":\"sys\"},{\"role\":\"user\",\"content\":"
                          "[{\"type\":\"text\",\"text\":\"hi \"},{\"type\":\"text\",\"text\":\"there\"}]}]}";
static const char RESP[] = "{\"id\":\"chatcmpl-1\",\"model\":\"gpt-4o-mini-2024\",\"choices\":[{\"index\":0,\"message\":"
                           "{\"role\":\"assistant\",\"content\":\"yo\"},\"finish_reason\":\"stop\"}],"
                           "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}";

static pl_row row(void)
{
    pl_row r = tmp_chat_row("default", 1700000000.5);
    r.id = 42;
    r.provider = "openai";
    r.duration = 0.25;
    r.input_tokens = 3;
    r.output_tokens = 1;
    r.pid = 9;
    r.program = "agent";
    r.req_body = REQ;
    r.req_len = sizeof REQ - 1;
    r.resp_body = RESP;
    r.resp_len = sizeof RESP - 1;
    return r;
}

static const pl_otlp_attr *attr(const pl_otlp_attrs *a, const char *key)
{
    for (size_t k = 0; k < a->n; k++)
        if (strcmp(a->v[k].key, key) == 0)
            return &a->v[k];
    return NULL;
}

static void span_of(const pl_row *r, int content, pl_otlp_span *s)
{
    pl_ship_span_opts o = {.content = content, .salt = "host:/db", .host_name = "host", .service_name = "svc"};
    cJSON *rec = pl_export_record(r);
    memset(s, 0, sizeof *s);
    assert_int_equal(pl_ship_span_from_row(r, rec, &o, s), 0);
    cJSON_Delete(rec);
}

static void test_span_attributes(void **state)
{
    (void)state;
    pl_row r = row();
    pl_otlp_span s;
    span_of(&r, 0, &s);
    assert_string_equal(s.name, "chat gpt-4o-mini");
    assert_int_equal(s.kind, PL_OTLP_KIND_CLIENT);
    assert_true(s.start_ns == 1700000000500000000ULL);
    assert_true(s.end_ns == 1700000000750000000ULL);
    assert_int_equal(s.status, PL_OTLP_STATUS_UNSET);
    assert_string_equal(attr(&s.attrs, "gen_ai.provider.name")->s, "openai");
    assert_string_equal(attr(&s.attrs, "gen_ai.response.id")->s, "chatcmpl-1");
    assert_string_equal(attr(&s.attrs, "gen_ai.response.model")->s, "gpt-4o-mini-2024");
    assert_true(attr(&s.attrs, "gen_ai.request.temperature")->d == 0.25);
    assert_int_equal(attr(&s.attrs, "gen_ai.request.max_tokens")->i, 99);
    assert_string_equal(attr(&s.attrs, "gen_ai.request.stop_sequences")->strs[0], "X");
    assert_int_equal(attr(&s.attrs, "server.port")->i, 443);
    assert_null(attr(&s.attrs, "gen_ai.input.messages"));
    assert_null(attr(&s.attrs, "error.type"));
    uint8_t t1[16], s1[8];
    memcpy(t1, s.trace_id, 16);
    memcpy(s1, s.span_id, 8);
    pl_otlp_span_free(&s);
    span_of(&r, 0, &s);   /* the same call gives the same ids: a resend dedupes */
    assert_memory_equal(t1, s.trace_id, 16);
    assert_memory_equal(s1, s.span_id, 8);
    pl_otlp_span_free(&s);
    r.id = 43;
    span_of(&r, 0, &s);
    assert_memory_not_equal(s1, s.span_id, 8);
    pl_otlp_span_free(&s);
}

static void test_span_error_and_content(void **state)
{
    (void)state;
    pl_row r = row();
    r.status = 429;
    r.error = "Rate limit";
    pl_otlp_span s;
    span_of(&r, 1, &s);
    assert_string_equal(attr(&s.attrs, "error.type")->s, "429");
    assert_int_equal(s.status, PL_OTLP_STATUS_ERROR);
    assert_string_equal(s.status_msg, "Rate limit");
    assert_null(attr(&s.attrs, "gen_ai.response.id"));
    pl_otlp_span_free(&s);

    r = row();
    span_of(&r, 1, &s);
    assert_string_equal(attr(&s.attrs, "gen_ai.system_instructions")->s, "[{\"type\":\"text\",\"content\":\"sys\"}]");
    assert_string_equal(attr(&s.attrs, "gen_ai.input.messages")->s,
                        "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi \"},{\"type\":\"text\",\"content\":\"there\"}]}]");
    assert_string_equal(attr(&s.attrs, "gen_ai.output.messages")->s,
                        "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"yo\"}],\"finish_reason\":\"stop\"}]");
    assert_null(attr(&s.attrs, "gen_ai.tool.definitions"));
    pl_otlp_span_free(&s);

    r = row();
    r.status = 0;
    r.error = "connection reset";
    span_of(&r, 0, &s);
    assert_string_equal(attr(&s.attrs, "error.type")->s, "connection_error");
    pl_otlp_span_free(&s);
}

static void test_json_encoding(void **state)
{
    (void)state;
    pl_otlp_span s;
    memset(&s, 0, sizeof s);
    for (int k = 0; k < 16; k++)
        s.trace_id[k] = (uint8_t)(k * 17);
    s.span_id[7] = 0xab;
    s.name = strdup("n");
    s.kind = 3;
    s.start_ns = 18446744073709551615ULL;   /* uint64 max survives as a decimal string */
    pl_otlp_add_int(&s.attrs, "i", -5);
    pl_otlp_add_str(&s.resource, "service.name", "svc");
    pl_buf b = {0};
    assert_int_equal(pl_otlp_encode_json(&s, 1, &b), 0);
    assert_non_null(strstr(b.data, "\"traceId\":\"00112233445566778899aabbccddeeff\""));
    assert_non_null(strstr(b.data, "\"spanId\":\"00000000000000ab\""));
    assert_non_null(strstr(b.data, "\"startTimeUnixNano\":\"18446744073709551615\""));
    assert_non_null(strstr(b.data, "{\"key\":\"i\",\"value\":{\"intValue\":\"-5\"}}"));
    assert_null(strstr(b.data, "parentSpanId"));
    pl_buf_free(&b);
    pl_otlp_span_free(&s);
}

/* One span with nothing but ids and a name: the bytes follow from the .proto field numbers. */
static void test_proto_layout(void **state)
{
    (void)state;
    pl_otlp_span s;
    memset(&s, 0, sizeof s);
    s.trace_id[15] = 1;
    s.span_id[7] = 2;
    s.name = strdup("x");
    s.kind = 3;
    s.start_ns = 300;   /* fixed64, little-endian: 2c 01 00.. */
    pl_buf b = {0};
    assert_int_equal(pl_otlp_encode_proto(&s, 1, &b), 0);
    static const unsigned char span[] = {
        0x0a, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,   /* trace_id (1, LEN) */
        0x12, 8, 0, 0, 0, 0, 0, 0, 0, 2,                            /* span_id (2, LEN) */
        0x2a, 1, 'x',                                               /* name (5, LEN) */
        0x30, 3,                                                    /* kind (6, VARINT) */
        0x39, 0x2c, 1, 0, 0, 0, 0, 0, 0,                            /* start (7, I64) */
        0x41, 0, 0, 0, 0, 0, 0, 0, 0,                               /* end (8, I64) */
    };
    /* request{1: ResourceSpans{1: Resource{}, 2: ScopeSpans{1: scope{1:"promptlog",2:"1"}, 2: span}}} */
    size_t sl = sizeof span, scope = 2 + 9 + 2 + 1, ss = 2 + scope + 2 + sl, rs = 2 + 2 + ss;
    assert_int_equal(b.len, 2 + rs);
    const unsigned char *p = (const unsigned char *)b.data;
    assert_int_equal(p[0], 0x0a);
    assert_int_equal(p[1], rs);
    assert_int_equal(p[2], 0x0a);   /* resource, empty */
    assert_int_equal(p[3], 0);
    assert_int_equal(p[4], 0x12);   /* scope_spans */
    assert_int_equal(p[5], ss);
    assert_memory_equal(p + 6, "\x0a\x0e\x0a\x09promptlog\x12\x01" "1", 2 + scope);
    assert_int_equal(p[6 + 2 + scope], 0x12);   /* spans */
    assert_int_equal(p[6 + 2 + scope + 1], sl);
    assert_memory_equal(p + 6 + 2 + scope + 2, span, sl);
    pl_buf_free(&b);
    pl_otlp_span_free(&s);
}

static void test_parse_time(void **state)
{
    (void)state;
    double t;
    /* dates are local time, as everywhere in the CLI; UTC here (the zone cases are test_cli's) */
    setenv("TZ", "UTC", 1);
    tzset();
    assert_int_equal(pl_when_parse("@1700000000.5", 0, &t), 0);
    assert_true(t == 1700000000.5);
    assert_int_equal(pl_when_parse("2023-11-14", 0, &t), 0);
    assert_true(t == 1699920000.0);
    assert_int_equal(pl_when_parse("2023-11-14T22:13:20Z", 0, &t), 0);
    assert_true(t == 1700000000.0);
    assert_int_equal(pl_when_parse("2023-11-14 22:13", 0, &t), 0);
    assert_true(t == 1699999980.0);
    assert_int_equal(pl_when_parse("30m", 10000, &t), 0);
    assert_true(t == 10000 - 1800);
    assert_int_equal(pl_when_parse("2d", 200000, &t), 0);
    assert_true(t == 200000 - 172800);
    assert_int_equal(pl_when_parse("yesterday", 0, &t), -1);
    assert_int_equal(pl_when_parse("2023-13-01", 0, &t), -1);
    assert_int_equal(pl_when_parse("5x", 0, &t), -1);
    assert_int_equal(pl_when_parse("", 0, &t), -1);
}

/* The cursor: absent = 0, durable across reopen, per destination; pending ids honour the cursor,
 * the namespace and --since; data_version moves when another connection commits. */
static void test_cursor(void **state)
{
    (void)state;
    char path[] = "/tmp/pl-test-cursor-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    pl_store *st = NULL;
    char err[256];
    assert_int_equal(pl_store_open(path, PL_STORE_CREATE, NULL, &st, err, sizeof err), 0);
    pl_cursor *c = NULL;
    assert_int_equal(pl_cursor_open(path, &c, err, sizeof err), 0);
    long long v0 = -1, v1 = -1, last = -1;
    assert_int_equal(pl_cursor_data_version(c, &v0), 0);
    for (int k = 0; k < 5; k++) {
        pl_row r = row();
        r.ns = k == 2 ? "other" : "default";
        r.started_at = 1000 + k;
        assert_true(pl_store_insert(st, &r, err, sizeof err) > 0);
    }
    assert_int_equal(pl_cursor_data_version(c, &v1), 0);
    assert_true(v1 != v0);
    assert_int_equal(pl_cursor_get(c, "dest-a", &last, err, sizeof err), 0);
    assert_int_equal(last, 0);
    long long ids[8];
    int n = 0;
    assert_int_equal(pl_cursor_pending(c, 0, NULL, -1, ids, 8, &n, err, sizeof err), 0);
    assert_int_equal(n, 5);
    assert_int_equal(pl_cursor_pending(c, 1, "default", 1003, ids, 8, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 4);
    assert_int_equal(ids[1], 5);
    assert_int_equal(pl_cursor_pending(c, 0, NULL, -1, ids, 2, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(pl_cursor_set(c, "dest-a", 3, err, sizeof err), 0);
    assert_int_equal(pl_cursor_set(c, "dest-a", 4, err, sizeof err), 0);
    pl_cursor_close(c);
    assert_int_equal(pl_cursor_open(path, &c, err, sizeof err), 0);
    assert_int_equal(pl_cursor_get(c, "dest-a", &last, err, sizeof err), 0);
    assert_int_equal(last, 4);
    assert_int_equal(pl_cursor_get(c, "dest-b", &last, err, sizeof err), 0);
    assert_int_equal(last, 0);
    pl_cursor_close(c);
    pl_store_close(st);
    assert_int_equal(pl_cursor_open("/nonexistent/dir/x.db", &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "no database"));
    char wal[64];
    unlink(path);
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_span_attributes),
        cmocka_unit_test(test_span_error_and_content),
        cmocka_unit_test(test_json_encoding),
        cmocka_unit_test(test_proto_layout),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_cursor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
