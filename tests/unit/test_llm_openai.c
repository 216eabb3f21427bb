/* test_llm_openai.c — normalization of OpenAI-shaped APIs over the byte-exact reference fixtures:
 * chat (stream and not, tools, include_usage, Azure, errors, cuts), legacy completions, Responses,
 * embeddings. Expected values were read off the fixtures by hand / with a Python one-liner. */
#include "test_llm_util.h"

#define CHAT "/v1/chat/completions"
#define SSE_CT "text/event-stream; charset=utf-8"

static const char *REQ_STREAM =
    "{\"messages\": [{\"role\": \"user\", \"content\": \"Say this is a test\"}], \"model\": \"gpt-4\", "
    "\"stream\": true, \"stream_options\": {\"include_usage\": true}}";

static void chat_stream_include_usage(void **state)
{
    (void)state;
    cJSON *r = norm_fixture("api.openai.com", CHAT, REQ_STREAM, "openai_chat_stream_include_usage.sse", SSE_CT, 200);
    assert_jstr(r, "kind", "chat");
    assert_jstr(r, "model", "gpt-4");
    assert_jstr(r, "response_model", "gpt-4-0613");
    assert_jtrue(r, "stream");
    assert_jstr(r, "messages.0.role", "user");
    assert_jstr(r, "messages.0.content", "Say this is a test");
    assert_jtrue(r, "generation_kwargs.stream");
    assert_jtrue(r, "generation_kwargs.stream_options.include_usage");
    assert_jabsent(r, "generation_kwargs.model");
    assert_jabsent(r, "generation_kwargs.messages");
    assert_int_equal(jcount(r, "completions"), 1);
    assert_jstr(r, "completions.0.role", "assistant");
    assert_jstr(r, "completions.0.content", "\"This is a test.\"");
    assert_jstr(r, "completions.0.finish_reason", "stop");
    assert_jstr(r, "finish_reason", "stop");
    assert_jint(r, "usage.input_tokens", 12);
    assert_jint(r, "usage.output_tokens", 5);
    assert_jint(r, "status", 200);
    assert_jabsent(r, "incomplete");
    assert_jabsent(r, "parse_error");
    assert_jabsent(r, "error");
    /* The first chunk carries content "" (no token); the second, '"This', ends at byte 546. */
    assert_jint(r, "first_token_offset", 546);
    char *p = pl_llm_prompt_preview(r, 100), *c = pl_llm_completion_preview(r, 100);
    assert_string_equal(p, "Say this is a test");
    assert_string_equal(c, "\"This is a test.\"");
    free(p);
    free(c);
    cJSON_Delete(r);
}

static void chat_nonstream(void **state)
{
    (void)state;
    const char *req = "{\"messages\":[{\"role\":\"system\",\"content\":\"Be terse\"},{\"role\":\"user\",\"content\":\"Say this is a test\"}],"
                      "\"model\":\"gpt-4o-mini\",\"temperature\":0.5,\"max_tokens\":50,\"seed\":42}";
    cJSON *r = norm_fixture("api.openai.com", CHAT, req, "openai_chat_nonstream.json", "application/json", 200);
    assert_jstr(r, "model", "gpt-4o-mini");
    assert_jstr(r, "response_model", "gpt-4o-mini-2024-07-18");
    assert_jabsent(r, "stream");
    assert_int_equal(jcount(r, "messages"), 2);
    assert_jstr(r, "messages.0.role", "system");
    assert_jint(r, "generation_kwargs.max_tokens", 50);
    assert_jint(r, "generation_kwargs.seed", 42);
    assert_true(jp(r, "generation_kwargs.temperature")->valuedouble == 0.5);
    assert_jstr(r, "completions.0.content", "This is a test.");
    assert_jstr(r, "completions.0.finish_reason", "stop");
    assert_jint(r, "usage.input_tokens", 12);
    assert_jint(r, "usage.output_tokens", 5);
    assert_jabsent(r, "first_token_offset");
    assert_jabsent(r, "incomplete");
    cJSON_Delete(r);
}

