/* test_redact.c — credential redaction: every built-in header and query name in any case,
 * PROMPTLOG_REDACT extras, URL userinfo, and a byte grep of a real store for the secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../../store/redact.h"
#include "../../store/store.h"
#include "../../util/buf.h"
#include "../../util/json.h"

static void upper(char *s)
{
    for (; *s; s++)
        *s = (char)toupper((unsigned char)*s);
}

static void test_header_names(void **state)
{
    (void)state;
    const char *secret[] = {"Authorization", "Proxy-Authorization", "x-api-key", "api-key", "x-goog-api-key",
                            "Cookie", "Set-Cookie", "X-Custom-Api-Key", "x-amz-security-token", "X-Client-Secret"};
    for (size_t i = 0; i < sizeof secret / sizeof *secret; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s", secret[i]);
        assert_int_equal(pl_redact_header_name(name, NULL), 1);
        upper(name);
        assert_int_equal(pl_redact_header_name(name, NULL), 1);
    }
    const char *plain[] = {"Content-Type", "User-Agent", "x-ratelimit-remaining-tokens", "openai-model",
                           "anthropic-version", "Accept", "X-Request-Id", ""};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        assert_int_equal(pl_redact_header_name(plain[i], NULL), 0);
    assert_int_equal(pl_redact_header_name(NULL, NULL), 0);

    const char *extra = " X-Org-Secretish , x-tenant ,,";
    assert_int_equal(pl_redact_header_name("x-tenant", extra), 1);
    assert_int_equal(pl_redact_header_name("X-TENANT", extra), 1);
    assert_int_equal(pl_redact_header_name("x-org-secretish", extra), 1);
    assert_int_equal(pl_redact_header_name("x-tenant-id", extra), 0);
    assert_int_equal(pl_redact_header_name("x-tenan", extra), 0);
}

/* The credential fragments, as redact.c's comment defines them: the brute-force reference the
 * first-letter filter there must agree with. */
static const char *const frags[] = {
    "api-key", "api_key", "apikey", "secret", "password", "passwd", "authorization", "cookie",
    "auth-token", "auth_token", "access-token", "access_token", "security-token", "session-token",
    "session_token",
};

static int ref_has_fragment(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof frags / sizeof *frags; i++) {
        size_t fl = strlen(frags[i]);
        for (size_t j = 0; j + fl <= n; j++)
            if (strncasecmp(name + j, frags[i], fl) == 0)
                return 1;
    }
    return 0;
}

static void test_fragments_anywhere(void **state)
{
    (void)state;
    const char *pre[] = {"", "x-", "X-Foo-", "pa", "acc", "s"};
    const char *post[] = {"", "-id", "s", "_X"};
    for (size_t i = 0; i < sizeof frags / sizeof *frags; i++)
        for (size_t a = 0; a < sizeof pre / sizeof *pre; a++)
            for (size_t b = 0; b < sizeof post / sizeof *post; b++) {
                char name[96];
                snprintf(name, sizeof name, "%s%s%s", pre[a], frags[i], post[b]);
                assert_int_equal(pl_redact_header_name(name, NULL), 1);
                upper(name);
                assert_int_equal(pl_redact_header_name(name, NULL), 1);
            }
    /* Names glued from near-misses and fragment pieces, in both cases: the filter and the
     * plain scan agree on every one. */
    const char *piece[] = {"a", "A", "api", "-", "_", "key", "k", "c", "cook", "ie", "s", "S", "secre", "t",
                           "p", "pass", "wd", "word", "token", "auth", "x", "session", "security", "access",
                           "orization", "AUTH", "Api"};
    unsigned long long rng = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 20000; round++) {
        char name[128] = "";
        int parts = 1 + (int)(rng % 6);
        for (int k = 0; k < parts; k++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            strncat(name, piece[rng % (sizeof piece / sizeof *piece)], sizeof name - strlen(name) - 1);
        }
        int want = ref_has_fragment(name);
        /* an exact built-in name is secret without any fragment */
        if (!want && (strcasecmp(name, "x-goog-api-key") == 0 || strcasecmp(name, "x-api-key") == 0))
            want = 1;
        assert_int_equal(pl_redact_header_name(name, NULL), want);
    }
}

