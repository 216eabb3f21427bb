#!/usr/bin/env bash
# test_api_azure.sh — Azure OpenAI (deployment path + api-version) through real clients under the
# preload: the model is the deployment when the body names none; streams begin with Azure's empty
# prompt_filter_results chunk; tool calls plain and streamed, usage, embeddings only in export
# models, legacy completions as text prompts, an HTTP 400 and an error object mid-stream.
. "$(dirname "$0")/api_lib.sh"
[ "$PL_ASAN" = 1 ] || need curl
start_mock
D=/openai/deployments/my-gpt35/chat/completions?api-version=2024-02-01
tools='[{"type":"function","function":{"name":"get_current_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}}]'
ask='{"role":"user","content":"Say this is a test"}'

api_call plain openai-chat curl "$D" "{\"messages\":[$ask],\"max_tokens\":20}" -H 'api-key: sk-test-azure-key'
api_call stream openai-chat requests "$D" "{\"messages\":[$ask],\"stream\":true}" -H 'api-key: sk-test-azure-key'
assert_contains stream.out 'data: {"choices":[],"created":0,"id":"","model":""' "the first chunk is Azure's empty one"
api_call tools openai-chat urllib "$D" \
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Boston?\"}],\"tools\":$tools}"
api_call tools_stream openai-chat httpx2 "$D" \
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Boston?\"}],\"tools\":$tools,\"stream\":true}"
api_call http_error openai-chat curl1 "$D" "{\"messages\":[$ask]}" -H 'X-Mock-Error: http' --status 400
api_call stream_error openai-chat httpclient "$D" "{\"messages\":[$ask],\"stream\":true}" \
    -H 'X-Mock-Error: stream' -H 'X-Mock-Error-After: 4'
api_call text openai-text requests "/openai/deployments/my-instruct/completions?api-version=2024-02-01" \
    '{"prompt":"Say this is a test","max_tokens":7}'
api_call text_stream openai-text curl "/openai/deployments/my-instruct/completions?api-version=2024-02-01" \
    '{"prompt":"Say this is a test","max_tokens":7,"stream":true}'
api_call embed openai-embed requests "/openai/deployments/my-embedder/embeddings?api-version=2024-02-01" \
    '{"input":"The food was delicious"}'
api_check_all
for f in "$PL_DB"*; do assert_not_contains "$f" "sk-test-azure-key" "the API key is not stored ($f)"; done
assert_eq "$(db_query "select count(*) from calls join call_headers h on h.call_id = calls.id where coalesce(url,'') || coalesce(h.request_headers,'') || coalesce(h.response_headers,'') like '%sk-test-azure-key%'")" 0 \
    "no API key in the url or header columns"