static void chat_tools_nonstream(void **state)
{
    (void)state;
    const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"}],\"model\":\"gpt-4o-mini\","
                      "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_current_weather\"}}],\"tool_choice\":\"auto\"}";
    cJSON *r = norm_fixture("api.openai.com", CHAT, req, "openai_chat_tools_nonstream.json", "application/json", 200);
    assert_jstr(r, "tools.0.function.name", "get_current_weather");
    assert_jstr(r, "generation_kwargs.tool_choice", "auto");
    assert_jabsent(r, "generation_kwargs.tools");
    assert_jabsent(r, "completions.0.content");  /* content was null */
    assert_int_equal(jcount(r, "completions.0.tool_calls"), 2);
    assert_jstr(r, "completions.0.tool_calls.0.id", "call_JpNb8OiAkbIbHzDggfpdDHpi");
    assert_jstr(r, "completions.0.tool_calls.0.type", "function");
    assert_jstr(r, "completions.0.tool_calls.0.function.name", "get_current_weather");
    assert_jstr(r, "completions.0.tool_calls.0.function.arguments", "{\"location\": \"Seattle, WA\"}");
    assert_jstr(r, "completions.0.tool_calls.1.id", "call_vaFQc3zK6hHTRZKXRI5Eo2cJ");
    assert_jstr(r, "completions.0.tool_calls.1.function.arguments", "{\"location\": \"San Francisco, CA\"}");
    assert_jstr(r, "finish_reason", "tool_calls");
    assert_jint(r, "usage.input_tokens", 75);
    assert_jint(r, "usage.output_tokens", 51);
    char *c = pl_llm_completion_preview(r, 100);
    assert_string_equal(c, "get_current_weather({\"location\": \"Seattle, WA\"})");
    free(c);
    cJSON_Delete(r);
}

static void chat_tools_stream(void **state)
{
    (void)state;
    cJSON *r = norm_fixture("api.openai.com", CHAT, "{\"model\":\"gpt-4o-mini\",\"messages\":[],\"stream\":true}",
                            "openai_chat_tools_stream.sse", SSE_CT, 200);
    assert_jabsent(r, "completions.0.content");
    assert_int_equal(jcount(r, "completions.0.tool_calls"), 2);
    assert_jstr(r, "completions.0.tool_calls.0.id", "call_fHCjJqt9Pysde6vcJcvbXGBx");
    assert_jstr(r, "completions.0.tool_calls.0.function.name", "get_current_weather");
    assert_jstr(r, "completions.0.tool_calls.0.function.arguments", "{\"location\": \"Seattle, WA\"}");
    assert_jstr(r, "completions.0.tool_calls.1.id", "call_3J9foSw3CUb48lrqIXoTky6U");
    assert_jstr(r, "completions.0.tool_calls.1.function.name", "get_current_weather");
    assert_jstr(r, "completions.0.tool_calls.1.function.arguments", "{\"location\": \"San Francisco, CA\"}");
    assert_jstr(r, "finish_reason", "tool_calls");
    assert_jint(r, "usage.input_tokens", 75);
    assert_jint(r, "usage.output_tokens", 51);
    assert_jabsent(r, "incomplete");
    cJSON_Delete(r);
}

static void chat_two_tools_snapshot(void **state)
{
    (void)state;
    cJSON *r = norm_fixture("api.openai.com", CHAT, NULL, "openai_python_snapshot_two_tools_stream.sse", SSE_CT, 200);
    assert_jstr(r, "model", "gpt-4o-2024-08-06");  /* no request: the response names the model */
    assert_jabsent(r, "response_model");
    assert_jstr(r, "completions.0.tool_calls.0.id", "call_JMW1whyEaYG438VE1OIflxA2");
    assert_jstr(r, "completions.0.tool_calls.0.function.name", "GetWeatherArgs");
    assert_jstr(r, "completions.0.tool_calls.0.function.arguments",
                "{\"city\": \"Edinburgh\", \"country\": \"GB\", \"units\": \"c\"}");
    assert_jstr(r, "completions.0.tool_calls.1.id", "call_DNYTawLBoN8fj3KN6qU9N1Ou");
    assert_jstr(r, "completions.0.tool_calls.1.function.name", "get_stock_price");
    assert_jstr(r, "completions.0.tool_calls.1.function.arguments", "{\"ticker\": \"AAPL\", \"exchange\": \"NASDAQ\"}");
    assert_jstr(r, "finish_reason", "tool_calls");
    assert_jint(r, "usage.input_tokens", 149);
    assert_jint(r, "usage.output_tokens", 60);
    cJSON_Delete(r);
}

