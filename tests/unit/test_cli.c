/* test_cli.c — the CLI's pure parts: the time parser (absolute, offsets, relative, refusals,
 * local time under two zones), the time format, the price table parser (errors name the line)
 * and price matching (exact, dated alias, tiers, '*', unknown), and cost arithmetic with cached
 * tokens read from real fixture bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../exporter/cost.c"
#include "../../exporter/prices.c"
#include "../../exporter/when.c"

static double parse_ok(const char *s, double now)
{
    double v = -12345;
    if (pl_when_parse(s, now, &v) != 0)
        fail_msg("'%s' was refused", s);
    return v;
}

static void test_when_absolute_utc(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    assert_true(parse_ok("2026-11-20", 0) == 1795132800.0);
    assert_true(parse_ok("2026-11-20T10:00", 0) == 1795168800.0);
    assert_true(parse_ok("2026-11-20 10:00:00", 0) == 1795168800.0);
    assert_true(parse_ok("2026-11-20T10:00:00.25Z", 0) == 1795168800.25);
    assert_true(parse_ok("2026-11-20T11:30+01:30", 0) == 1795168800.0);
    assert_true(parse_ok("2026-11-20T05:00:00-0500", 0) == 1795168800.0);
    assert_true(parse_ok("2026-11-20T12:00+02", 0) == 1795168800.0);
    assert_true(parse_ok("@1795168800.5", 0) == 1795168800.5);
    assert_true(parse_ok("2024-02-29", 0) == 1709164800.0);
}

static void test_when_local_zone(void **state)
{
    (void)state;
    /* POSIX TZ strings need no tzdata: UTC+05:30, and a zone with summer time */
    setenv("TZ", "IST-5:30", 1);
    tzset();
    assert_true(parse_ok("2026-11-20T15:30", 0) == 1795168800.0);
    char out[PL_WHEN_LEN];
    pl_when_format(1795168800.0, out);
    assert_string_equal(out, "2026-11-20 15:30:00 +05:30");
    setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
    tzset();
    assert_true(parse_ok("2026-07-01T12:00", 0) == parse_ok("2026-07-01T10:00Z", 0));
    assert_true(parse_ok("2026-12-01T12:00", 0) == parse_ok("2026-12-01T11:00Z", 0));
    pl_when_format(parse_ok("2026-07-01T10:00Z", 0), out);
    assert_string_equal(out, "2026-07-01 12:00:00 +02:00");
    setenv("TZ", "NST+3:30", 1);
    tzset();
    pl_when_format(1795168800.0, out);
    assert_string_equal(out, "2026-11-20 06:30:00 -03:30");
    pl_when_format(-1, out);
    assert_string_equal(out, "-");
    setenv("TZ", "UTC", 1);
    tzset();
}

static void test_when_relative(void **state)
{
    (void)state;
    double now = 1795168800.0;
    assert_true(parse_ok("30s", now) == now - 30);
    assert_true(parse_ok("30m", now) == now - 1800);
    assert_true(parse_ok("2h", now) == now - 7200);
    assert_true(parse_ok("7d", now) == now - 7 * 86400);
    assert_true(parse_ok("2w", now) == now - 14 * 86400);
    assert_true(parse_ok("0m", now) == now);
}

static void test_when_refused(void **state)
{
    (void)state;
    const char *bad[] = {"", "yesterday-ish", "yesterday", "7", "7x", "7dd", "-7d", "d", "2026-13-01",
                         "2026-02-30", "2025-02-29", "2026-11-20T25:00", "2026-11-20T10:61", "2026-11-20T10",
                         "2026-11-20T10:00+25:00", "2026-11-20Tnoon", "10:00", "2026/11/20", "20261120",
                         "2026-11-20x", "@", "@x", "@-5", "2026-11-20T10:00:00.", " 7d", "7d "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double v = 0;
        if (pl_when_parse(bad[i], 1795168800.0, &v) == 0)
            fail_msg("'%s' was accepted as %f", bad[i], v);
    }
}

static const char TABLE[] =
    "# test table\n"
    "openai gpt-4o 2.50 10.00 1.25\n"
    "openai gpt-4o-mini 0.15 0.60 0.075  # comment after a line\n"
    "\n"
    "anthropic claude-3-haiku 0.25 1.25 0.03 0.30\n"
    "google gemini-2.5-pro 1.25 10 0.31 - 200000\n"
    "google gemini-2.5-pro 2.50 15 0.625\n"
    "openai gpt-4 30 60 -\n"
    "ollama * 0 0 0 0\n";

