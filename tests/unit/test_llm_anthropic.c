/* test_llm_anthropic.c — Anthropic Messages normalization over the reference fixtures: system and
 * content blocks, tool_use/tool_result, stop_reason mapping, padded real streams, SDK fixtures,
 * usage from message_start + message_delta, error events and cuts. */
#include "test_llm_util.h"

#define HOST "api.anthropic.com"
#define PATH "/v1/messages"
#define SSE_CT "text/event-stream; charset=utf-8"

static void request_mapping(void **state)
{
    (void)state;
    const char *req =
        "{\"model\":\"claude-3-5-sonnet-20240620\",\"max_tokens\":1024,\"temperature\":0.2,"
        "\"system\":[{\"type\":\"text\",\"text\":\"You are terse.\"},{\"type\":\"text\",\"text\":\"Use tools.\"}],"
        "\"tools\":[{\"name\":\"get_weather\",\"input_schema\":{\"type\":\"object\"}}],"
        "\"messages\":["
        "{\"role\":\"user\",\"content\":\"Weather in NY?\"},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Checking.\"},"
        "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{\"location\":\"New York, NY\"}}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":\"72F\"},"
        "{\"type\":\"text\",\"text\":\"Thanks\"}]}]}";
    cJSON *r = norm_fixture(HOST, PATH, req, "anthropic_messages_tools_nonstream.json", "application/json", 200);
    assert_jstr(r, "messages.0.role", "system");
    assert_jstr(r, "messages.0.content", "You are terse.\nUse tools.");
    assert_jstr(r, "messages.1.role", "user");
    assert_jstr(r, "messages.1.content", "Weather in NY?");
    assert_jstr(r, "messages.2.role", "assistant");
    assert_jstr(r, "messages.2.content", "Checking.");
    assert_jstr(r, "messages.2.tool_calls.0.id", "toolu_1");
    assert_jstr(r, "messages.2.tool_calls.0.function.name", "get_weather");
    assert_jstr(r, "messages.2.tool_calls.0.function.arguments", "{\"location\":\"New York, NY\"}");
    assert_jstr(r, "messages.3.role", "tool");
    assert_jstr(r, "messages.3.tool_call_id", "toolu_1");
    assert_jstr(r, "messages.3.content", "72F");
    assert_jstr(r, "messages.4.role", "user");
    assert_jstr(r, "messages.4.content", "Thanks");
    assert_int_equal(jcount(r, "messages"), 5);
    assert_jstr(r, "tools.0.name", "get_weather");
    assert_jint(r, "generation_kwargs.max_tokens", 1024);
    assert_jabsent(r, "generation_kwargs.system");
    assert_jabsent(r, "generation_kwargs.messages");
    assert_jabsent(r, "generation_kwargs.tools");
    /* The response: text block + two tool_use blocks with object inputs. */
    assert_jstr(r, "model", "claude-3-5-sonnet-20240620");
    assert_jstr(r, "completions.0.content",
                "Certainly! I'd be happy to help you with both the current weather in New York and the current time "
                "there. Let's use the available tools to get this information for you.");
    assert_jstr(r, "completions.0.tool_calls.0.id", "toolu_012r6TBCWjRHG71j6zruYyUL");
    assert_jstr(r, "completions.0.tool_calls.0.function.name", "get_weather");
    assert_jstr(r, "completions.0.tool_calls.0.function.arguments", "{\"location\":\"New York, NY\",\"unit\":\"fahrenheit\"}");
    assert_jstr(r, "completions.0.tool_calls.1.id", "toolu_01SkeBKkLCNYWNuivqFerGDd");
    assert_jstr(r, "completions.0.tool_calls.1.function.name", "get_time");
    assert_jstr(r, "completions.0.tool_calls.1.function.arguments", "{\"timezone\":\"America/New_York\"}");
    assert_jstr(r, "finish_reason", "tool_calls");
    assert_jint(r, "usage.input_tokens", 514);
    assert_jint(r, "usage.output_tokens", 152);
    char *p = pl_llm_prompt_preview(r, 80);
    assert_string_equal(p, "Thanks");
    free(p);
    cJSON_Delete(r);
}

