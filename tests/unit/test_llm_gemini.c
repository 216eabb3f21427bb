/* test_llm_gemini.c — Gemini / Vertex normalization: model from the URL, systemInstruction and
 * user/model roles, functionCall/functionResponse, finishReason mapping, last-wins usageMetadata,
 * CRLF alt=sse streams, the bare JSON-array stream (built here from the alt=sse fixture), cuts. */
#include "test_llm_util.h"
#include "../../util/buf.h"

#define HOST "generativelanguage.googleapis.com"
#define GEN "/v1beta/models/gemini-2.5-flash:generateContent"
#define STREAM_SSE "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
#define STREAM_ARR "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
#define SSE_CT "text/event-stream"

static const char *COUNT_TEXT = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n21\n22\n23\n24\n25\n26\n27\n28\n29\n30";

static void nonstream_and_request(void **state)
{
    (void)state;
    const char *req = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"What is \"},{\"text\":\"ai?\"}]},"
                      "{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"lookup\",\"args\":{\"q\":\"ai\"}}}]},"
                      "{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"lookup\",\"response\":{\"r\":1}}}]}],"
                      "\"systemInstruction\":{\"parts\":[{\"text\":\"You are a cat.\"}]},"
                      "\"generationConfig\":{\"temperature\":1.0,\"maxOutputTokens\":800},"
                      "\"tools\":[{\"functionDeclarations\":[{\"name\":\"lookup\"}]}]}";
    cJSON *r = norm_fixture(HOST, GEN, req, "gemini_generatecontent.json", "application/json; charset=UTF-8", 200);
    assert_jstr(r, "kind", "chat");
    assert_jstr(r, "model", "gemini-2.5-flash");      /* from the path; the body has none */
    assert_jabsent(r, "response_model");             /* modelVersion is the same name */
    assert_jstr(r, "messages.0.role", "system");
    assert_jstr(r, "messages.0.content", "You are a cat.");
    assert_jstr(r, "messages.1.role", "user");
    assert_jstr(r, "messages.1.content", "What is ai?");
    assert_jstr(r, "messages.2.role", "assistant");
    assert_jstr(r, "messages.2.tool_calls.0.function.name", "lookup");
    assert_jstr(r, "messages.2.tool_calls.0.function.arguments", "{\"q\":\"ai\"}");
    assert_jstr(r, "messages.3.role", "tool");
    assert_jstr(r, "messages.3.name", "lookup");
    assert_jstr(r, "messages.3.content", "{\"r\":1}");
    assert_jstr(r, "tools.0.functionDeclarations.0.name", "lookup");
    assert_jint(r, "generation_kwargs.generationConfig.maxOutputTokens", 800);
    assert_jabsent(r, "generation_kwargs.contents");
    assert_jabsent(r, "generation_kwargs.systemInstruction");
    const char *c = jstr(r, "completions.0.content");
    assert_non_null(c);
    assert_int_equal(strlen(c), 3415);
    assert_int_equal(strncmp(c, "AI stands for **Artificial Intelligence**.\n\nAt its core, AI ", 60), 0);
    assert_string_equal(c + strlen(c) - 60, "e, transforming various aspects of our lives and industries.");
    assert_jstr(r, "finish_reason", "stop");
    assert_jint(r, "usage.input_tokens", 5);
    assert_jint(r, "usage.output_tokens", 711);
    cJSON_Delete(r);
}

