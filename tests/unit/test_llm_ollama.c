/* test_llm_ollama.c — Ollama native API normalization: /api/chat (NDJSON stream ending done:true,
 * tool calls with object arguments), /api/generate as a text record, embeddings, errors and cuts. */
#include "test_llm_util.h"

#define HOST "localhost"
#define NDJSON "application/x-ndjson"

static const char *CHAT_REQ = "{\"model\": \"llama3\", \"messages\": [{\"role\": \"user\", \"content\": \"Tell me a joke about OpenTelemetry\"}], "
                              "\"stream\": true, \"format\": \"\", \"options\": {}, \"keep_alive\": null}";

static void chat_stream(void **state)
{
    (void)state;
    cJSON *r = norm_fixture(HOST, "/api/chat", CHAT_REQ, "ollama_chat_stream.ndjson", NDJSON, 200);
    assert_jstr(r, "kind", "chat");
    assert_jstr(r, "model", "llama3");
    assert_jtrue(r, "stream");
    assert_jstr(r, "messages.0.content", "Tell me a joke about OpenTelemetry");
    assert_jtrue(r, "generation_kwargs.stream");
    assert_true(cJSON_IsObject(jp(r, "generation_kwargs.options")));
    assert_true(cJSON_IsNull(jp(r, "generation_kwargs.keep_alive")));
    assert_jstr(r, "completions.0.content",
                "Why did the OpenTelemetry agent go to therapy?\n\nBecause it was feeling traced out and needed some "
                "instrumentation in its life!\n\n(Sorry, I know it's a bit of a stretch, but I hope it brought a smile to your face!)");
    assert_jstr(r, "finish_reason", "stop");
    assert_jint(r, "usage.input_tokens", 17);
    assert_jint(r, "usage.output_tokens", 50);
    assert_jint(r, "first_token_offset", 122);  /* the first line, "Why", is 121 bytes + LF */
    assert_jabsent(r, "incomplete");
    cJSON_Delete(r);
    assert_true(check_all_cuts(HOST, "/api/chat", CHAT_REQ, "ollama_chat_stream.ndjson", NDJSON, 2, "\"done\":true",
                               "completions.0.content") > 3000);
}

static void chat_nonstream_no_content_type(void **state)
{
    (void)state;
    cJSON *r = norm_fixture(HOST, "/api/chat", "{\"model\":\"llama3\",\"stream\":false,\"messages\":[]}",
                            "ollama_chat_nonstream.json", NULL, 200);
    assert_jabsent(r, "stream");
    assert_jstr(r, "completions.0.content",
                "A joke about OpenTelemetry!\n\nWhy did the OpenTelemetry agent go to therapy?\n\nBecause it was struggling to "
                "\"instrument\" its feelings and had a lot of \"traces\" of anxiety!\n\n(Sorry, I know it's a bit of a "
                "\"stretch\", but I hope it brings a smile to your face!)");
    assert_jstr(r, "finish_reason", "stop");
    assert_jint(r, "usage.input_tokens", 17);
    assert_jint(r, "usage.output_tokens", 66);
    cJSON_Delete(r);
    /* The NDJSON stream with no Content-Type at all is still recognized by its shape. */
    r = norm_fixture(HOST, "/api/chat", CHAT_REQ, "ollama_chat_stream.ndjson", NULL, 200);
    assert_jtrue(r, "stream");
    assert_jint(r, "usage.output_tokens", 50);
    cJSON_Delete(r);
}

static void chat_tools(void **state)
{
    (void)state;
    const char *req = "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"Tokyo?\"},"
                      "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}}]},"
                      "{\"role\":\"tool\",\"content\":\"11C\"}],"
                      "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}],\"options\":{\"temperature\":0}}";
    const char *body =
        "{\"model\":\"llama3.2\",\"created_at\":\"2025-07-07T20:22:19.184789Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\","
        "\"tool_calls\":[{\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Tokyo\"}}}]},\"done\":false}\n"
        "{\"model\":\"llama3.2\",\"created_at\":\"2025-07-07T20:22:19.19314Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
        "\"done_reason\":\"stop\",\"done\":true,\"total_duration\":182242375,\"load_duration\":41295167,"
        "\"prompt_eval_count\":169,\"prompt_eval_duration\":24573166,\"eval_count\":15,\"eval_duration\":115959084}\n";
    cJSON *r = norm_body(HOST, "/api/chat", req, body, strlen(body), NDJSON, 200, 0);
    assert_jstr(r, "messages.1.tool_calls.0.function.arguments", "{\"city\":\"Paris\"}");  /* object -> JSON text */
    assert_jstr(r, "messages.1.tool_calls.0.type", "function");
    assert_jstr(r, "tools.0.function.name", "get_weather");
    assert_jint(r, "generation_kwargs.options.temperature", 0);
    assert_jabsent(r, "completions.0.content");
    assert_jstr(r, "completions.0.tool_calls.0.function.name", "get_weather");
    assert_jstr(r, "completions.0.tool_calls.0.function.arguments", "{\"city\":\"Tokyo\"}");
    assert_jstr(r, "finish_reason", "tool_calls");
    assert_jint(r, "usage.input_tokens", 169);
    assert_jint(r, "usage.output_tokens", 15);
    cJSON_Delete(r);
}

