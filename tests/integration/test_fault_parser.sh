#!/usr/bin/env bash
# test_fault_parser.sh — issue 6 §1: the LLM parsers meet garbage. The mock answers OpenAI,
# Anthropic, Gemini and Ollama paths with invalid JSON, random bytes, wrongly shaped JSON, very
# deep nesting and broken SSE/NDJSON streams; through libcurl (curl) and through OpenSSL (Python
# http.client). The program gets the same bytes and exit code as without the preload, nothing is
# said on stderr, and every call is still stored (raw exchange, whatever normalization made of it).
. "$(dirname "$0")/lib.sh"
need sqlite3
curl_host
start_mock --delay-ms 0

# Garbage bodies, served through the mock's X-Mock-Fixture (an absolute path is taken as is).
printf '{"id": "chatcmpl-1", "choices": [{"message": {"content": "unterminated' > g_truncated.json
head -c 4096 /dev/urandom > g_random.bin
printf '{"choices":"not a list","usage":[1,2],"model":{"x":1},"content":7,"candidates":null,"message":[]}' > g_shape.json
"$PY" -c 'import sys; sys.stdout.write("[" * 200000 + "]" * 200000)' > g_deep.json
printf 'data: {"choices":[{"delta":{"content":"a"\n\ndata: [1,2\n\nevent: x\ndata: {}\n\n: comment\n\ndata: {"choices":[{"delta":{"content":7}}]}\n\ndata: [DONE]\n\ndata: after done\n\n' > g_stream.sse
{ printf 'data: '; head -c 300000 /dev/urandom | base64 -w0; printf '\n\n'; } > g_longline.sse
printf '{"message":{"content":"a"}}\n{not json}\n[]\n\n{"done":"yes","message":7}\n' > g_ndjson.ndjson
head -c 2048 /dev/urandom | tr -d '\n' > g_random_stream.sse

paths=(/v1/chat/completions /v1/messages /v1beta/models/gemini-1.5-flash:generateContent /api/chat)
bodies=(g_truncated.json g_random.bin g_shape.json g_deep.json)
streams=(g_stream.sse g_longline.sse g_ndjson.ndjson g_random_stream.sse)
req='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":16}'
sreq='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":16,"stream":true}'

cat > client.py <<'EOF'
# One POST over TLS with http.client; prints status and the exact body bytes.
import http.client, ssl, sys
host, port, ca, path, fixture, body = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=ca)
c = http.client.HTTPSConnection(host, int(port), context=ctx)
c.request("POST", path, body=body.encode(), headers={"Content-Type": "application/json", "X-Mock-Fixture": fixture})
r = c.getresponse()
data = r.read()
sys.stdout.buffer.write(b"%d\n" % r.status + data)
EOF

n=0 k=0
for p in "${paths[@]}"; do
    k=$((k + 1))   # the next path starts with the other client
    files=("${bodies[@]}" "${streams[@]}")
    # Every garbage file on the OpenAI path; on the others, a rotating half of them.
    [ "$p" = /v1/chat/completions ] || files=("${bodies[@]:$((k % 2)):1}" "${bodies[@]:$((k % 2 + 2)):1}" \
        "${streams[@]:$((k % 2)):1}" "${streams[@]:$((k % 2 + 2)):1}")
    for f in "${files[@]}"; do
        body="$req"
        case "$f" in *.sse|*.ndjson) body="$sreq" ;; esac
        # Each pair through one of the two hook layers, alternating (keeps the test short).
        k=$((k + 1))
        if [ $((k % 2)) = 0 ]; then
            run_both "${CURL[@]}" -sS --http1.1 --cacert "$MOCK_CA" -H "X-Mock-Fixture: $T/$f" -d "$body" "$MOCK_HTTPS$p"
            assert_rc 0 "curl $p with $f"
            assert_file_eq "$T/$f" "$OUT" "curl got the garbage unchanged ($p, $f)"
        else
            run_both "$PY" client.py 127.0.0.1 "$MOCK_HTTPS_PORT" "$MOCK_CA" "$p" "$T/$f" "$body"
            assert_rc 0 "python $p with $f"
        fi
        n=$((n + 1))
    done
done
# HTTP/2 through libcurl, the streamed garbage only (the h2 path has its own reassembly).
for f in "${streams[@]}"; do
    run_both "${CURL[@]}" -sS --http2 --cacert "$MOCK_CA" -H "X-Mock-Fixture: $T/$f" -d "$sreq" "$MOCK_HTTPS/v1/chat/completions"
    assert_rc 0 "curl --http2 with $f"
    n=$((n + 1))
done
assert_eq "$(sqlite3 "$PL_DB" 'select count(*) from calls')" "$n" "every garbage exchange is still stored"
# The raw bodies are kept even when nothing could be normalized.
export_prompts > prompts.jsonl
[ "$(grep -c . prompts.jsonl)" -ge 1 ] || fail "export of garbage records failed"
assert_eq "$(sqlite3 "$PL_DB" 'select count(*) from calls where response_size > 0')" "$n" "response bodies stored"
exit 0
