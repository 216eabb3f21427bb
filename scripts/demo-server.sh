#!/usr/bin/env bash
# demo-server.sh — `make demo-server`: keeps the mock LLM server of `make demo` running in the
# foreground (HTTPS on 127.0.0.1:8443, plain HTTP on :8080, certificate in $BUILD/demo-certs/) and
# prints lines to paste from the repository's root in another terminal. Ctrl-C stops it.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
HTTPS_PORT="${DEMO_HTTPS_PORT:-8443}"
HTTP_PORT="${DEMO_HTTP_PORT:-8080}"
CERTS="${PL_DEMO_CERTS:-$BUILD/demo-certs}"
[ -e "$CERTS/cert.pem" ] && ! openssl x509 -checkend 3600 -noout -in "$CERTS/cert.pem" >/dev/null 2>&1 && rm -rf "$CERTS"
mkdir -p "$BUILD/demo-server"
export T="$BUILD/demo-server" PL_CERT_DIR="$CERTS" BUILD ROOT
. "$ROOT/tests/integration/lib.sh"
_pl_name=demo-server
[ -x "$PL_CLI" ] && [ -e "$PL_LIB" ] || { echo "build first: make" >&2; exit 1; }
start_mock --delay-ms 5 --https-port "$HTTPS_PORT" --http-port "$HTTP_PORT"
b="${BUILD#"$ROOT"/}"; c="${CERTS#"$ROOT"/}"
cat <<EOF
Mock LLM server on https://127.0.0.1:$HTTPS_PORT (h2, http/1.1) and http://127.0.0.1:$HTTP_PORT.
Paste these from $ROOT in another terminal:

  $b/prompt-logger run -d sqlite:///demo.db -- curl -sS --cacert $c/ca.pem https://127.0.0.1:$HTTPS_PORT/v1/chat/completions -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}]}'
  $b/prompt-logger run -d sqlite:///demo.db -n py -- python3 examples/chat_urllib.py https://127.0.0.1:$HTTPS_PORT/v1 --stream --cafile $c/ca.pem
  $b/prompt-logger run -d sqlite:///demo.db -- curl -sS http://127.0.0.1:$HTTP_PORT/api/chat -d '{"model":"llama3","messages":[{"role":"user","content":"Hi"}]}'
  $b/prompt-logger list -d sqlite:///demo.db
  $b/prompt-logger stats -d sqlite:///demo.db
  $b/prompt-logger export prompts - -d sqlite:///demo.db --all-namespaces

Ctrl-C stops the server.
EOF
trap 'stop_mock; exit 0' INT TERM
wait "$MOCK_PID"