static void chat_finish_length(void **state)
{
    (void)state;
    cJSON *r = norm_fixture("api.openai.com", CHAT, NULL, "openai_python_snapshot_finish_length_stream.sse", SSE_CT, 200);
    assert_jstr(r, "completions.0.content", "{\"");
    assert_jstr(r, "finish_reason", "length");
    assert_jint(r, "usage.input_tokens", 79);
    assert_jint(r, "usage.output_tokens", 1);
    cJSON_Delete(r);
}

static void chat_404_error(void **state)
{
    (void)state;
    const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"model\":\"this-model-does-not-exist\"}";
    cJSON *r = norm_fixture("api.openai.com", CHAT, req, "openai_chat_404_error.json", "application/json", 404);
    assert_jint(r, "status", 404);
    assert_jstr(r, "error", "The model `this-model-does-not-exist` does not exist or you do not have access to it.");
    assert_jstr(r, "model", "this-model-does-not-exist");
    assert_jabsent(r, "completions");
    assert_jabsent(r, "parse_error");
    cJSON_Delete(r);
}

static void error_bodies(void **state)
{
    (void)state;
    const char *ollama = "{\"error\":\"model 'x' not found\"}";
    cJSON *r = norm_body("localhost", "/api/chat", "{\"model\":\"x\"}", ollama, strlen(ollama), "application/json", 404, 0);
    assert_jstr(r, "error", "model 'x' not found");
    cJSON_Delete(r);
    const char *plain = "upstream connect error";
    r = norm_body("h", CHAT, NULL, plain, strlen(plain), "text/plain", 503, 0);
    assert_jstr(r, "error", "upstream connect error");
    assert_jint(r, "status", 503);
    cJSON_Delete(r);
    r = norm_body("h", CHAT, NULL, "", 0, NULL, 500, 0);
    assert_jstr(r, "error", "HTTP 500");
    cJSON_Delete(r);
}

static void chat_midstream_error(void **state)
{
    (void)state;
    const char *body =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}],\"model\":\"m\"}\n\n"
        "data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\"}}\n\n";
    cJSON *r = norm_body("api.openai.com", CHAT, NULL, body, strlen(body), SSE_CT, 200, 0);
    assert_jstr(r, "completions.0.content", "Hel");
    assert_jstr(r, "error", "The server had an error while processing your request.");
    assert_jint(r, "status", 200);
    cJSON_Delete(r);
}

static void chat_n2_and_null_content(void **state)
{
    (void)state;
    /* Two choices interleaved, content null/"" deltas, an obfuscation field, a ':' comment. */
    const char *body =
        ": OPENROUTER PROCESSING\n\n"
        "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}]}\n\n"
        "data: {\"model\":\"m\",\"choices\":[{\"index\":1,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
        "data: {\"model\":\"m\",\"choices\":[{\"index\":1,\"delta\":{\"content\":\"B1\"}}],\"obfuscation\":\"xx\"}\n\n"
        "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A1\"}}]}\n\n"
        "data:{\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" A2\"}}]}\n\n"
        "data: {\"model\":\"m\",\"choices\":[{\"index\":1,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
        "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
        "data: [DONE]\n\n";
    cJSON *r = norm_body("openrouter.ai", "/api/v1/chat/completions", "{\"model\":\"m\",\"n\":2}", body, strlen(body),
                         SSE_CT, 200, 0);
    assert_int_equal(jcount(r, "completions"), 2);
    assert_jstr(r, "completions.0.content", "A1 A2");
    assert_jstr(r, "completions.0.finish_reason", "stop");
    assert_jstr(r, "completions.1.content", "B1");
    assert_jstr(r, "completions.1.finish_reason", "length");
    assert_jstr(r, "finish_reason", "stop");
    assert_jint(r, "generation_kwargs.n", 2);
    assert_jabsent(r, "incomplete");
    cJSON_Delete(r);
}