static const char *GEN_REQ = "{\"model\": \"llama3\", \"prompt\": \"Tell me a joke about OpenTelemetry\", \"system\": \"\", \"template\": \"\", "
                             "\"context\": [], \"stream\": true, \"raw\": false, \"images\": [], \"format\": \"\", \"options\": {}, \"keep_alive\": null}";

static void generate(void **state)
{
    (void)state;
    cJSON *r = norm_fixture(HOST, "/api/generate", GEN_REQ, "ollama_generate_stream.ndjson", NDJSON, 200);
    assert_jstr(r, "kind", "text");
    assert_jstr(r, "prompt", "Tell me a joke about OpenTelemetry");
    assert_jstr(r, "response",
                "A joke about OpenTelemetry! Here's one:\n\nWhy did the OpenTelemetry Span go to therapy?\n\nBecause it was "
                "feeling \"distributed\" and wanted to get to the \"root cause\" of its problems!\n\n(Sorry, I know it's a bit "
                "of a \"stretch\"... OpenTelemetry jokes are still in the early stages of development!)");
    assert_jstr(r, "finish_reason", "stop");
    assert_jint(r, "usage.input_tokens", 17);
    assert_jint(r, "usage.output_tokens", 71);
    assert_jabsent(r, "system");                 /* empty system prompt */
    assert_jabsent(r, "generation_kwargs.system");
    assert_jabsent(r, "generation_kwargs.prompt");
    assert_jstr(r, "generation_kwargs.template", "");
    assert_jabsent(r, "completions");
    cJSON_Delete(r);
    assert_true(check_all_cuts(HOST, "/api/generate", GEN_REQ, "ollama_generate_stream.ndjson", NDJSON, 3, "\"done\":true",
                               "response") > 2000);

    r = norm_fixture(HOST, "/api/generate", "{\"model\":\"llama3\",\"prompt\":\"joke\",\"system\":\"Be funny\",\"stream\":false}",
                     "ollama_generate_nonstream.json", "application/json; charset=utf-8", 200);
    assert_jstr(r, "system", "Be funny");
    assert_jstr(r, "prompt", "joke");
    assert_jstr(r, "response",
                "A niche topic!\n\nHere's one:\n\nWhy did the OpenTelemetry collector go to therapy?\n\nBecause it was "
                "struggling to \"instrument\" its problems and \"scope\" out some answers!\n\n(Sorry, I know that one was a "
                "bit of a stretch... but I hope it brought a smile to your face!)");
    assert_jint(r, "usage.input_tokens", 17);
    assert_jint(r, "usage.output_tokens", 63);
    cJSON_Delete(r);
}

static void embed_and_errors(void **state)
{
    (void)state;
    const char *emb = "{\"model\":\"all-minilm\",\"embeddings\":[[0.01,-0.02]],\"total_duration\":14143917,\"prompt_eval_count\":8}";
    cJSON *r = norm_body(HOST, "/api/embed", "{\"model\":\"all-minilm\",\"input\":\"Why is the sky blue?\",\"truncate\":true}",
                         emb, strlen(emb), "application/json", 200, 0);
    assert_jstr(r, "kind", "embedding");
    assert_jstr(r, "model", "all-minilm");
    assert_jint(r, "usage.input_tokens", 8);
    assert_jtrue(r, "generation_kwargs.truncate");
    assert_jabsent(r, "generation_kwargs.input");
    cJSON_Delete(r);
    /* A mid-stream error line. */
    const char *s = "{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n"
                    "{\"error\":\"an unknown error was encountered while running the model\"}\n";
    r = norm_body(HOST, "/api/chat", NULL, s, strlen(s), NDJSON, 200, 0);
    assert_jstr(r, "completions.0.content", "Hi");
    assert_jstr(r, "error", "an unknown error was encountered while running the model");
    cJSON_Delete(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chat_stream),
        cmocka_unit_test(chat_nonstream_no_content_type),
        cmocka_unit_test(chat_tools),
        cmocka_unit_test(generate),
        cmocka_unit_test(embed_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
