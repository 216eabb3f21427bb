#!/usr/bin/env bash
# test_api_gemini.sh — Gemini/Vertex generateContent, streamGenerateContent (alt=sse with CRLF,
# and the bare JSON array streamed in pieces) and embedContent through real clients under the
# preload: model from the URL, systemInstruction, model/user roles, functionCall parts (plain and
# streamed, with a functionResponse round), usageMetadata, an HTTP 400 and an error mid-stream.
. "$(dirname "$0")/api_lib.sh"
[ "$PL_ASAN" = 1 ] || need curl
start_mock
G=/v1beta/models/gemini-2.5-flash
tools='[{"functionDeclarations":[{"name":"get_weather","description":"Weather for a place","parameters":{"type":"OBJECT","properties":{"location":{"type":"STRING"}},"required":["location"]}}]}]'
ask='{"role":"user","parts":[{"text":"Explain AI"}]}'

api_call plain gemini curl "$G:generateContent" \
    "{\"systemInstruction\":{\"parts\":[{\"text\":\"You are a teacher.\"}]},\"contents\":[$ask],\"generationConfig\":{\"temperature\":0.3}}"
api_call tools gemini requests "$G:generateContent" \
    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Weather in Paris?\"}]},{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"location\":\"Lyon\"}}}]},{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"temp\":21}}}]}],\"tools\":$tools}"
api_call sse gemini urllib "$G:streamGenerateContent?alt=sse&key=AIzaSyTEST-gemini-url-key" "{\"contents\":[$ask]}"
assert_contains sse.out $'\r\n\r\n' "alt=sse events are CRLF-separated"
api_call sse_tools gemini httpx "$G:streamGenerateContent?alt=sse" \
    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Weather in Paris?\"}]}],\"tools\":$tools}"
api_call array gemini httpclient "$G:streamGenerateContent" "{\"contents\":[$ask]}" \
    -H 'x-goog-api-key: AIzaSyTEST-gemini-header'
assert_eq "$(head -c 1 array.out)" "[" "without alt=sse the stream is one JSON array"
api_call array_tools gemini curl "$G:streamGenerateContent" \
    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Weather in Paris?\"}]}],\"tools\":$tools}"
api_call vertex gemini requests \
    "/v1/projects/demo/locations/us-central1/publishers/google/models/gemini-2.0-flash-001:streamGenerateContent?alt=sse" \
    "{\"contents\":[$ask]}"
api_call embed gemini-embed curl1 /v1beta/models/text-embedding-004:embedContent \
    '{"content":{"parts":[{"text":"hello world"}]}}'
api_call http_error gemini httpx2 "$G:generateContent" "{\"contents\":[$ask]}" \
    -H 'X-Mock-Error: http' --status 400
api_call sse_error gemini httpx2 "$G:streamGenerateContent?alt=sse" "{\"contents\":[$ask]}" \
    -H 'X-Mock-Error: stream' -H 'X-Mock-Error-After: 2'
api_call array_error gemini urllib "$G:streamGenerateContent" "{\"contents\":[$ask]}" \
    -H 'X-Mock-Error: stream' -H 'X-Mock-Error-After: 2'
api_check_all
for f in "$PL_DB"*; do assert_not_contains "$f" "AIzaSyTEST" "the API key is not stored ($f)"; done
assert_eq "$(db_query "select count(*) from calls join call_headers h on h.call_id = calls.id where coalesce(url,'') || coalesce(h.request_headers,'') || coalesce(h.response_headers,'') like '%AIzaSyTEST%'")" 0 \
    "no API key in the url or header columns"