static void chat_stream_cut(void **state)
{
    (void)state;
    /* Cut in the middle of the " test" chunk: what arrived is kept, and it says so. */
    size_t len;
    char *body = load_fixture("openai_chat_stream_include_usage.sse", &len);
    const char *at = strstr(body, "{\"content\":\" test\"}");
    assert_non_null(at);
    size_t cut = (size_t)(at - body) + 5;
    cJSON *r = norm_body("api.openai.com", CHAT, REQ_STREAM, body, cut, SSE_CT, 200, 0);
    assert_jstr(r, "completions.0.content", "\"This is a");
    assert_jtrue(r, "incomplete");
    assert_jabsent(r, "usage");
    assert_jabsent(r, "finish_reason");
    assert_jabsent(r, "parse_error");
    cJSON_Delete(r);
    /* Every event present but no [DONE]: still incomplete. */
    const char *done = strstr(body, "data: [DONE]");
    r = norm_body("api.openai.com", CHAT, REQ_STREAM, body, (size_t)(done - body), SSE_CT, 200, 0);
    assert_jstr(r, "completions.0.content", "\"This is a test.\"");
    assert_jtrue(r, "incomplete");
    cJSON_Delete(r);
    /* The capture layer's own verdict wins even when the bytes look complete. */
    r = norm_body("api.openai.com", CHAT, REQ_STREAM, body, len, SSE_CT, 200, 1);
    assert_jtrue(r, "incomplete");
    cJSON_Delete(r);
    free(body);
    assert_true(check_all_cuts("api.openai.com", CHAT, REQ_STREAM, "openai_chat_stream_include_usage.sse", SSE_CT, 1,
                               "data: [DONE]", "completions.0.content") > 2000);
}

static void chat_garbage(void **state)
{
    (void)state;
    const char *junk = "{\"choices\": [ {\"message\": ";
    cJSON *r = norm_body("api.openai.com", CHAT, "not json", junk, strlen(junk), "application/json", 200, 0);
    assert_non_null(jstr(r, "parse_error"));
    assert_jint(r, "status", 200);
    cJSON_Delete(r);
    const char *sse = "data: {broken\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\ndata: [DONE]\n\n";
    r = norm_body("api.openai.com", CHAT, NULL, sse, strlen(sse), SSE_CT, 200, 0);
    assert_non_null(jstr(r, "parse_error"));
    assert_jstr(r, "completions.0.content", "ok");
    cJSON_Delete(r);
    /* Binary noise of every length never crashes. */
    char noise[300];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (char)((i * 131 + 7) & 0xff);
    for (size_t n = 0; n <= sizeof noise; n += 13) {
        r = norm_body("api.openai.com", CHAT, noise, noise, n, NULL, 200, 0);
        cJSON_Delete(r);
    }
}

static void azure_stream(void **state)
{
    (void)state;
    const char *req = "{\"messages\": [{\"role\": \"user\", \"content\": \"Tell me a joke about opentelemetry\"}], "
                      "\"model\": \"openllmetry-testing\", \"stream\": true}";
    cJSON *r = norm_fixture("traceloop-stg.openai.azure.com",
                            "/openai/deployments/openllmetry-testing/chat/completions?api-version=2024-02-01", req,
                            "azure_chat_stream.sse", SSE_CT, 200);
    assert_jstr(r, "model", "openllmetry-testing");
    assert_jstr(r, "response_model", "gpt-35-turbo");  /* not "" from the empty first chunk */
    assert_jstr(r, "completions.0.content",
                "Why did the Opentelemetry developer bring a ladder to the coding competition? \n\nBecause they wanted to reach new traces!");
    assert_jstr(r, "finish_reason", "stop");
    assert_jabsent(r, "usage");
    assert_jabsent(r, "incomplete");
    cJSON_Delete(r);
}

static void azure_nonstream_hint(void **state)
{
    (void)state;
    /* No model in the body: the deployment from the path names it. */
    cJSON *r = norm_fixture("res.openai.azure.com", "/openai/deployments/my-dep/chat/completions?api-version=2024-02-01",
                            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "azure_chat_nonstream.json",
                            "application/json", 200);
    assert_jstr(r, "model", "my-dep");
    assert_jstr(r, "response_model", "gpt-35-turbo");
    assert_jstr(r, "completions.0.content",
                "Why did the Opentelemetry developer refuse to share their candy?\n\nBecause they wanted to keep all the traces for themselves!");
    assert_jint(r, "usage.input_tokens", 15);
    assert_jint(r, "usage.output_tokens", 24);
    cJSON_Delete(r);
}