static void test_redact_headers_in_place(void **state)
{
    (void)state;
    pl_headers h = {0};
    const char *lines[] = {"Authorization: Bearer sk-AAA", "content-type: application/json", "X-API-KEY: sk-BBB",
                           "cookie: s=CCC", "X-Tenant: t-DDD"};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        assert_int_equal(pl_headers_add_line(&h, lines[i], strlen(lines[i])), 0);
    assert_int_equal(pl_redact_headers(&h, "x-tenant"), 0);
    assert_string_equal(h.items[0].value, PL_REDACTED);
    assert_string_equal(h.items[1].value, "application/json");
    assert_string_equal(h.items[2].value, PL_REDACTED);
    assert_string_equal(h.items[3].value, PL_REDACTED);
    assert_string_equal(h.items[4].value, PL_REDACTED);
    assert_string_equal(h.items[0].name, "Authorization");   /* names keep their wire case */
    pl_headers_free(&h);
}

static void test_redact_url(void **state)
{
    (void)state;
    struct { const char *in, *extra, *out; } cases[] = {
        {"https://generativelanguage.googleapis.com/v1beta/models/g:generateContent?key=AIzaSECRET",
         NULL, "https://generativelanguage.googleapis.com/v1beta/models/g:generateContent?key=[REDACTED]"},
        {"https://h/p?alt=sse&KEY=s1&Api_Key=s2&access_token=s3&token=s4&x=1", NULL,
         "https://h/p?alt=sse&KEY=[REDACTED]&Api_Key=[REDACTED]&access_token=[REDACTED]&token=[REDACTED]&x=1"},
        {"https://user:pa55@host:8443/v1/x?key=k#frag", NULL, "https://[REDACTED]@host:8443/v1/x?key=[REDACTED]#frag"},
        {"https://tok@host/v1", NULL, "https://[REDACTED]@host/v1"},
        {"/v1/models/m:embedContent?key=abc", NULL, "/v1/models/m:embedContent?key=[REDACTED]"},
        {"/v1/chat?api%5Fkey=abc&keyword=fine", NULL, "/v1/chat?api%5Fkey=[REDACTED]&keyword=fine"},
        {"/v1/chat?tenant=abc&key", "tenant", "/v1/chat?tenant=[REDACTED]&key"},
        {"/v1/chat?redirect=https://a:b@c/", NULL, "/v1/chat?redirect=https://a:b@c/"},
        {"https://api.openai.com/v1/chat/completions", NULL, "https://api.openai.com/v1/chat/completions"},
        {"https://h/p?x-goog-api-key=zz", NULL, "https://h/p?x-goog-api-key=[REDACTED]"},
        {"", NULL, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *out = pl_redact_url(cases[i].in, cases[i].extra);
        assert_non_null(out);
        assert_string_equal(out, cases[i].out);
        free(out);
    }
    assert_null(pl_redact_url(NULL, NULL));
}

/* Every file of the database (main, -wal, -shm) must be free of the secrets, byte for byte. */
static int file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    size_t got = fread(data, 1, (size_t)n, f);
    fclose(f);
    int found = got > 0 && memmem(data, got, needle, strlen(needle)) != NULL;
    free(data);
    return found;
}

static const char *SECRETS[] = {"sk-SECRET-AUTH", "sk-SECRET-PROXY", "SECRET-XAPI", "SECRET-APIKEY", "SECRET-GOOG",
                                "SECRET-COOKIE", "SECRET-SETCOOKIE", "SECRET-QKEY", "SECRET-QAPIKEY",
                                "SECRET-QACCESS", "SECRET-QTOKEN", "SECRET-USERINFO", "SECRET-EXTRA-H",
                                "SECRET-EXTRA-Q"};

static int check_row(const pl_row *r, void *ctx)
{
    int *hits = ctx;
    for (size_t k = 0; k < sizeof SECRETS / sizeof *SECRETS; k++) {
        const char *fields[] = {r->url, r->path, r->error};
        for (size_t i = 0; i < 3; i++)
            if (fields[i] && strstr(fields[i], SECRETS[k]))
                (*hits)++;
        const pl_headers *hs[] = {r->req_headers, r->resp_headers};
        for (size_t j = 0; j < 2; j++)
            for (size_t i = 0; hs[j] && i < hs[j]->count; i++)
                if (strstr(hs[j]->items[i].value, SECRETS[k]) || strstr(hs[j]->items[i].name, SECRETS[k]))
                    (*hits)++;
        if (r->req_body && memmem(r->req_body, r->req_len, SECRETS[k], strlen(SECRETS[k])))
            (*hits)++;
        if (r->resp_body && memmem(r->resp_body, r->resp_len, SECRETS[k], strlen(SECRETS[k])))
            (*hits)++;
    }
    (*hits) += 1000;   /* proves the row was seen */
    return 0;
}