static void test_prices_match(void **state)
{
    (void)state;
    char err[256] = "";
    pl_prices *p = pl_prices_parse(TABLE, "t.txt", err, sizeof err);
    assert_non_null(p);
    assert_int_equal(pl_prices_count(p), 7);
    const pl_price *e = pl_prices_find(p, "openai", "gpt-4o", 10);
    assert_non_null(e);
    assert_true(e->input == 2.50 && e->output == 10.0 && e->cached_input == 1.25 && e->cache_write < 0);
    /* dated names find their base entry; the base is not a prefix match */
    assert_ptr_equal(pl_prices_find(p, "openai", "gpt-4o-2024-08-06", 10), e);
    assert_ptr_equal(pl_prices_find(p, "OpenAI", "GPT-4o", 10), e);
    assert_non_null(pl_prices_find(p, "openai", "gpt-4o-mini-2024-07-18", 1));
    assert_true(pl_prices_find(p, "openai", "gpt-4o-mini-2024-07-18", 1)->input == 0.15);
    assert_true(pl_prices_find(p, "anthropic", "claude-3-haiku-20240307", 1)->cache_write == 0.30);
    assert_true(pl_prices_find(p, "anthropic", "claude-3-haiku@20240307", 1)->input == 0.25);
    assert_true(pl_prices_find(p, "anthropic", "claude-3-haiku-latest", 1)->input == 0.25);
    /* unknown: other model, other provider (an openai-compatible server is not OpenAI), prefix */
    assert_null(pl_prices_find(p, "openai", "gpt-4o-turbo", 1));
    assert_null(pl_prices_find(p, "openai", "gpt-4o-mini-x", 1));
    assert_null(pl_prices_find(p, "openai-compatible", "gpt-4o", 1));
    assert_null(pl_prices_find(p, "openai", "gpt-4o-2024-08", 1));
    assert_null(pl_prices_find(p, "openai", NULL, 1));
    assert_null(pl_prices_find(p, NULL, "gpt-4o", 1));
    /* tiers by input tokens; unknown input tokens match only an untiered line */
    assert_true(pl_prices_find(p, "google", "gemini-2.5-pro", 200000)->input == 1.25);
    assert_true(pl_prices_find(p, "google", "gemini-2.5-pro", 200001)->input == 2.50);
    assert_true(pl_prices_find(p, "google", "gemini-2.5-pro", -1)->input == 2.50);
    /* '*' */
    assert_true(pl_prices_find(p, "ollama", "llama3", 5)->input == 0);
    pl_prices_free(p);

    char base[64];
    assert_int_equal(pl_prices_base_model("gpt-4o-2024-08-06", base, sizeof base), 1);
    assert_string_equal(base, "gpt-4o");
    assert_int_equal(pl_prices_base_model("claude-3-5-sonnet-20241022", base, sizeof base), 1);
    assert_string_equal(base, "claude-3-5-sonnet");
    assert_int_equal(pl_prices_base_model("gpt-4-0613", base, sizeof base), 0);
    assert_int_equal(pl_prices_base_model("o1", base, sizeof base), 0);
}

