#!/usr/bin/env bash
# demo.sh — `make demo`: runs real programs (a libcurl example and the curl CLI) under the preload
# against the local mock LLM server, then shows what promptlog captured. No API key, no network.
#
# Everything lands in $BUILD/demo/ (or $PL_DEMO_DIR): the database prompts.db, the certificate, logs.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
DEMO="${PL_DEMO_DIR:-$BUILD/demo}"
rm -rf "$DEMO"
mkdir -p "$DEMO"
export T="$DEMO" PL_CERT_DIR="$DEMO/certs" BUILD ROOT
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

# Runs "$@" under the preload, prints the first lines of what the program printed.
captured() {
    show_cmd "LD_PRELOAD=$(basename "$PL_LIB")" "$@" | sed "s#$MOCK_HTTPS#\$MOCK#; s#$MOCK_HTTP#\$MOCK_HTTP#; s#$MOCK_CA#ca.pem#"
    env PROMPTLOG_DATABASE="sqlite:///$PL_DB" LD_PRELOAD="$PL_PRELOAD" "$@" > "$DEMO/out.txt" 2> "$DEMO/err.txt"
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
start_mock --delay-ms 5
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

say "prompt-logger export prompts -   (chat prompts, prompt-logger compatible JSONL)"
show_cmd "$(basename "$PL_CLI")" export prompts - -d "sqlite:///$PL_DB"
"$PL_CLI" export prompts - -d "sqlite:///$PL_DB" || problems=$((problems + 1))
say "prompt-logger export models -"
show_cmd "$(basename "$PL_CLI")" export models - -d "sqlite:///$PL_DB"
"$PL_CLI" export models - -d "sqlite:///$PL_DB" || problems=$((problems + 1))

say "The calls table in sqlite3"
q="select id, provider, model, api, status, stream, input_tokens as tok_in, output_tokens as tok_out, finish_reason, substr(completion_preview, 1, 40) as completion from calls order by id"
show_cmd sqlite3 -header -column "$PL_DB" "$q"
if [ -e "$PL_DB" ]; then
    sqlite3 -header -column "$PL_DB" "$q" || problems=$((problems + 1))
else
    echo "(no database: nothing was captured)"; problems=$((problems + 1))
fi

say "Done"
cat <<EOF
The database is $PL_DB. Try:
  sqlite3 $PL_DB 'select * from calls_summary'
  $PL_CLI export prompts --help
To record your own program against a real API:
  LD_PRELOAD=$PL_LIB PROMPTLOG_DATABASE=sqlite:///\$HOME/prompts.db your-program ...
EOF
if [ "$problems" != 0 ]; then
    echo "$problems step(s) did not go as expected (see above)." >&2
    exit 1
fi
exit 0