static void completions_stream(void **state)
{
    (void)state;
    const char *req = "{\"model\":\"davinci-002\",\"prompt\":\"Tell me a joke about opentelemetry\",\"stream\":true}";
    cJSON *r = norm_fixture("api.openai.com", "/v1/completions", req, "openai_completions_stream.sse", SSE_CT, 200);
    assert_jstr(r, "kind", "text");
    assert_jstr(r, "model", "davinci-002");
    assert_jstr(r, "response_model", "davinci:2023-07-21-v2");
    assert_jstr(r, "prompt", "Tell me a joke about opentelemetry");
    assert_jstr(r, "response", ".\n\nGetting naked\n\nHow does opentelemetry know when someone is streaming your IP");
    assert_jstr(r, "finish_reason", "length");
    assert_jabsent(r, "completions");
    assert_jabsent(r, "messages");
    assert_jabsent(r, "generation_kwargs.prompt");
    assert_jabsent(r, "incomplete");
    char *p = pl_llm_prompt_preview(r, 10), *c = pl_llm_completion_preview(r, 100);
    assert_string_equal(p, "Tell me a\xe2\x80\xa6");
    assert_string_equal(c, ". Getting naked How does opentelemetry know when someone is streaming your IP");
    free(p);
    free(c);
    cJSON_Delete(r);
}

/* Previews: ASCII, multi-byte characters, collapsed white space and the ellipsis, counted in
 * characters, never splitting one. */
static void preview_characters(void **state)
{
    (void)state;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "prompt", "  h\xc3\xa9llo\t\tw\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80 end");
    char *p = pl_llm_prompt_preview(r, 9);
    assert_string_equal(p, "h\xc3\xa9llo w\xc3\xb6\xe2\x80\xa6");
    free(p);
    p = pl_llm_prompt_preview(r, 15);
    assert_string_equal(p, "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xe2\x80\xa6");
    free(p);
    p = pl_llm_prompt_preview(r, 100);
    assert_string_equal(p, "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80 end");
    free(p);
    cJSON_Delete(r);
}

static void completions_nonstream(void **state)
{
    (void)state;
    const char *req = "{\"model\": \"davinci-002\", \"prompt\": [\"Tell me a joke about opentelemetry\"]}";
    cJSON *r = norm_fixture("api.openai.com", "/v1/completions", req, "openai_completions_nonstream.json",
                            "application/json", 200);
    assert_jstr(r, "kind", "text");
    assert_jstr(r, "prompt", "Tell me a joke about opentelemetry");
    assert_jstr(r, "response", "-go library\nS-dmssea 2020-08-13: How");
    assert_jstr(r, "finish_reason", "length");
    assert_jint(r, "usage.input_tokens", 8);
    assert_jint(r, "usage.output_tokens", 16);
    assert_jabsent(r, "response_model");
    cJSON_Delete(r);
}

static const char *RESP_REQ = "{\"input\": \"Say this is a test\", \"instructions\": \"You are a helpful assistant.\", "
                              "\"model\": \"gpt-4o-mini\", \"service_tier\": \"default\", \"stream\": true}";

static void responses_stream(void **state)
{
    (void)state;
    cJSON *r = norm_fixture("api.openai.com", "/v1/responses", RESP_REQ, "openai_responses_stream.sse", SSE_CT, 200);
    assert_jstr(r, "kind", "chat");
    assert_jstr(r, "model", "gpt-4o-mini");
    assert_jstr(r, "response_model", "gpt-4o-mini-2024-07-18");
    assert_jstr(r, "messages.0.role", "system");
    assert_jstr(r, "messages.0.content", "You are a helpful assistant.");
    assert_jstr(r, "messages.1.role", "user");
    assert_jstr(r, "messages.1.content", "Say this is a test");
    assert_jstr(r, "generation_kwargs.service_tier", "default");
    assert_jabsent(r, "generation_kwargs.instructions");
    assert_jabsent(r, "generation_kwargs.input");
    assert_jstr(r, "completions.0.content", "This is a test.");
    assert_jstr(r, "finish_reason", "stop");
    assert_jint(r, "usage.input_tokens", 22);
    assert_jint(r, "usage.output_tokens", 6);
    assert_jabsent(r, "incomplete");
    assert_true(check_all_cuts("api.openai.com", "/v1/responses", RESP_REQ, "openai_responses_stream.sse", SSE_CT, 3,
                               "event: response.completed", "completions.0.content") > 1000);
    cJSON_Delete(r);
}

