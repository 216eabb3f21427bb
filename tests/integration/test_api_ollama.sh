#!/usr/bin/env bash
# test_api_ollama.sh — Ollama's native API over plain HTTP through real clients under the preload:
# /api/chat plain and NDJSON-streamed (the default), tool calls with object arguments (plain and
# streamed, with a tool round in the request), /api/generate as a text prompt, /api/embed only in
# export models, an HTTP 404 and an {"error"} object mid-stream. curl talks plain HTTP, as to a
# local Ollama; the Python clients use HTTPS (plain-HTTP Python clients: test_plain_http.sh).
. "$(dirname "$0")/api_lib.sh"
[ "$PL_ASAN" = 1 ] || need curl
start_mock
H="$MOCK_HTTP"
tools='[{"type":"function","function":{"name":"get_current_weather","description":"Get the weather","parameters":{"type":"object","properties":{"location":{"type":"string"},"format":{"type":"string"}},"required":["location","format"]}}}]'
ask='{"role":"user","content":"Why is the sky blue?"}'

API_BASE="$H" api_call chat ollama-chat curl /api/chat "{\"model\":\"llama3\",\"messages\":[$ask],\"stream\":false}"
api_call chat_stream ollama-chat requests /api/chat \
    "{\"model\":\"llama3\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},$ask],\"options\":{\"temperature\":0.1}}"
api_call tools ollama-chat urllib /api/chat \
    "{\"model\":\"llama3.1\",\"stream\":false,\"tools\":$tools,\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]}"
api_call tools_stream ollama-chat httpx /api/chat \
    "{\"model\":\"llama3.1\",\"tools\":$tools,\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Toronto?\"},{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"get_current_weather\",\"arguments\":{\"location\":\"Toronto\",\"format\":\"celsius\"}}}]},{\"role\":\"tool\",\"content\":\"11 degrees\"},{\"role\":\"user\",\"content\":\"And Paris?\"}]}"
api_call generate ollama-generate httpclient /api/generate \
    '{"model":"llama3","prompt":"Why is the sky blue?","stream":false}'
API_BASE="$H" api_call generate_stream ollama-generate curl1 /api/generate '{"model":"llama3","prompt":"Why is the sky blue?"}'
api_call embed ollama-embed requests /api/embed '{"model":"all-minilm","input":["Why is the sky blue?","Why is the grass green?"]}'
api_call embeddings ollama-embed httpx2 /api/embeddings '{"model":"nomic-embed-text","prompt":"Why is the sky blue?"}'
API_BASE="$H" api_call not_found ollama-chat curl /api/chat "{\"model\":\"nope\",\"messages\":[$ask],\"stream\":false}" \
    -H 'X-Mock-Error: http' --status 404
api_call stream_error ollama-chat requests /api/chat "{\"model\":\"llama3\",\"messages\":[$ask]}" \
    -H 'X-Mock-Error: stream' -H 'X-Mock-Error-After: 5'
api_call generate_error ollama-generate httpx /api/generate '{"model":"llama3","prompt":"Why?"}' \
    -H 'X-Mock-Error: stream' -H 'X-Mock-Error-After: 5'
api_check_all
