/* test_registry.c — the provider registry (llm/registry.def, llm/provider.h) holds together: every
 * API has a unique stored name, a kind and a provider; every provider's own host table names the
 * provider pl_endpoint_match reports; an API path on an unknown host falls back to its provider's
 * "compatible" name; and an undecodable body reaches the record as a parse_error, not as JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../llm/provider.h"
#include "../../util/json.h"

static const pl_provider_desc *const all_providers[] = {
#define PL_PROVIDER(desc) &desc,
#define PL_API(id, desc, norm)
#include "../../llm/registry.def"
#undef PL_PROVIDER
#undef PL_API
};

static void test_api_descriptors(void **state)
{
    (void)state;
    assert_null(pl_api_desc_of(PL_API_NONE));
    assert_null(pl_api_desc_of(PL_API_COUNT));
    assert_string_equal(pl_api_name(PL_API_COUNT), "none");
    for (int a = 1; a < PL_API_COUNT; a++) {
        const pl_api_desc *d = pl_api_desc_of((pl_api)a);
        assert_non_null(d);
        assert_non_null(d->provider);
        assert_true(strcmp(d->kind, "chat") == 0 || strcmp(d->kind, "text") == 0 ||
                    strcmp(d->kind, "embedding") == 0);
        assert_non_null(pl_api_norm_of((pl_api)a));
        assert_non_null(pl_api_norm_of((pl_api)a)->request);
        assert_non_null(pl_api_norm_of((pl_api)a)->response);
        assert_int_equal(pl_api_from_name(d->name), a);
        for (int b = 1; b < a; b++)
            assert_string_not_equal(pl_api_desc_of((pl_api)b)->name, d->name);
    }
}

/* Each provider's hosts, with the path of one of its own APIs, come out as that host's provider;
 * with a port appended too. */
static void test_host_tables(void **state)
{
    (void)state;
    static const struct { pl_api api; const char *path; } path_of[] = {
        {PL_API_OPENAI_CHAT, "/v1/chat/completions"},
        {PL_API_ANTHROPIC_MESSAGES, "/v1/messages"},
        {PL_API_GEMINI_GENERATE, "/v1beta/models/gemini-2.0-flash:generateContent"},
        {PL_API_OLLAMA_CHAT, "/api/chat"},
    };
    int checked = 0;
    for (size_t i = 0; i < sizeof all_providers / sizeof all_providers[0]; i++) {
        const pl_provider_desc *p = all_providers[i];
        const char *path = NULL;
        for (size_t k = 0; k < sizeof path_of / sizeof path_of[0]; k++)
            if (pl_api_desc_of(path_of[k].api)->provider == p)
                path = path_of[k].path;
        assert_non_null(path);
        for (const pl_host_rule *r = p->hosts; r->host; r++) {
            char host[128];
            snprintf(host, sizeof host, "%s%s", r->host[0] == '*' ? "Some-Resource" : "", r->host + (r->host[0] == '*'));
            pl_endpoint ep;
            assert_int_equal(pl_endpoint_match("POST", host, 443, path, &ep), 1);
            if (strcmp(ep.provider, r->provider) != 0)
                fail_msg("%s%s: provider %s, want %s", host, path, ep.provider, r->provider);
            strcat(host, ":8443");
            assert_int_equal(pl_endpoint_match("POST", host, 8443, path, &ep), 1);
            assert_string_equal(ep.provider, r->provider);
            checked++;
        }
        pl_endpoint ep;
        assert_int_equal(pl_endpoint_match("POST", "llm.internal.example", 8080, path, &ep), 1);
        assert_string_equal(ep.provider, p->unknown_host);
        if (p->port) {
            assert_int_equal(pl_endpoint_match("POST", "gpu-box", p->port, "/v1/chat/completions", &ep), 1);
            assert_string_equal(ep.provider, p->unknown_host);
        }
    }
    assert_true(checked >= 15);
}

/* A body whose Content-Encoding could not be undone is not parsed as the provider's JSON. */
static void test_decode_error_input(void **state)
{
    (void)state;
    static const char body[] = "\x1f\x8b\x08\x00garbled";
    pl_llm_input in = {.api = PL_API_OPENAI_CHAT, .provider = "openai", .target = "/v1/chat/completions",
                       .status = 200, .content_type = "application/json",
                       .req_body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                       .req_len = 62, .resp_body = body, .resp_len = sizeof body - 1, .decode_error = 1};
    in.req_len = strlen(in.req_body);
    cJSON *r = pl_llm_normalize(&in);
    assert_non_null(r);
    const char *pe = pl_js(r, "parse_error");
    assert_non_null(pe);
    assert_non_null(strstr(pe, "could not be content-decoded"));
    assert_null(strstr(pe, "not valid JSON"));
    assert_string_equal(pl_js(r, "model"), "gpt-4o");   /* the request is still read */
    cJSON_Delete(r);
    in.status = 502;
    r = pl_llm_normalize(&in);
    assert_string_equal(pl_js(r, "error"), "HTTP 502");
    cJSON_Delete(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_descriptors),
        cmocka_unit_test(test_host_tables),
        cmocka_unit_test(test_decode_error_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