static void responses_nonstream(void **state)
{
    (void)state;
    cJSON *r = norm_fixture("api.openai.com", "/v1/responses",
                            "{\"input\": \"Say this is a test\", \"instructions\": \"You are a helpful assistant.\", "
                            "\"model\": \"gpt-4o-mini\", \"stream\": false}",
                            "openai_responses_nonstream.json", "application/json", 200);
    assert_jstr(r, "completions.0.content", "This is a test.");
    assert_jstr(r, "finish_reason", "stop");
    assert_jint(r, "usage.input_tokens", 22);
    assert_jint(r, "usage.output_tokens", 6);
    assert_jabsent(r, "stream");
    cJSON_Delete(r);
}

static void responses_function_call_stream(void **state)
{
    (void)state;
    const char *req = "{\"input\":[{\"content\":\"What is the capital of France?\",\"role\":\"user\"},"
                      "{\"type\":\"function_call\",\"call_id\":\"c0\",\"name\":\"f\",\"arguments\":\"{}\"},"
                      "{\"type\":\"function_call_output\",\"call_id\":\"c0\",\"output\":\"done\"}],"
                      "\"instructions\":\"\",\"model\":\"gpt-4o\",\"stream\":true,\"tool_choice\":\"auto\","
                      "\"tools\":[{\"name\":\"get_capital\",\"type\":\"function\"}]}";
    cJSON *r = norm_fixture("api.openai.com", "/v1/responses", req, "openai_responses_function_call_stream.sse", SSE_CT, 200);
    assert_int_equal(jcount(r, "messages"), 3);  /* empty instructions add no system message */
    assert_jstr(r, "messages.0.content", "What is the capital of France?");
    assert_jstr(r, "messages.1.role", "assistant");
    assert_jstr(r, "messages.1.tool_calls.0.id", "c0");
    assert_jstr(r, "messages.1.tool_calls.0.function.name", "f");
    assert_jstr(r, "messages.2.role", "tool");
    assert_jstr(r, "messages.2.tool_call_id", "c0");
    assert_jstr(r, "messages.2.content", "done");
    assert_jstr(r, "tools.0.name", "get_capital");
    assert_int_equal(jcount(r, "completions.0.tool_calls"), 1);
    assert_jstr(r, "completions.0.tool_calls.0.id", "call_kL0PCQV7M2WMoVX8V8OtYSAL");
    assert_jstr(r, "completions.0.tool_calls.0.function.name", "get_capital");
    assert_jstr(r, "completions.0.tool_calls.0.function.arguments", "{\"country\":\"France\"}");
    assert_jstr(r, "finish_reason", "tool_calls");
    assert_jabsent(r, "incomplete");
    cJSON_Delete(r);
}

static void responses_incomplete_and_failed(void **state)
{
    (void)state;
    const char *inc = "{\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"max_output_tokens\"},"
                      "\"output\":[{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"Part\"}]}],"
                      "\"usage\":{\"input_tokens\":3,\"output_tokens\":16}}";
    cJSON *r = norm_body("api.openai.com", "/v1/responses", "{\"model\":\"m\",\"input\":\"x\"}", inc, strlen(inc),
                         "application/json", 200, 0);
    assert_jstr(r, "completions.0.content", "Part");
    assert_jstr(r, "finish_reason", "length");
    cJSON_Delete(r);
    const char *failed = "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\","
                         "\"error\":{\"code\":\"server_error\",\"message\":\"boom\"}}}\n\n";
    r = norm_body("api.openai.com", "/v1/responses", NULL, failed, strlen(failed), SSE_CT, 200, 0);
    assert_jstr(r, "error", "boom");
    assert_jabsent(r, "incomplete");
    cJSON_Delete(r);
    const char *err = "event: error\ndata: {\"type\":\"error\",\"code\":\"rate_limit\",\"message\":\"slow down\",\"param\":null}\n\n";
    r = norm_body("api.openai.com", "/v1/responses", NULL, err, strlen(err), SSE_CT, 200, 0);
    assert_jstr(r, "error", "slow down");
    cJSON_Delete(r);
}