static void stream_alt_sse_crlf(void **state)
{
    (void)state;
    const char *req = "{\"contents\": [{\"parts\": [{\"text\": \"Count from 1 to 30, one number per line, digits only.\"}], \"role\": \"user\"}]}";
    cJSON *r = norm_fixture(HOST, STREAM_SSE, req, "gemini_stream_alt_sse.sse", SSE_CT, 200);
    assert_jtrue(r, "stream");
    assert_jstr(r, "completions.0.content", COUNT_TEXT);
    assert_jstr(r, "finish_reason", "stop");
    assert_jint(r, "usage.input_tokens", 18);
    assert_jint(r, "usage.output_tokens", 80);  /* the last chunk's cumulative count */
    assert_jabsent(r, "incomplete");
    cJSON_Delete(r);
    assert_true(check_all_cuts(HOST, STREAM_SSE, req, "gemini_stream_alt_sse.sse", SSE_CT, 1, "\"finishReason\"",
                               "completions.0.content") > 1200);
}

/* The same chunks as Gemini sends them without alt=sse: one JSON array, ",\r\n"-separated. */
static char *as_json_array(const char *fixture, size_t *out_len)
{
    size_t len;
    char *sse = load_fixture(fixture, &len);
    pl_buf arr = {0};
    pl_buf_append_str(&arr, "[");
    int first = 1;
    for (char *p = strstr(sse, "data: "); p; p = strstr(p, "data: ")) {
        p += 6;
        char *end = strstr(p, "\r\n");
        assert_non_null(end);
        if (!first)
            pl_buf_append_str(&arr, "\n,\r\n");
        pl_buf_append(&arr, p, (size_t)(end - p));
        first = 0;
        p = end;
    }
    pl_buf_append_str(&arr, "\n]");
    free(sse);
    *out_len = arr.len;
    return pl_buf_detach(&arr);
}

static void stream_json_array(void **state)
{
    (void)state;
    size_t len;
    char *body = as_json_array("gemini_stream_alt_sse.sse", &len);
    cJSON *r = norm_body(HOST, STREAM_ARR, NULL, body, len, "application/json; charset=UTF-8", 200, 0);
    assert_jtrue(r, "stream");
    assert_jstr(r, "completions.0.content", COUNT_TEXT);
    assert_jstr(r, "finish_reason", "stop");
    assert_jint(r, "usage.input_tokens", 18);
    assert_jint(r, "usage.output_tokens", 80);
    assert_jabsent(r, "incomplete");
    assert_jabsent(r, "parse_error");
    cJSON_Delete(r);
    /* Cut before the closing bracket and inside the last element. */
    r = norm_body(HOST, STREAM_ARR, NULL, body, len - 1, NULL, 200, 0);
    assert_jstr(r, "completions.0.content", COUNT_TEXT);
    assert_jtrue(r, "incomplete");
    cJSON_Delete(r);
    r = norm_body(HOST, STREAM_ARR, NULL, body, len - 200, NULL, 200, 0);
    assert_jtrue(r, "incomplete");
    assert_jabsent(r, "parse_error");
    const char *c = jstr(r, "completions.0.content");
    assert_non_null(c);
    assert_int_equal(strncmp(c, COUNT_TEXT, strlen(c)), 0);
    assert_true(strlen(c) < strlen(COUNT_TEXT));
    cJSON_Delete(r);
    free(body);
}

static void stream_function_call(void **state)
{
    (void)state;
    cJSON *r = norm_fixture(HOST, "/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse", NULL,
                            "gemini_stream_functioncall_alt_sse.sse", SSE_CT, 200);
    assert_jstr(r, "model", "gemini-3-pro-preview");
    assert_jabsent(r, "completions.0.content");
    assert_int_equal(jcount(r, "completions.0.tool_calls"), 1);
    assert_jstr(r, "completions.0.tool_calls.0.function.name", "get_country");
    assert_jstr(r, "completions.0.tool_calls.0.function.arguments", "{}");
    assert_jstr(r, "finish_reason", "tool_calls");  /* Gemini says STOP; a call was made */
    assert_jint(r, "usage.input_tokens", 29);
    assert_jint(r, "usage.output_tokens", 10);
    cJSON_Delete(r);
}

