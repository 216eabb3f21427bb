#!/usr/bin/env bash
# test_api_framing.sh — every stream framing delivered in tiny pieces (the mock re-splits the body
# into N-byte writes: CR apart from LF in Gemini's CRLF SSE, NDJSON lines and JSON-array elements
# cut anywhere, UTF-8 characters split across reads), non-ASCII text in requests and 1.2 MB
# requests (HTTP/1.1 Expect: 100-continue, h2 flow control); the export must still equal what
# each program sent and read (check_api.py).
. "$(dirname "$0")/api_lib.sh"
[ "$PL_ASAN" = 1 ] || need curl
start_mock
fast=(-H 'X-Mock-Delay-Ms: 0')
tools='[{"type":"function","function":{"name":"get_current_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}}]'

api_call utf8 openai-chat requests /v1/chat/completions \
    '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Dis « bonjour » — ✓ 日本語 🎉"}],"stream":true,"stream_options":{"include_usage":true}}' \
    -H 'X-Mock-Fixture: mock_utf8_chat_stream.sse' -H 'X-Mock-Chunk-Size: 1' "${fast[@]}"
api_call utf8_curl openai-chat curl1 /v1/chat/completions \
    '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"naïve ✓"}],"stream":true}' \
    -H 'X-Mock-Fixture: mock_utf8_chat_stream.sse' -H 'X-Mock-Chunk-Size: 2' "${fast[@]}"
api_call openai_tools openai-chat httpclient /v1/chat/completions \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}],\"tools\":$tools,\"stream\":true}" \
    -H 'X-Mock-Chunk-Size: 3' "${fast[@]}"
api_call anthropic anthropic curl /v1/messages \
    '{"model":"claude-3-haiku-20240307","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Blague en français, s’il te plaît"}]}' \
    -H 'X-Mock-Chunk-Size: 3' "${fast[@]}"
api_call gemini_crlf gemini requests '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse' \
    '{"contents":[{"role":"user","parts":[{"text":"Zähle bis 100"}]}]}' -H 'X-Mock-Chunk-Size: 1' "${fast[@]}"
api_call gemini_array gemini httpx2 /v1beta/models/gemini-2.5-flash:streamGenerateContent \
    '{"contents":[{"role":"user","parts":[{"text":"count"}]}]}' -H 'X-Mock-Chunk-Size: 5' "${fast[@]}"
api_call responses responses urllib /v1/responses \
    '{"model":"gpt-4o-mini","input":"Say this is a test","stream":true}' -H 'X-Mock-Chunk-Size: 7' "${fast[@]}"
API_BASE="$MOCK_HTTP" api_call ollama ollama-chat curl /api/chat \
    '{"model":"llama3","messages":[{"role":"user","content":"¿Por qué?"}]}' -H 'X-Mock-Chunk-Size: 2' "${fast[@]}"
# A 1.2 MB request: curl sends Expect: 100-continue over HTTP/1.1 and waits for the interim 100.
big="$("$PY" -c 'print("lorem ipsum ✓ " * 90000, end="")')"
api_call big_request anthropic curl1 /v1/messages \
    "{\"model\":\"claude-3-haiku-20240307\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"$big\"}]}"
assert_contains "$MOCK_LOG" '["Expect", "100-continue"]' "curl asked for 100-continue"
api_call big_request_h2 openai-chat httpx2 /v1/chat/completions \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"$big\"}],\"stream\":true}"
api_check_all
