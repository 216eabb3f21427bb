#!/usr/bin/env bash
# demo.sh — `make demo`: runs real programs (a libcurl example and the curl CLI) under the preload
# against the local mock LLM server, then shows what promptlog captured. No API key, no network.
#
# Everything lands in $BUILD/demo/ (or $PL_DEMO_DIR): the database prompts.db and logs; the mock's
# certificate in $BUILD/demo-certs/, shared with `make demo-server` (scripts/demo-server.sh), which
# listens on the same ports (8443 HTTPS, 8080 HTTP, when free), so the printed lines can be pasted
# while it runs.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
DEMO="${PL_DEMO_DIR:-$BUILD/demo}"
rm -rf "$DEMO"
mkdir -p "$DEMO"
CERTS="${PL_DEMO_CERTS:-$BUILD/demo-certs}"
# a certificate about to expire (they last 3 days) is made again
[ -e "$CERTS/cert.pem" ] && ! openssl x509 -checkend 3600 -noout -in "$CERTS/cert.pem" >/dev/null 2>&1 && rm -rf "$CERTS"
export T="$DEMO" PL_CERT_DIR="$CERTS" BUILD ROOT
# lib.sh brings start_mock/stop_mock and the LD_PRELOAD value (with the ASan runtime if needed).
. "$ROOT/tests/integration/lib.sh"
_pl_name=demo

