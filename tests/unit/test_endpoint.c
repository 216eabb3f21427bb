/* test_endpoint.c — which requests are LLM calls: the built-in path table (matches and the
 * near-misses that must not match), providers from hosts, model hints from paths, and the
 * PROMPTLOG_ENDPOINTS / PROMPTLOG_IGNORE rule syntax. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../llm/llm.h"

typedef struct row {
    const char *method, *host;
    int port;
    const char *target;
    const char *api;        /* NULL = must not match */
    const char *provider;
    const char *model;
    int stream_hint;
} row;

static const row table[] = {
    /* OpenAI style, with and without prefixes; the query is ignored */
    {"POST", "api.openai.com", 443, "/v1/chat/completions", "openai.chat", "openai", "", 0},
    {NULL, "api.openai.com", 443, "/v1/chat/completions?foo=1", "openai.chat", "openai", "", 0},
    {"POST", "api.openai.com", 443, "/v1/completions", "openai.completions", "openai", "", 0},
    {"POST", "api.openai.com", 443, "/v1/responses", "openai.responses", "openai", "", 0},
    {"POST", "api.openai.com", 443, "/v1/embeddings", "openai.embeddings", "openai", "", 0},
    {"POST", "openrouter.ai", 443, "/api/v1/chat/completions", "openai.chat", "openrouter", "", 0},
    {"POST", "api.groq.com", 443, "/openai/v1/chat/completions", "openai.chat", "groq", "", 0},
    {"POST", "api.deepseek.com", 443, "/chat/completions", "openai.chat", "deepseek", "", 0},
    {"POST", "api.mistral.ai", 443, "/v1/embeddings", "openai.embeddings", "mistral", "", 0},
    {"POST", "api.together.xyz", 443, "/v1/completions", "openai.completions", "together", "", 0},
    {"POST", "api.fireworks.ai", 443, "/inference/v1/chat/completions", "openai.chat", "fireworks", "", 0},
    {"POST", "api.x.ai", 443, "/v1/responses", "openai.responses", "xai", "", 0},
    {"POST", "api.perplexity.ai", 443, "/chat/completions", "openai.chat", "perplexity", "", 0},
    {"POST", "localhost", 8000, "/v1/chat/completions", "openai.chat", "openai-compatible", "", 0},
    {"POST", "127.0.0.1", 11434, "/v1/chat/completions", "openai.chat", "ollama", "", 0},
    {"POST", "API.OpenAI.com:443", 443, "/v1/chat/completions", "openai.chat", "openai", "", 0},
    {"POST", "generativelanguage.googleapis.com", 443, "/v1beta/openai/chat/completions", "openai.chat", "google", "", 0},
    {"POST", "proxy", 80, "http://api.openai.com/v1/chat/completions", "openai.chat", "openai-compatible", "", 0},
    /* Azure */
    {"POST", "traceloop-stg.openai.azure.com", 443,
     "/openai/deployments/openllmetry-testing/chat/completions?api-version=2024-02-01", "openai.chat", "azure",
     "openllmetry-testing", 0},
    {"POST", "res.openai.azure.com", 443, "/openai/deployments/dav/completions?api-version=2024-02-01",
     "openai.completions", "azure", "dav", 0},
    {"POST", "res.cognitiveservices.azure.com", 443, "/openai/deployments/emb/embeddings?api-version=2024-02-01",
     "openai.embeddings", "azure", "emb", 0},
    {"POST", "res.openai.azure.com", 443, "/openai/v1/responses", "openai.responses", "azure", "", 0},
    {"POST", "res.openai.azure.com", 443, "/openai/responses?api-version=2025-03-01-preview", "openai.responses",
     "azure", "", 0},
    /* Anthropic */
    {"POST", "api.anthropic.com", 443, "/v1/messages", "anthropic.messages", "anthropic", "", 0},
    {"POST", "llm-gw.corp", 443, "/anthropic/v1/messages?beta=true", "anthropic.messages", "anthropic-compatible", "", 0},
    {"POST", "api.anthropic.com", 443, "/v1/messages/count_tokens", NULL, NULL, NULL, 0},
    {"POST", "api.anthropic.com", 443, "/v1/messages/batches", NULL, NULL, NULL, 0},
    {"POST", "us-east5-aiplatform.googleapis.com", 443,
     "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-3-5-sonnet@20240620:streamRawPredict",
     "anthropic.messages", "vertex", "claude-3-5-sonnet@20240620", 1},
    /* Gemini / Vertex */
    {"POST", "generativelanguage.googleapis.com", 443, "/v1beta/models/gemini-2.5-flash:generateContent",
     "gemini.generate", "google", "gemini-2.5-flash", 0},
    {"POST", "generativelanguage.googleapis.com", 443,
     "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=SECRET", "gemini.generate", "google",
     "gemini-2.5-flash", 1},
    {"POST", "generativelanguage.googleapis.com", 443, "/v1beta/models/text-embedding-004:embedContent",
     "gemini.embed", "google", "text-embedding-004", 0},
    {"POST", "us-central1-aiplatform.googleapis.com", 443,
     "/v1beta1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
     "gemini.generate", "vertex", "gemini-2.5-flash", 1},
    {"POST", "aiplatform.googleapis.com", 443,
     "/v1/projects/p/locations/global/publishers/google/models/gemini-2.0-flash:generateContent", "gemini.generate",
     "vertex", "gemini-2.0-flash", 0},
    {"POST", "generativelanguage.googleapis.com", 443, "/v1beta/models/gemini-2.5-flash:countTokens", NULL, NULL, NULL, 0},
    {"POST", "generativelanguage.googleapis.com", 443, "/v1beta/tunedModels/x:generateContent", NULL, NULL, NULL, 0},
    /* Ollama */
    {"POST", "localhost", 11434, "/api/chat", "ollama.chat", "ollama", "", 0},
    {"POST", "localhost", 11434, "/api/generate", "ollama.generate", "ollama", "", 0},
    {"POST", "localhost", 11434, "/api/embed", "ollama.embed", "ollama", "", 0},
    {"POST", "localhost", 11434, "/api/embeddings", "ollama.embed", "ollama", "", 0},
    {"POST", "gpu-box", 8080, "/api/chat", "ollama.chat", "ollama", "", 0},
    {"POST", "localhost", 11434, "/api/tags", NULL, NULL, NULL, 0},
    {"POST", "localhost", 11434, "/api/show", NULL, NULL, NULL, 0},
    /* Non-LLM traffic */
    {"GET", "example.com", 80, "/other", NULL, NULL, NULL, 0},
    {"POST", "example.com", 80, "/upload", NULL, NULL, NULL, 0},
    {"GET", "api.openai.com", 443, "/v1/models", NULL, NULL, NULL, 0},
    {"GET", "api.openai.com", 443, "/v1/chat/completions", NULL, NULL, NULL, 0},
    {"DELETE", "api.openai.com", 443, "/v1/responses", NULL, NULL, NULL, 0},
    {"POST", "api.openai.com", 443, "/v1/files", NULL, NULL, NULL, 0},
    {"POST", "api.openai.com", 443, "/v1/chat/completions/extra", NULL, NULL, NULL, 0},
    {"POST", "api.openai.com", 443, "/v1/responses/resp_1/cancel", NULL, NULL, NULL, 0},
    {"POST", "example.com", 443, "/blog/completions", NULL, NULL, NULL, 0},
    {"POST", "example.com", 443, "/messages", NULL, NULL, NULL, 0},
    {"POST", "example.com", 443, "/", NULL, NULL, NULL, 0},
    {"POST", "example.com", 443, "", NULL, NULL, NULL, 0},
    {"POST", "example.com", 443, "/search?q=/v1/chat/completions", NULL, NULL, NULL, 0},
};

