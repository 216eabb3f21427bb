#!/usr/bin/env bash
# test_api_responses.sh — the OpenAI Responses API through real clients under the preload:
# instructions + string input, plain and streamed (event:+data:, no [DONE]), function calls
# (arguments streamed per item, and whole in a plain answer), an input-items round with
# function_call/function_call_output, response.incomplete (finish length) and response.failed,
# an HTTP 400 and an `error` event mid-stream.
. "$(dirname "$0")/api_lib.sh"
[ "$PL_ASAN" = 1 ] || need curl
start_mock
R=/v1/responses
tools='[{"type":"function","name":"get_capital","parameters":{"type":"object","properties":{"country":{"type":"string"}},"required":["country"],"additionalProperties":false},"strict":true}]'

api_call plain responses curl "$R" \
    '{"model":"gpt-4o-mini","instructions":"You are a helpful assistant.","input":"Say this is a test"}'
api_call stream responses requests "$R" \
    '{"model":"gpt-4o-mini","instructions":"You are a helpful assistant.","input":"Say this is a test","stream":true}'
assert_not_contains stream.out '[DONE]' "the Responses stream has no [DONE]"
api_call tools_stream responses urllib "$R" \
    "{\"model\":\"gpt-4o\",\"input\":\"What is the capital of France?\",\"tools\":$tools,\"stream\":true}"
assert_contains tools_stream.out 'response.function_call_arguments.delta'
api_call tools responses httpclient "$R" \
    "{\"model\":\"gpt-4o\",\"input\":\"What is the capital of France?\",\"tools\":$tools}"
api_call items responses httpx2 "$R" \
    "{\"model\":\"gpt-4o-mini\",\"instructions\":\"Be brief.\",\"input\":[{\"role\":\"user\",\"content\":\"Capital of France?\"},{\"type\":\"function_call\",\"call_id\":\"call_9\",\"name\":\"get_capital\",\"arguments\":\"{\\\"country\\\":\\\"France\\\"}\"},{\"type\":\"function_call_output\",\"call_id\":\"call_9\",\"output\":\"Paris\"}],\"temperature\":0.5}"
api_call http_error responses curl1 "$R" \
    '{"model":"gpt-4o-mini","input":"hi"}' -H 'X-Mock-Error: http' --status 400
api_call stream_error responses requests "$R" \
    '{"model":"gpt-4o-mini","input":"Say this is a test","stream":true}' -H 'X-Mock-Error: stream' -H 'X-Mock-Error-After: 6'
assert_contains stream_error.out 'event: error'
api_call incomplete responses httpclient "$R" \
    '{"model":"gpt-4o-mini","input":"Say this is a test","max_output_tokens":5,"stream":true}' \
    -H 'X-Mock-Fixture: mock_responses_incomplete_stream.sse'
api_call failed responses httpx "$R" '{"model":"gpt-4o-mini","input":"Say this is a test","stream":true}' \
    -H 'X-Mock-Fixture: mock_responses_failed_stream.sse'
api_check_all
