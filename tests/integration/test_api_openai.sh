#!/usr/bin/env bash
# test_api_openai.sh — OpenAI chat completions, legacy completions and embeddings through curl,
# urllib, http.client, requests and httpx (h1 and h2) under the preload: plain and streamed (with
# and without include_usage), tool calls (one and two, fragments per index), finish_reason length,
# n=2 choices (plain and interleaved in a stream), a tool-result round, HTTP 404/400/429 and a
# mid-stream error object; each export line equals what the program sent and read (check_api.py).
# Completions go to the text export, embeddings only to models; PROMPTLOG_IGNORE and
# PROMPTLOG_ENDPOINTS drop and add endpoints.
. "$(dirname "$0")/api_lib.sh"
[ "$PL_ASAN" = 1 ] || need curl
start_mock
C=/v1/chat/completions
tools='[{"type":"function","function":{"name":"get_current_weather","description":"Get the current weather","parameters":{"type":"object","properties":{"location":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["location"]}}}]'
user='{"role":"user","content":"Say this is a test"}'

api_call plain openai-chat curl "$C" \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},$user],\"max_tokens\":16,\"temperature\":0.2}"
api_call stream_usage openai-chat urllib "$C" \
    "{\"model\":\"gpt-4\",\"messages\":[$user],\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
assert_contains stream_usage.out '"choices":[]' "the include_usage chunk was sent"
api_call stream_nousage openai-chat httpclient "$C" \
    "{\"model\":\"gpt-4\",\"messages\":[$user],\"stream\":true}"
assert_not_contains stream_nousage.out '"usage":{' "no usage chunk without include_usage"
api_call tools openai-chat requests "$C" \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"What's the weather like in Boston today?\"}],\"tools\":$tools,\"tool_choice\":\"auto\"}"
api_call tools_stream openai-chat httpx2 "$C" \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"What's the weather like in Boston today?\"}],\"tools\":$tools,\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
api_call two_tools openai-chat curl1 "$C" \
    "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris and Berlin?\"}],\"tools\":$tools,\"stream\":true}" \
    -H 'X-Mock-Fixture: openai_python_snapshot_two_tools_stream.sse'
api_call length openai-chat httpx "$C" \
    "{\"model\":\"gpt-4o\",\"messages\":[$user],\"max_tokens\":1,\"stream\":true}" \
    -H 'X-Mock-Fixture: openai_python_snapshot_finish_length_stream.sse'
api_call tool_round openai-chat requests "$C" \
    "{\"model\":\"gpt-4o-mini\",\"tools\":$tools,\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Boston?\"},{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_current_weather\",\"arguments\":\"{\\\"location\\\":\\\"Boston, MA\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"22 C, sunny\"}]}"
api_call n2 openai-chat urllib "$C" "{\"model\":\"gpt-4o-mini\",\"messages\":[$user],\"n\":2}" \
    -H 'X-Mock-Fixture: mock_openai_chat_n2.json'
api_call n2_stream openai-chat httpx "$C" "{\"model\":\"gpt-4o-mini\",\"messages\":[$user],\"n\":2,\"stream\":true}" \
    -H 'X-Mock-Fixture: mock_openai_chat_n2_stream.sse'
API_BASE="$MOCK_HTTP" api_call prefix openai-chat curl /openai/v1/chat/completions \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[$user]}"
api_call not_found openai-chat curl "$C" \
    "{\"model\":\"missing-model\",\"messages\":[$user]}" --status 404
api_call bad_request openai-chat httpx "$C" \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[$user]}" -H 'X-Mock-Error: http' --status 400
api_call stream_error openai-chat requests "$C" \
    "{\"model\":\"gpt-4\",\"messages\":[$user],\"stream\":true}" -H 'X-Mock-Error: stream' -H 'X-Mock-Error-After: 4'
assert_contains stream_error.out 'data: {"error"' "the mock sent an error object mid-stream"

# Legacy completions: text prompts (export prompts --type text), never chat lines.
api_call text openai-text requests /v1/completions \
    '{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test","max_tokens":7,"temperature":0}'
api_call text_stream openai-text curl /v1/completions \
    '{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test","max_tokens":7,"stream":true}'
api_call text_error openai-text httpclient /v1/completions \
    '{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test","stream":true}' -H 'X-Mock-Error: stream'
api_call text_http_error openai-text curl1 /v1/completions \
    '{"model":"gpt-3.5-turbo-instruct","prompt":"x"}' -H 'X-Mock-Error: http' -H 'X-Mock-Status: 429' --status 429

# Embeddings: stored, named in export models, absent from every prompt export.
api_call embed openai-embed httpx /v1/embeddings \
    '{"model":"text-embedding-3-small","input":"The food was delicious","encoding_format":"base64"}'
assert_eq "$(db_query "select kind, api from calls where id = $API_ID")" "embedding|openai.embeddings"
api_call embed_error openai-embed curl /v1/embeddings '{"model":"text-embedding-3-small","input":"x"}' \
    -H 'X-Mock-Error: http' --status 400
api_check_all

# PROMPTLOG_IGNORE drops a matching call; PROMPTLOG_ENDPOINTS can name the API of another path.
curl_host     # Debian's curl, or under ASan examples/cli_libcurl (lib.sh)
rows="$(db_query 'select count(*) from calls')"
run_pre PROMPTLOG_IGNORE='127.0.0.1/v1/embeddings' "${CURL[@]}" -sS --cacert "$MOCK_CA" "$MOCK_HTTPS/v1/embeddings" \
    -d '{"model":"text-embedding-3-small","input":"x"}'
assert_rc 0
assert_eq "$(db_query 'select count(*) from calls')" "$rows" "an ignored endpoint is not recorded"
run_pre PROMPTLOG_ENDPOINTS='/upload=openai.chat' "${CURL[@]}" -sS --cacert "$MOCK_CA" "$MOCK_HTTPS/upload" \
    -d '{"model":"custom-model","messages":[{"role":"user","content":"hi"}]}'
assert_rc 0
assert_eq "$(db_query "select api, model, path from calls order by id desc limit 1")" "openai.chat|custom-model|/upload" \
    "a PROMPTLOG_ENDPOINTS path is recorded as the named API"
