# go_lib.sh — building the Go test programs (tests/progs/go_*.go) at test time with Debian's
# golang-go, offline: standard library only, GOPROXY=off, caches under build/go. Sources lib.sh.
#
#   go_build OUT [go build args...]    e.g. go_build go_llm_s -ldflags='-s -w'
#   GO_SRC=go_stackbuf.go go_build OUT  another program of tests/progs
#   CGO_ENABLED=0 go_build OUT         a static binary (never loads LD_PRELOAD libraries)
#   go_call NAME API MODE TARGET BODY [VAR=VAL...] [-- 'Name: value'...]
#       like api_lib.sh's api_call, with ./go_llm MODE (chat or stream) as the program: runs it
#       with and without the preload (same stdout, stderr, exit code), requires exactly one new
#       calls row and queues NAME for api_check_all. VAR=VAL go to both runs (GODEBUG=...).
declare -F api_call >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/api_lib.sh"

need go
# One Go build cache for every build dir (build, build-asan): the Go programs do not depend on
# how the library was built, and compiling the standard library per build mode is the slow part.
export GOCACHE="$ROOT/build/go/cache" GOPATH="$ROOT/build/go/path" GOPROXY=off GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local GOENV=off

go_build() {
    local out="$1"; shift
    mkdir -p "$GOCACHE" "$GOPATH"
    go build -o "$out" "$@" "$ROOT/tests/progs/${GO_SRC:-go_llm.go}" >"$T/go_build.log" 2>&1 \
        || { cat "$T/go_build.log" >&2; fail "go build $* failed"; }
}

go_call() {
    local name="$1" api="$2" mode="$3" target="$4" body="$5"
    shift 5
    local envs=() before after id
    while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
    [ "${1:-}" = -- ] && shift
    printf '%s' "$body" > "$name.req"
    before="$(_api_rows)"
    note "$name: go_llm $mode POST $target ${envs[*]}"
    run_both SSL_CERT_FILE="$MOCK_CA" "${envs[@]}" "$T/go_llm" "$mode" "$MOCK_HTTPS$target" "$T/$name.req" "$@"
    assert_rc 0 "$name: go_llm exit code"
    cp "$OUT" "$name.out"
    cp "$ERR" "$name.err"
    after="$(_api_rows)"
    [ "$after" = "$((before + 1))" ] || fail "$name: $((after - before)) calls rows added, expected 1"
    id="$(db_query 'select max(id) from calls')"
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$api" "$id" 200 "$target" >> "$T/api_calls.tsv"
    API_ID="$id"
}