static void test_prices_errors(void **state)
{
    (void)state;
    struct { const char *text, *err; } bad[] = {
        {"openai gpt-4o 2.50 10.00\n", "f.txt:1: expected: provider model input output cached_input"},
        {"# c\n\nopenai gpt-4o 2.50 ten 1\n", "f.txt:3: a price must be"},
        {"openai gpt-4o -2 1 1\n", "f.txt:1: a price must be"},
        {"openai gpt-4o 1 1 1 1 100 extra\n", "f.txt:1: too many fields"},
        {"openai gpt-4o 1 1 1 1 -5\n", "f.txt:1: max_input_tokens must be"},
        {"a b 1 1 1\nopenai gpt-4o 1e 1 1\n", "f.txt:2: a price must be"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char err[256] = "";
        pl_prices *p = pl_prices_parse(bad[i].text, "f.txt", err, sizeof err);
        assert_null(p);
        if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
            fail_msg("case %zu: '%s' does not start with '%s'", i, err, bad[i].err);
    }
    /* the shipped table parses */
    char err[256] = "";
    pl_prices *p = pl_prices_parse(PL_BUILTIN_PRICES, "built-in", err, sizeof err);
    assert_non_null(p);
    assert_true(pl_prices_count(p) > 20);
    assert_non_null(pl_prices_find(p, "openai", "gpt-4o-2024-08-06", 100));
    assert_non_null(pl_prices_find(p, "anthropic", "claude-3-5-sonnet-20241022", 100));
    pl_prices_free(p);
}

static char *fixture(const char *name, size_t *len)
{
    const char *dir = getenv("PROMPTLOG_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void test_cost(void **state)
{
    (void)state;
    char err[256] = "";
    pl_prices *p = pl_prices_parse(TABLE, "t.txt", err, sizeof err);
    pl_row r;
    memset(&r, 0, sizeof r);
    r.provider = "openai";
    r.model = "gpt-4o-2024-08-06";
    r.api = "openai.chat";
    r.kind = "chat";
    r.input_tokens = 1000;
    r.output_tokens = 100;
    /* OpenAI counts cached tokens inside prompt_tokens */
    const char *body = "{\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":100,"
                       "\"prompt_tokens_details\":{\"cached_tokens\":400}},"
                       "\"choices\":[{\"message\":{\"content\":\"say \\\"cached_tokens\\\": 999\"}}]}";
    r.resp_body = body;
    r.resp_len = strlen(body);
    pl_tokens t;
    pl_cost_tokens(&r, &t);
    assert_int_equal(t.cached_read, 400);
    double want = (600 * 2.50 + 400 * 1.25 + 100 * 10.0) / 1e6;
    assert_true(pl_cost_usd(p, &r) > want - 1e-12 && pl_cost_usd(p, &r) < want + 1e-12);
    /* no body: no cached tokens known, all input at the full price */
    r.resp_body = NULL;
    want = (1000 * 2.50 + 100 * 10.0) / 1e6;
    assert_true(pl_cost_usd(p, &r) > want - 1e-12 && pl_cost_usd(p, &r) < want + 1e-12);
    /* unknown: tokens, model, provider; a needed price that is '-' */
    r.input_tokens = -1;
    assert_true(pl_cost_usd(p, &r) < 0);
    r.input_tokens = 10;
    r.output_tokens = -1;
    assert_true(pl_cost_usd(p, &r) < 0);
    r.output_tokens = 1;
    r.model = "gpt-5-unknown";
    assert_true(pl_cost_usd(p, &r) < 0);
    r.model = "gpt-4";
    r.resp_body = body;   /* 400 cached tokens, and gpt-4's cached price is unknown */
    r.input_tokens = 1000;
    assert_true(pl_cost_usd(p, &r) < 0);

    /* Anthropic: cache reads and writes are beside input_tokens (the real streamed fixture has 0) */
    size_t len;
    char *sse = fixture("anthropic_messages_tools_stream.sse", &len);
    memset(&r, 0, sizeof r);
    r.provider = "anthropic";
    r.model = "claude-3-haiku-20240307";
    r.api = "anthropic.messages";
    r.kind = "chat";
    r.input_tokens = 506;
    r.output_tokens = 153;
    r.resp_body = sse;
    r.resp_len = len;
    want = (506 * 0.25 + 153 * 1.25) / 1e6;
    assert_true(pl_cost_usd(p, &r) > want - 1e-12 && pl_cost_usd(p, &r) < want + 1e-12);
    free(sse);
    const char *cached = "event: message_start\ndata: {\"message\":{\"usage\":{\"input_tokens\":10,"
                         "\"cache_creation_input_tokens\":200,\"cache_read_input_tokens\":3000}}}\n\n";
    r.resp_body = cached;
    r.resp_len = strlen(cached);
    r.input_tokens = 10;
    r.output_tokens = 5;
    want = (10 * 0.25 + 3000 * 0.03 + 200 * 0.30 + 5 * 1.25) / 1e6;
    assert_true(pl_cost_usd(p, &r) > want - 1e-12 && pl_cost_usd(p, &r) < want + 1e-12);
    /* embeddings have no output tokens: input alone prices them */
    memset(&r, 0, sizeof r);
    r.provider = "ollama";
    r.model = "all-minilm";
    r.kind = "embedding";
    r.input_tokens = 5;
    r.output_tokens = -1;
    assert_true(pl_cost_usd(p, &r) == 0);
    pl_prices_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_when_absolute_utc),
        cmocka_unit_test(test_when_local_zone),
        cmocka_unit_test(test_when_relative),
        cmocka_unit_test(test_when_refused),
        cmocka_unit_test(test_prices_match),
        cmocka_unit_test(test_prices_errors),
        cmocka_unit_test(test_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