static void nonstream_text(void **state)
{
    (void)state;
    const char *req = "{\"max_tokens\": 1024, \"messages\": [{\"role\": \"user\", \"content\": \"Tell me a joke about OpenTelemetry\"}], "
                      "\"model\": \"claude-3-opus-20240229\"}";
    cJSON *r = norm_fixture(HOST, PATH, req, "anthropic_messages_nonstream.json", "application/json", 200);
    assert_jstr(r, "model", "claude-3-opus-20240229");
    assert_jabsent(r, "response_model");
    const char *c = jstr(r, "completions.0.content");
    assert_non_null(c);
    assert_int_equal(strncmp(c, "Sure, here's a joke about OpenTelemetry:\n\nWhy did the developer adopt OpenTelemetry?", 83), 0);
    assert_non_null(strstr(c, "meter their progress in real life."));
    assert_int_equal(strlen(c), 978);
    assert_jstr(r, "finish_reason", "stop");
    assert_jint(r, "usage.input_tokens", 17);
    assert_jint(r, "usage.output_tokens", 220);
    cJSON_Delete(r);
}

static void stream_tools_real_padded(void **state)
{
    (void)state;
    cJSON *r = norm_fixture(HOST, PATH, "{\"model\":\"claude-3-5-sonnet-20240620\",\"stream\":true,\"max_tokens\":100}",
                            "anthropic_messages_tools_stream.sse", SSE_CT, 200);
    assert_jtrue(r, "stream");
    assert_jstr(r, "completions.0.content",
                "Certainly! I can help you with that information. To get the weather and current time in San Francisco, "
                "I'll need to use two separate functions. Let me fetch that data for you.");
    assert_int_equal(jcount(r, "completions.0.tool_calls"), 2);
    assert_jstr(r, "completions.0.tool_calls.0.id", "toolu_014x5X91kx3fvdhpLvwXZWE2");
    assert_jstr(r, "completions.0.tool_calls.0.function.name", "get_weather");
    assert_jstr(r, "completions.0.tool_calls.0.function.arguments", "{\"location\": \"San Francisco, CA\", \"unit\": \"celsius\"}");
    assert_jstr(r, "completions.0.tool_calls.1.id", "toolu_0121kXsENLvoDZ72LCuAnCCz");
    assert_jstr(r, "completions.0.tool_calls.1.function.name", "get_time");
    assert_jstr(r, "completions.0.tool_calls.1.function.arguments", "{\"timezone\": \"America/Los_Angeles\"}");
    assert_jstr(r, "finish_reason", "tool_calls");
    assert_jint(r, "usage.input_tokens", 506);
    assert_jint(r, "usage.output_tokens", 153);  /* message_delta's cumulative count, not message_start's 5 */
    assert_jabsent(r, "incomplete");
    assert_jabsent(r, "parse_error");
    cJSON_Delete(r);
}

static void stream_text_real(void **state)
{
    (void)state;
    cJSON *r = norm_fixture(HOST, PATH, "{\"model\":\"claude-3-haiku-20240307\",\"stream\":true}",
                            "anthropic_messages_stream.sse", SSE_CT, 200);
    assert_jstr(r, "completions.0.content",
                "Here's an OpenTelemetry-themed joke for you:\n\nWhy did the developer feel so lost when using OpenTelemetry?\n"
                "They were in a Span of Confusion!\n\nThe idea behind this joke is that OpenTelemetry uses the concept of "
                "\"spans\" to represent individual operations or requests within a distributed system. When a developer is "
                "first getting started with OpenTelemetry, they may feel a bit disoriented or lost trying to understand all "
                "the different spans and how they fit together - hence the \"Span of Confusion\" pun.\n\nHopefully this gives "
                "you a chuckle and provides a lighthearted introduction to some of the key concepts in OpenTelemetry. Let me "
                "know if you'd like to hear any other tech-themed jokes!");
    assert_jstr(r, "finish_reason", "stop");
    assert_jint(r, "usage.input_tokens", 17);
    assert_jint(r, "usage.output_tokens", 171);
    assert_jabsent(r, "incomplete");
    cJSON_Delete(r);
    assert_true(check_all_cuts(HOST, PATH, "{\"model\":\"claude-3-haiku-20240307\",\"stream\":true}",
                               "anthropic_messages_stream.sse", SSE_CT, 5, "event: message_stop",
                               "completions.0.content") > 1900);
}