static void embeddings(void **state)
{
    (void)state;
    const char *req = "{\"input\": \"Tell me a joke about opentelemetry\", \"model\": \"text-embedding-ada-002\", "
                      "\"encoding_format\": \"base64\"}";
    cJSON *r = norm_fixture("api.openai.com", "/v1/embeddings", req, "openai_embeddings_base64.json", "application/json", 200);
    assert_jstr(r, "kind", "embedding");
    assert_jstr(r, "model", "text-embedding-ada-002");
    assert_jstr(r, "generation_kwargs.encoding_format", "base64");
    assert_jabsent(r, "generation_kwargs.input");
    assert_jint(r, "usage.input_tokens", 8);
    assert_jabsent(r, "usage.output_tokens");
    assert_jabsent(r, "completions");
    assert_jabsent(r, "messages");
    assert_null(pl_llm_completion_preview(r, 50));
    cJSON_Delete(r);
}

static void api_names(void **state)
{
    (void)state;
    for (int a = PL_API_OPENAI_CHAT; a <= PL_API_OLLAMA_EMBED; a++)
        assert_int_equal(pl_api_from_name(pl_api_name((pl_api)a)), a);
    assert_string_equal(pl_api_name(PL_API_ANTHROPIC_MESSAGES), "anthropic.messages");
    assert_string_equal(pl_api_name(PL_API_OLLAMA_GENERATE), "ollama.generate");
    assert_int_equal(pl_api_from_name("nope"), PL_API_NONE);
    assert_int_equal(pl_api_from_name(NULL), PL_API_NONE);
}

static void previews(void **state)
{
    (void)state;
    cJSON *r = cJSON_Parse("{\"messages\":[{\"role\":\"user\",\"content\":\"first\"},"
                           "{\"role\":\"assistant\",\"content\":\"x\"},"
                           "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"line1\\nline2\"},"
                           "{\"type\":\"image_url\"}]}],"
                           "\"completions\":[{\"role\":\"assistant\",\"content\":\"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 world\"}]}");
    char *p = pl_llm_prompt_preview(r, 100);
    assert_string_equal(p, "line1 line2");
    free(p);
    char *c = pl_llm_completion_preview(r, 4);  /* 3 Cyrillic letters + ellipsis, never half a letter */
    assert_string_equal(c, "\xd0\xbf\xd1\x80\xd0\xb8\xe2\x80\xa6");
    free(c);
    c = pl_llm_completion_preview(r, 12);
    assert_string_equal(c, "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 world");
    free(c);
    cJSON_Delete(r);
    assert_null(pl_llm_prompt_preview(NULL, 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chat_stream_include_usage),
        cmocka_unit_test(chat_nonstream),
        cmocka_unit_test(chat_tools_nonstream),
        cmocka_unit_test(chat_tools_stream),
        cmocka_unit_test(chat_two_tools_snapshot),
        cmocka_unit_test(chat_finish_length),
        cmocka_unit_test(chat_404_error),
        cmocka_unit_test(error_bodies),
        cmocka_unit_test(chat_midstream_error),
        cmocka_unit_test(chat_n2_and_null_content),
        cmocka_unit_test(chat_stream_cut),
        cmocka_unit_test(chat_garbage),
        cmocka_unit_test(azure_stream),
        cmocka_unit_test(azure_nonstream_hint),
        cmocka_unit_test(completions_stream),
        cmocka_unit_test(preview_characters),
        cmocka_unit_test(completions_nonstream),
        cmocka_unit_test(responses_stream),
        cmocka_unit_test(responses_nonstream),
        cmocka_unit_test(responses_function_call_stream),
        cmocka_unit_test(responses_incomplete_and_failed),
        cmocka_unit_test(embeddings),
        cmocka_unit_test(api_names),
        cmocka_unit_test(previews),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
