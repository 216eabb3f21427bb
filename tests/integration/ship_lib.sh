# ship_lib.sh — helpers for the ship and report tests, sourced after lib.sh: the test-only npm
# packages (installed into $BUILD/node at test time) and the OTLP test receiver.
#
#   node_deps                  npm-installs tests/integration/node/package.json into $BUILD/node
#                              once (skips the test when node or npm is missing); sets NODE_PATH
#   start_receiver NAME ARGS   starts node/otlp_receiver.js (ARGS: --script 503,200
#                              --retry-after 1 --then 400 --delay-ms N); sets RECV_URL_<NAME>
#                              and RECV_LOG_<NAME> ($T/recv_NAME.jsonl); stopped on exit
#   recv_spans LOG             every span the receiver logged, one JSON object per line
#   set_post                   after start_mock: POST=(curl ...), or post.py under ASan

node_deps() {
    need node npm
    local dir="$BUILD/node" src="$ROOT/tests/integration/node/package.json"
    mkdir -p "$dir"
    if [ ! -d "$dir/node_modules/@opentelemetry/otlp-transformer" ] || ! cmp -s "$src" "$dir/package.json"; then
        cp "$src" "$dir/package.json"
        if ! (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
            cat "$dir/npm.log" >&2
            # A machine that cannot reach the npm registry (no route, or a TLS-intercepting proxy
            # whose CA this machine lacks) cannot run these tests; any other failure is ours.
            if grep -Eq 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT|CERT_HAS_EXPIRED' "$dir/npm.log"; then
                skip "the npm registry is not reachable from this machine (see npm.log above)"
            fi
            fail "npm install of the test packages failed"
        fi
    fi
    export NODE_PATH="$dir/node_modules"
}

_PL_RECV_PIDS=""
_pl_stop_receivers() { for p in $_PL_RECV_PIDS; do kill "$p" 2>/dev/null; done; }
trap '_pl_stop_receivers; _pl_cleanup' EXIT

start_receiver() {
    local name="$1"; shift
    local pf="$T/recv_$name.port" log="$T/recv_$name.jsonl"
    rm -f "$pf"; : > "$log"
    node "$ROOT/tests/integration/node/otlp_receiver.js" --port-file "$pf" --log "$log" "$@" \
        > "$T/recv_$name.out" 2>&1 &
    _PL_RECV_PIDS="$_PL_RECV_PIDS $!"
    for _ in $(seq 1 100); do [ -s "$pf" ] && break; sleep 0.1; done
    [ -s "$pf" ] || { cat "$T/recv_$name.out" >&2; fail "receiver $name did not start"; }
    eval "RECV_URL_$name=http://127.0.0.1:$(cat "$pf")"
    eval "RECV_LOG_$name=$log"
}

recv_spans() {
    "$PY" -c 'import json,sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    for s in e.get("spans") or []:
        if e["answered"] == 200: print(json.dumps(s))' "$1"
}

# set_post (after start_mock): POST=(the capturing host): curl, or under ASan (where Debian's curl
# cannot run) the urllib stand-in tests/progs/post.py.
set_post() {
    if [ "${PL_ASAN:-0}" = 1 ]; then
        POST=("$PY" "$ROOT/tests/progs/post.py" --cacert "$MOCK_CA")
    else
        need curl
        POST=(curl -sS --cacert "$MOCK_CA")
    fi
}