static void vertex_stream(void **state)
{
    (void)state;
    cJSON *r = norm_fixture("us-central1-aiplatform.googleapis.com",
                            "/v1beta1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
                            "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"poem\"}]}]}", "vertex_stream_alt_sse.sse",
                            SSE_CT, 200);
    assert_jstr(r, "model", "gemini-2.5-flash");
    const char *c = jstr(r, "completions.0.content");
    assert_non_null(c);
    assert_int_equal(strlen(c), 1564);
    assert_int_equal(strncmp(c, "When systems hum, a silent, complex art,\nWith hidden errors playing their part,\n", 80), 0);
    assert_string_equal(c + strlen(c) - 40, "\nMakes complex software shine so bright.");
    assert_jstr(r, "finish_reason", "stop");
    /* Intermediate chunks carry only trafficType: the counts come from the last one. */
    assert_jint(r, "usage.input_tokens", 8);
    assert_jint(r, "usage.output_tokens", 388);
    cJSON_Delete(r);
}

static void errors_and_mapping(void **state)
{
    (void)state;
    const char *err = "{\n  \"error\": {\n    \"code\": 400,\n    \"message\": \"API key not valid. Please pass a valid API key.\",\n"
                      "    \"status\": \"INVALID_ARGUMENT\"\n  }\n}\n";
    cJSON *r = norm_body(HOST, GEN, "{}", err, strlen(err), "application/json", 400, 0);
    assert_jstr(r, "error", "API key not valid. Please pass a valid API key.");
    assert_jint(r, "status", 400);
    cJSON_Delete(r);
    /* The array form of an error, as the non-SSE stream endpoint sends it. */
    const char *aerr = "[{\"error\": {\"code\": 429, \"message\": \"Resource exhausted\", \"status\": \"RESOURCE_EXHAUSTED\"}}]";
    r = norm_body(HOST, STREAM_ARR, "{}", aerr, strlen(aerr), "application/json", 429, 0);
    assert_jstr(r, "error", "Resource exhausted");
    cJSON_Delete(r);
    const char *len = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"abc\"},{\"text\":\"think\",\"thought\":true}],\"role\":\"model\"},"
                      "\"finishReason\":\"MAX_TOKENS\"}],\"usageMetadata\":{\"promptTokenCount\":2,\"candidatesTokenCount\":3}}";
    r = norm_body(HOST, GEN, "{\"contents\":\"hello\",\"system_instruction\":{\"parts\":[{\"text\":\"sys\"}]}}", len, strlen(len),
                  "application/json", 200, 0);
    assert_jstr(r, "completions.0.content", "abc");  /* thought parts are not the answer */
    assert_jstr(r, "finish_reason", "length");
    assert_jstr(r, "messages.0.content", "sys");     /* snake_case accepted too */
    assert_jstr(r, "messages.1.content", "hello");
    cJSON_Delete(r);
    const char *blocked = "{\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":{\"promptTokenCount\":4}}";
    r = norm_body(HOST, GEN, "{}", blocked, strlen(blocked), "application/json", 200, 0);
    assert_jstr(r, "error", "prompt blocked: SAFETY");
    cJSON_Delete(r);
    const char *emb = "{\"embedding\":{\"values\":[0.1,0.2]}}";
    r = norm_body(HOST, "/v1beta/models/text-embedding-004:embedContent",
                  "{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"taskType\":\"RETRIEVAL_DOCUMENT\"}", emb, strlen(emb),
                  "application/json", 200, 0);
    assert_jstr(r, "kind", "embedding");
    assert_jstr(r, "model", "text-embedding-004");
    assert_jstr(r, "generation_kwargs.taskType", "RETRIEVAL_DOCUMENT");
    assert_jabsent(r, "generation_kwargs.content");
    cJSON_Delete(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nonstream_and_request),
        cmocka_unit_test(stream_alt_sse_crlf),
        cmocka_unit_test(stream_json_array),
        cmocka_unit_test(stream_function_call),
        cmocka_unit_test(vertex_stream),
        cmocka_unit_test(errors_and_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