static void builtin_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const row *t = &table[i];
        pl_endpoint ep;
        memset(&ep, 0x55, sizeof ep);
        int m = pl_endpoint_match(t->method, t->host, t->port, t->target, &ep);
        if (!t->api) {
            if (m)
                fail_msg("row %zu %s %s matched as %s", i, t->method, t->target, pl_api_name(ep.api));
            continue;
        }
        if (!m)
            fail_msg("row %zu %s %s did not match", i, t->method ? t->method : "(null)", t->target);
        if (strcmp(pl_api_name(ep.api), t->api) != 0 || strcmp(ep.provider, t->provider) != 0 ||
            strcmp(ep.model, t->model) != 0 || ep.stream_hint != t->stream_hint)
            fail_msg("row %zu %s: got %s/%s/%s/%d, want %s/%s/%s/%d", i, t->target, pl_api_name(ep.api), ep.provider,
                     ep.model, ep.stream_hint, t->api, t->provider, t->model, t->stream_hint);
    }
    assert_int_equal(pl_endpoint_match("POST", "h", 1, NULL, NULL), 0);
    assert_int_equal(pl_endpoint_match("POST", NULL, 0, "/v1/chat/completions", NULL), 1);  /* out may be NULL */
}

static void long_model_is_truncated(void **state)
{
    (void)state;
    char target[512];
    char model[300];
    memset(model, 'm', sizeof model - 1);
    model[sizeof model - 1] = '\0';
    snprintf(target, sizeof target, "/v1beta/models/%s:generateContent", model);
    pl_endpoint ep;
    assert_int_equal(pl_endpoint_match("POST", "generativelanguage.googleapis.com", 443, target, &ep), 1);
    assert_int_equal(strlen(ep.model), sizeof ep.model - 1);
}

