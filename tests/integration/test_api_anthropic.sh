#!/usr/bin/env bash
# test_api_anthropic.sh — Anthropic Messages through real clients under the preload: plain and
# streamed (ping events, space-padded JSON), tool_use (object input; streamed input_json_delta),
# a tool_result round, usage from message_start + message_delta, an HTTP 400 and an error event
# mid-stream; each export line equals what the program sent and read (check_api.py).
. "$(dirname "$0")/api_lib.sh"
[ "$PL_ASAN" = 1 ] || need curl
start_mock
P=/v1/messages
tools='[{"name":"get_weather","description":"Get the current weather in a given location","input_schema":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}]'

api_call plain anthropic curl "$P" \
    '{"model":"claude-3-haiku-20240307","max_tokens":1024,"system":"You are terse.","messages":[{"role":"user","content":"Tell me a joke"}]}'
api_call stream anthropic requests "$P" \
    '{"model":"claude-3-haiku-20240307","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Tell me an OpenTelemetry joke"}]}' \
    -H 'x-api-key: sk-ant-api03-TESTSECRET' -H 'anthropic-version: 2023-06-01'
assert_contains stream.out 'event: ping' "the mock sent ping events"
assert_contains stream.out '}         }' "the mock sent space-padded JSON"
api_call tools anthropic urllib "$P" \
    "{\"model\":\"claude-3-5-sonnet-20240620\",\"max_tokens\":1024,\"tools\":$tools,\"messages\":[{\"role\":\"user\",\"content\":\"What is the weather like in San Francisco?\"}]}"
api_call tools_stream anthropic httpx "$P" \
    "{\"model\":\"claude-3-5-sonnet-20240620\",\"max_tokens\":1024,\"stream\":true,\"tools\":$tools,\"system\":[{\"type\":\"text\",\"text\":\"Use tools.\"}],\"messages\":[{\"role\":\"user\",\"content\":\"What is the weather like in San Francisco?\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Checking.\"},{\"type\":\"tool_use\",\"id\":\"toolu_01A\",\"name\":\"get_weather\",\"input\":{\"location\":\"San Francisco, CA\"}}]},{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_01A\",\"content\":\"15 degrees\"},{\"type\":\"text\",\"text\":\"And tomorrow?\"}]}]}"
assert_contains tools_stream.out 'input_json_delta' "the tool arguments were streamed in fragments"
api_call sdk_tools anthropic httpclient "$P" \
    "{\"model\":\"claude-sonnet-4-20250514\",\"max_tokens\":1024,\"stream\":true,\"tools\":$tools,\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]}" \
    -H 'X-Mock-Fixture: anthropic_sdk_fixture_tool_use_response.sse'
api_call sdk_basic anthropic httpx2 "$P" \
    '{"model":"claude-sonnet-4-20250514","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Hello"}]}' \
    -H 'X-Mock-Fixture: anthropic_sdk_fixture_basic_response.sse'
api_call http_error anthropic curl1 "$P" \
    '{"model":"claude-3-haiku-20240307","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}' \
    -H 'X-Mock-Error: http' --status 400
api_call stream_error anthropic curl "$P" \
    '{"model":"claude-3-haiku-20240307","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Tell me a joke"}]}' \
    -H 'X-Mock-Error: stream' -H 'X-Mock-Error-After: 6'
assert_contains stream_error.out 'event: error' "the mock sent an error event"
api_check_all
for f in "$PL_DB"*; do assert_not_contains "$f" "sk-ant-api03-TESTSECRET" "the API key is not stored ($f)"; done
assert_eq "$(db_query "select count(*) from calls join call_headers h on h.call_id = calls.id where coalesce(url,'') || coalesce(h.request_headers,'') || coalesce(h.response_headers,'') like '%sk-ant-api03-TESTSECRET%'")" 0 \
    "no API key in the url or header columns"