static void test_store_never_writes_secrets(void **state)
{
    (void)state;
    char dir[] = "/tmp/pl_test_redact_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/secrets.db", dir);
    setenv("PROMPTLOG_REDACT", "X-Extra-Header, extra_param", 1);

    pl_store *s = NULL;
    char err[256] = "";
    assert_int_equal(pl_store_open(path, PL_STORE_CREATE, NULL, &s, err, sizeof err), 0);
    pl_headers req = {0}, resp = {0};
    const char *reql[] = {"authorization: Bearer sk-SECRET-AUTH", "PROXY-AUTHORIZATION: Basic sk-SECRET-PROXY",
                          "X-Api-Key: SECRET-XAPI", "Api-Key: SECRET-APIKEY", "X-GOOG-API-KEY: SECRET-GOOG",
                          "Cookie: a=SECRET-COOKIE", "x-extra-header: SECRET-EXTRA-H",
                          "Content-Type: application/json"};
    for (size_t i = 0; i < sizeof reql / sizeof *reql; i++)
        pl_headers_add_line(&req, reql[i], strlen(reql[i]));
    pl_headers_add_line(&resp, "Set-Cookie: sid=SECRET-SETCOOKIE; HttpOnly", 41);
    pl_row r;
    memset(&r, 0, sizeof r);
    r.ns = "default";
    r.model = "m";
    r.url = "https://SECRET-USERINFO@api.example.com/v1/chat/completions?key=SECRET-QKEY&API_KEY=SECRET-QAPIKEY"
            "&access_token=SECRET-QACCESS&Token=SECRET-QTOKEN&extra_param=SECRET-EXTRA-Q&alt=sse";
    r.path = "/v1/chat/completions";
    r.status = 200;
    r.started_at = 1700000000;
    r.duration = r.ttfb = r.ttft = -1;
    r.input_tokens = r.output_tokens = -1;
    r.pid = -1;
    r.req_headers = &req;
    r.resp_headers = &resp;
    r.req_body = "{\"model\":\"m\",\"messages\":[]}";
    r.req_len = strlen(r.req_body);
    r.resp_body = "{\"choices\":[]}";
    r.resp_len = strlen(r.resp_body);
    for (int i = 0; i < 3; i++)
        assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);
    unsetenv("PROMPTLOG_REDACT");

    /* grep the files while the connection is still open, so the WAL still holds the rows */
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    int seen_wal = 0;
    for (size_t j = 0; j < sizeof suffixes / sizeof *suffixes; j++) {
        char f[300];
        snprintf(f, sizeof f, "%s%s", path, suffixes[j]);
        if (j == 1 && access(f, F_OK) == 0)
            seen_wal = file_contains(f, "api.example.com");
        for (size_t k = 0; k < sizeof SECRETS / sizeof *SECRETS; k++)
            if (file_contains(f, SECRETS[k]))
                fail_msg("%s found in %s", SECRETS[k], f);
    }
    assert_true(seen_wal);   /* the grep looked where the rows actually are */

    int hits = 0;
    assert_int_equal(pl_store_each_row(s, NULL, check_row, &hits, err, sizeof err), 0);
    assert_int_equal(hits, 3000);
    pl_store_close(s);

    /* extra names can also come as an option, which wins over the environment */
    setenv("PROMPTLOG_REDACT", "nothing-relevant", 1);
    pl_store_options o = {.redact = "X-Extra-Header,extra_param"};
    assert_int_equal(pl_store_open(path, PL_STORE_CREATE, &o, &s, err, sizeof err), 0);
    unsetenv("PROMPTLOG_REDACT");
    assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);
    hits = 0;
    assert_int_equal(pl_store_each_row(s, NULL, check_row, &hits, err, sizeof err), 0);
    assert_int_equal(hits, 4000);
    pl_store_close(s);

    for (size_t k = 0; k < sizeof SECRETS / sizeof *SECRETS; k++)
        assert_int_equal(file_contains(path, SECRETS[k]), 0);   /* after the checkpoint too */
    assert_true(file_contains(path, "[REDACTED]"));
    pl_headers_free(&req);
    pl_headers_free(&resp);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_names),
        cmocka_unit_test(test_fragments_anywhere),
        cmocka_unit_test(test_redact_headers_in_place),
        cmocka_unit_test(test_redact_url),
        cmocka_unit_test(test_store_never_writes_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