static void user_rules(void **state)
{
    (void)state;
    char err[256];
    pl_endpoint_rules *r = pl_endpoint_rules_parse(
        " /my/llm/chat , *.corp.example/gen=ollama.generate,llm.internal:8080=anthropic.messages,"
        "gw.local/proxy/*/v1beta/models/*=gemini.generate",
        "api.openai.com/v1/embeddings, *.noisy.dev", err, sizeof err);
    assert_non_null(r);
    pl_endpoint ep;

    assert_int_equal(pl_endpoint_match_rules(r, "POST", "anything", 80, "/my/llm/chat?x=1", &ep), 1);
    assert_string_equal(pl_api_name(ep.api), "openai.chat");
    assert_string_equal(ep.provider, "openai-compatible");
    assert_int_equal(pl_endpoint_match_rules(r, "GET", "anything", 80, "/my/llm/chat", &ep), 0);

    assert_int_equal(pl_endpoint_match_rules(r, "POST", "a.corp.example", 443, "/gen", &ep), 1);
    assert_string_equal(pl_api_name(ep.api), "ollama.generate");
    assert_int_equal(pl_endpoint_match_rules(r, "POST", "A.CORP.EXAMPLE", 443, "/gen", &ep), 1);
    assert_int_equal(pl_endpoint_match_rules(r, "POST", "corp.example", 443, "/gen", &ep), 0);

    assert_int_equal(pl_endpoint_match_rules(r, "POST", "llm.internal", 8080, "/anything/at/all", &ep), 1);
    assert_string_equal(pl_api_name(ep.api), "anthropic.messages");
    assert_int_equal(pl_endpoint_match_rules(r, "POST", "llm.internal", 9090, "/anything", &ep), 0);

    /* A rule for the same API keeps what the path says (model, stream hint). */
    assert_int_equal(pl_endpoint_match_rules(r, "POST", "gw.local", 443,
                                             "/proxy/x/v1beta/models/gem-1:streamGenerateContent", &ep), 1);
    assert_string_equal(ep.model, "gem-1");
    assert_int_equal(ep.stream_hint, 1);

    /* Ignore wins over both the built-ins and the user's endpoints. */
    assert_int_equal(pl_endpoint_match_rules(r, "POST", "api.openai.com", 443, "/v1/embeddings", &ep), 0);
    assert_int_equal(pl_endpoint_match_rules(r, "POST", "api.openai.com", 443, "/v1/chat/completions", &ep), 1);
    assert_int_equal(pl_endpoint_match_rules(r, "POST", "x.noisy.dev", 443, "/v1/chat/completions", &ep), 0);

    /* Built-ins still apply with rules present. */
    assert_int_equal(pl_endpoint_match_rules(r, "POST", "api.anthropic.com", 443, "/v1/messages", &ep), 1);
    assert_string_equal(pl_api_name(ep.api), "anthropic.messages");
    pl_endpoint_rules_free(r);

    /* Syntax errors are reported, not guessed around. */
    assert_null(pl_endpoint_rules_parse("/x=openai.nope", NULL, err, sizeof err));
    assert_non_null(strstr(err, "openai.nope"));
    assert_null(pl_endpoint_rules_parse(NULL, "/x=openai.chat", err, sizeof err));
    assert_non_null(strstr(err, "PROMPTLOG_IGNORE"));
    assert_null(pl_endpoint_rules_parse("=openai.chat", NULL, err, sizeof err));

    /* Empty or absent specs are fine and change nothing. */
    r = pl_endpoint_rules_parse(NULL, " , ", err, sizeof err);
    assert_non_null(r);
    assert_int_equal(pl_endpoint_match_rules(r, "POST", "h", 1, "/v1/chat/completions", &ep), 1);
    assert_int_equal(pl_endpoint_match_rules(r, "POST", "h", 1, "/upload", &ep), 0);
    pl_endpoint_rules_free(r);
    pl_endpoint_rules_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtin_table),
        cmocka_unit_test(long_model_is_truncated),
        cmocka_unit_test(user_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