static void sdk_fixtures(void **state)
{
    (void)state;
    /* No trailing newline after message_stop: the unterminated final event still ends the stream. */
    cJSON *r = norm_fixture(HOST, PATH, NULL, "anthropic_sdk_fixture_basic_response.sse", SSE_CT, 200);
    assert_jstr(r, "model", "claude-3-opus-latest");
    assert_jstr(r, "completions.0.content", "Hello there!");
    assert_jstr(r, "finish_reason", "stop");
    assert_jint(r, "usage.input_tokens", 11);
    assert_jint(r, "usage.output_tokens", 6);
    assert_jabsent(r, "incomplete");
    cJSON_Delete(r);
    r = norm_fixture(HOST, PATH, NULL, "anthropic_sdk_fixture_tool_use_response.sse", SSE_CT, 200);
    assert_jstr(r, "completions.0.content", "I'll check the current weather in Paris for you.");
    assert_jstr(r, "completions.0.tool_calls.0.id", "toolu_01NRLabsLyVHZPKxbKvkfSMn");
    assert_jstr(r, "completions.0.tool_calls.0.function.name", "get_weather");
    assert_jstr(r, "completions.0.tool_calls.0.function.arguments", "{\"location\": \"Paris\"}");
    assert_jstr(r, "finish_reason", "tool_calls");
    assert_jint(r, "usage.input_tokens", 377);
    assert_jint(r, "usage.output_tokens", 65);
    cJSON_Delete(r);
}

static void stream_error_and_edge_cases(void **state)
{
    (void)state;
    const char *s =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude\",\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n\n"
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
        "event: brand_new_event\ndata: {\"type\":\"brand_new_event\",\"x\":1}\n\n"
        "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n";
    cJSON *r = norm_body(HOST, PATH, NULL, s, strlen(s), SSE_CT, 200, 0);
    assert_jstr(r, "completions.0.content", "Hi");
    assert_jstr(r, "error", "Overloaded");
    assert_jint(r, "usage.input_tokens", 9);
    assert_jabsent(r, "parse_error");
    cJSON_Delete(r);

    /* A tool called with no arguments streams only "" fragments: arguments are "{}". */
    const char *t =
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"tu\",\"name\":\"now\",\"input\":{}}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},\"usage\":{\"output_tokens\":3}}\n\n"
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    r = norm_body(HOST, PATH, NULL, t, strlen(t), SSE_CT, 200, 0);
    assert_jstr(r, "completions.0.tool_calls.0.function.arguments", "{}");
    assert_jstr(r, "finish_reason", "length");
    assert_jint(r, "usage.output_tokens", 3);
    cJSON_Delete(r);

    const char *e = "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"max_tokens: Field required\"}}";
    r = norm_body(HOST, PATH, "{\"model\":\"claude\"}", e, strlen(e), "application/json", 400, 0);
    assert_jint(r, "status", 400);
    assert_jstr(r, "error", "max_tokens: Field required");
    cJSON_Delete(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_mapping),
        cmocka_unit_test(nonstream_text),
        cmocka_unit_test(stream_tools_real_padded),
        cmocka_unit_test(stream_text_real),
        cmocka_unit_test(sdk_fixtures),
        cmocka_unit_test(stream_error_and_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