if [ -t 1 ]; then B=$'\e[1m'; D=$'\e[2m'; G=$'\e[32m'; R=$'\e[0m'; else B= D= G= R=; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$R"; }
# Prints a command as one could paste it: words with spaces or quotes go in single quotes.
show_cmd() {
    local out="" w
    for w in "$@"; do
        if [[ "$w" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then out+="$w "; else out+="'${w//\'/\'\\\'\'}' "; fi
    done
    printf '%s$ %s%s\n' "$G" "${out% }" "$R"
}
problems=0

# Paths under the repository are shown relative to it: the lines are pasted from its root.
rel() { local w; for w in "$@"; do printf '%s\n' "${w//$ROOT\//}"; done; }
# Runs "$@" with `prompt-logger run`, prints the first lines of what the program printed.
captured() {
    local shown; mapfile -t shown < <(rel "$PL_CLI" run -d "sqlite:///$PL_DB" -- "$@")
    show_cmd "${shown[@]}"
    # under ASan the sanitizer runtime has to come first; run appends the library after it
    local pre=; [ "$PL_ASAN" = 1 ] && pre="${PL_PRELOAD% *}"
    LD_PRELOAD="$pre" "$PL_CLI" run -d "sqlite:///$PL_DB" -- "$@" > "$DEMO/out.txt" 2> "$DEMO/err.txt"
    local rc=$?
    head -c 900 "$DEMO/out.txt" | head -n 4 | cut -c1-150 | sed "s/^/  $D| /; s/\$/$R/"
    local n; n=$(wc -c < "$DEMO/out.txt")
    [ "$n" -gt 600 ] && printf '  %s| ... (%d bytes in all)%s\n' "$D" "$n" "$R"
    if [ "$rc" != 0 ] || [ -s "$DEMO/err.txt" ]; then
        echo "  (exit code $rc; stderr: $(head -c 300 "$DEMO/err.txt"))"
        problems=$((problems + 1))
    fi
}

cat <<EOF
${B}promptlog demo${R}
promptlog records the LLM API calls of unmodified programs. Here we start a local mock LLM
server (HTTPS with a throwaway certificate, speaking the OpenAI, Anthropic, Gemini and Ollama
APIs from recorded responses), run ordinary programs with LD_PRELOAD=$PL_LIB,
and look at what was captured in $PL_DB.
EOF

[ -e "$PL_LIB" ] && [ -x "$PL_CLI" ] || { echo "build first: make" >&2; exit 1; }
say "Starting the mock LLM server"
port_free() { "$PY" -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null; }
if port_free 8443 && port_free 8080; then start_mock --delay-ms 5 --https-port 8443 --http-port 8080
else start_mock --delay-ms 5; fi
echo "listening on $MOCK_HTTPS (HTTPS, h2 + http/1.1) and $MOCK_HTTP (plain HTTP)"

chat='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say this is a test"}],"temperature":0.2}'
stream='{"model":"gpt-4","messages":[{"role":"user","content":"Say this is a test"}],"stream":true,"stream_options":{"include_usage":true}}'
tools='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"What is the weather in Seattle?"}],"tools":[{"type":"function","function":{"name":"get_current_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}}],"stream":true}'
claude='{"model":"claude-3-haiku-20240307","max_tokens":256,"messages":[{"role":"user","content":"Tell me a joke about OpenTelemetry"}],"stream":true}'
gemini='{"contents":[{"role":"user","parts":[{"text":"Count from 1 to 30, one number per line, digits only."}]}]}'
ollama='{"model":"llama3","messages":[{"role":"user","content":"Tell me a joke about OpenTelemetry"}]}'

if [ -x "$PL_EXAMPLES/chat_libcurl" ]; then
    say "A libcurl program (examples/chat_libcurl.c), non-streamed OpenAI chat"
    captured env PROMPTLOG_EXAMPLE_CAINFO="$MOCK_CA" "$PL_EXAMPLES/chat_libcurl" "$MOCK_HTTPS/v1/chat/completions" "$chat"
    say "The same program, streamed with usage"
    captured env PROMPTLOG_EXAMPLE_CAINFO="$MOCK_CA" "$PL_EXAMPLES/chat_libcurl" "$MOCK_HTTPS/v1/chat/completions" "$stream"
fi
say "A Python program (examples/chat_urllib.py, standard library only): captured via OpenSSL"
captured "$PY" "$ROOT/examples/chat_urllib.py" "$MOCK_HTTPS/v1" --stream --cafile "$MOCK_CA"
say "The curl CLI, HTTP/2: a streamed chat with tool calls"
captured curl -sS --cacert "$MOCK_CA" -H "Authorization: Bearer sk-demo-not-a-real-key" "$MOCK_HTTPS/v1/chat/completions" -d "$tools"
say "curl over HTTP/1.1: Anthropic Messages, streamed"
captured curl -sS --http1.1 --cacert "$MOCK_CA" -H "x-api-key: sk-ant-demo" "$MOCK_HTTPS/v1/messages" -d "$claude"
say "curl: Gemini streamGenerateContent (SSE)"
captured curl -sS --cacert "$MOCK_CA" "$MOCK_HTTPS/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse" -d "$gemini"
say "curl over plain HTTP: Ollama /api/chat (NDJSON stream)"
captured curl -sS "$MOCK_HTTP/api/chat" -d "$ollama"
say "curl: a non-LLM request (GET /other) -- promptlog ignores it"
captured curl -sS --cacert "$MOCK_CA" "$MOCK_HTTPS/other"

stop_mock

say "prompt-logger list   (one line per call)"
mapfile -t shown < <(rel "$PL_CLI" list -d "sqlite:///$PL_DB"); show_cmd "${shown[@]}"
"$PL_CLI" list -d "sqlite:///$PL_DB" || problems=$((problems + 1))
say "prompt-logger export prompts -   (chat prompts, prompt-logger compatible JSONL)"
mapfile -t shown < <(rel "$PL_CLI" export prompts - -d "sqlite:///$PL_DB"); show_cmd "${shown[@]}"
"$PL_CLI" export prompts - -d "sqlite:///$PL_DB" || problems=$((problems + 1))
say "prompt-logger export models -"
mapfile -t shown < <(rel "$PL_CLI" export models - -d "sqlite:///$PL_DB"); show_cmd "${shown[@]}"
"$PL_CLI" export models - -d "sqlite:///$PL_DB" || problems=$((problems + 1))

say "The calls table in sqlite3"
q="select id, provider, model, api, status, stream, input_tokens as tok_in, output_tokens as tok_out, finish_reason, substr(completion_preview, 1, 40) as completion from calls order by id"
mapfile -t shown < <(rel sqlite3 -header -column "$PL_DB" "$q"); show_cmd "${shown[@]}"
if [ -e "$PL_DB" ]; then
    sqlite3 -header -column "$PL_DB" "$q" || problems=$((problems + 1))
else
    echo "(no database: nothing was captured)"; problems=$((problems + 1))
fi

say "Done"
db_rel="$(rel "$PL_DB")"; cli_rel="$(rel "$PL_CLI")"
cat <<EOF
The mock server has stopped. To paste the lines above from the repository's root, keep one
running in another terminal with:  make demo-server
(same ports and certificate; if 8443/8080 were busy this run used others). Then also try:
  $cli_rel stats -d sqlite:///$db_rel
  $cli_rel show 1 -d sqlite:///$db_rel
  $cli_rel tail -f -d sqlite:///$db_rel
To record your own program against a real API:
  $cli_rel run -d sqlite:///\$HOME/prompts.db -- python3 your_program.py
EOF
if [ "$problems" != 0 ]; then
    echo "$problems step(s) did not go as expected (see above)." >&2
    exit 1
fi
exit 0
