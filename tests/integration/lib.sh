# lib.sh — helpers for the integration tests: start the mock LLM server, run a real program with
# and without the preload, export what was captured and assert on it. Sourced by test_*.sh.
#
# A test is a bash script tests/integration/test_<name>.sh:
#
#     #!/usr/bin/env bash
#     # test_foo.sh — <what it proves>
#     . "$(dirname "$0")/lib.sh"
#     start_mock
#     run_both curl -sS --cacert "$MOCK_CA" "$MOCK_HTTPS/v1/chat/completions" -d "$body"
#     export_prompts > prompts.jsonl
#     check chat prompts.jsonl --request-json "$body" --response "$OUT"
#
# run.sh runs each test in its own empty temp directory (also $T, the cwd) and reads its exit
# code: 0 pass, 77 skip, anything else fail. Any failed assertion exits at once with a message on
# stderr; run.sh shows the test's output only when it fails. A test can also be run alone:
# `BUILD=build tests/integration/test_foo.sh`.
#
# Variables (all exported):
#   ROOT           repository root (absolute)
#   BUILD          build directory (absolute; build, or build-asan under `make asan`)
#   PL_LIB         $BUILD/libpromptlog.so          PL_CLI   $BUILD/prompt-logger
#   PL_EXAMPLES    $BUILD/examples                 PY       /usr/bin/python3 (has h2)
#   T              this test's temp dir (cwd)      PL_DB    $T/prompts.db, the preloaded runs' database
#   PL_PRELOAD     what run_* put in LD_PRELOAD (the ASan runtime first for an ASan build)
#   PL_ASAN        1 for an ASan build, else 0
#   After start_mock: MOCK_HTTPS_PORT MOCK_HTTP_PORT, MOCK_HTTPS=https://127.0.0.1:PORT,
#   MOCK_HTTP=http://127.0.0.1:PORT, MOCK_CA (CA file that signs the mock's cert, for --cacert
#   or PROMPTLOG_EXAMPLE_CAINFO), MOCK_LOG (JSONL: one line per request the mock received).
#   After run_both/run_pre/run_plain: OUT ERR RC (stdout file, stderr file, exit code of the
#   preloaded run; of the plain run for run_plain), PLAIN_OUT PLAIN_ERR PLAIN_RC, RUN_DIR.
#
# Functions:
#   start_mock [MOCK ARGS...]   start tests/mock/mock_llm.py (e.g. --delay-ms 0, --no-h2); waits
#                               until it listens; stopped automatically on exit
#   stop_mock
#   run_both [VAR=VAL...] CMD... run CMD without, then with the preload (PROMPTLOG_DATABASE=$PL_DB
#                               unless a VAR=VAL overrides it); assert same stdout bytes, same
#                               exit code, same stderr (RB_LOOSE_STDERR=1: only that the preloaded
#                               stderr has no promptlog/sanitizer line). VAR=VAL apply to both runs.
#   run_pre [VAR=VAL...] CMD...  only the preloaded run, no comparison (still fails on a
#                               promptlog or sanitizer line in stderr)
#   run_plain [VAR=VAL...] CMD... only the plain run
#   export_prompts [ARGS...]    `prompt-logger export prompts - -d sqlite:///$PL_DB ARGS` on stdout
#   export_models [ARGS...]     same for `export models`
#   pl_cli ARGS...              run $PL_CLI (LeakSanitizer on for an ASan build)
#   db_query SQL                sqlite3 $PL_DB SQL (fails if the database is missing)
#   check SUBCOMMAND ARGS...    tests/integration/check.py (see its --help): JSONL/export checks
#   mock_requests [--path P]    the mock log's requests as JSONL (filtered by path)
#   fail MSG / skip MSG         end the test as failed / skipped
#   note MSG                    a progress line (shown when the test fails)
#   assert_eq ACTUAL EXPECTED [MSG]
#   assert_file_eq FILE1 FILE2 [MSG]        byte comparison
#   assert_contains FILE STRING [MSG]       fixed string, binary-safe (grep -aF)
#   assert_not_contains FILE STRING [MSG]
#   assert_file PATH [MSG] / assert_no_file PATH [MSG]
#   assert_lines FILE N [MSG]               number of non-empty lines (JSONL records)
#   assert_empty FILE [MSG]
#   assert_rc EXPECTED [MSG]                $RC equals EXPECTED
#   need CMD...                             skip unless every command exists
#   skip_under_asan [MSG]                   skip in the `make asan` pass

set -uo pipefail

ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BUILD="${BUILD:-build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
PL_LIB="$BUILD/libpromptlog.so"
PL_CLI="$BUILD/prompt-logger"
PL_EXAMPLES="$BUILD/examples"
PY=/usr/bin/python3
export ROOT BUILD PL_LIB PL_CLI PL_EXAMPLES PY

if [ -z "${T:-}" ]; then          # run alone: make our own temp dir
    T="$(mktemp -d /tmp/pl-test.XXXXXX)"
    _PL_OWN_T=1
fi
export T
cd "$T" || exit 1
PL_DB="$T/prompts.db"
export PL_DB

# An ASan-instrumented library needs the ASan runtime loaded before anything else in the host.
PL_ASAN=0
if [ -e "$PL_LIB" ] && readelf -d "$PL_LIB" 2>/dev/null | grep 'libasan' >/dev/null; then
    PL_ASAN=1
fi
if [ "$PL_ASAN" = 1 ]; then
    PL_PRELOAD="$(gcc -print-file-name=libasan.so) $PL_LIB"
    # Host programs (curl, python) leak by design; we check our own memory errors, not theirs.
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:exitcode=86}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}"
else
    PL_PRELOAD="$PL_LIB"
fi
export PL_ASAN PL_PRELOAD

_pl_name="$(basename "$0" .sh)"
_pl_timeout="${PL_RUN_TIMEOUT:-60}"
_pl_runs=0
MOCK_PID=""

# fd 9 is the test's own stderr, so messages get out even from inside a redirected call.
exec 9>&2
note() { echo "  .. $*" >&9; }

fail() {
    echo "FAIL: $_pl_name: $*" >&9
    exit 1
}

skip() {
    echo "SKIP: $_pl_name: $*" >&9
    exit 77
}

need() {
    local c
    for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip "needs $c"; done
}

_pl_cleanup() {
    stop_mock
    if [ "${_PL_OWN_T:-0}" = 1 ] && [ "${PL_KEEP:-0}" != 1 ]; then rm -rf "$T"; fi
}
trap _pl_cleanup EXIT

# --- the mock server ---------------------------------------------------------------------------

# Makes a throwaway CA and a leaf cert for 127.0.0.1/localhost in DIR (once; reused if present).
_pl_make_cert() {
    local d="$1"
    [ -s "$d/cert.pem" ] && [ -s "$d/key.pem" ] && [ -s "$d/ca.pem" ] && return 0
    mkdir -p "$d"
    local tmp
    tmp="$(mktemp -d "$d/.gen.XXXXXX")"
    cat > "$tmp/ext.cnf" <<'EOF'
[leaf]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
authorityKeyIdentifier=keyid
subjectKeyIdentifier=hash
EOF
    (
        cd "$tmp" &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout ca.key -out ca.pem -days 3 -subj "/CN=promptlog test CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" &&
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout key.pem -out leaf.csr -subj "/CN=127.0.0.1" &&
        openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out cert.pem -days 3 -extfile ext.cnf -extensions leaf
    ) >"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log" >&2; fail "openssl could not make the test certificate"; }
    # Several tests may race to fill a shared dir: each renames complete files into place.
    mv -f "$tmp/ca.pem" "$d/ca.pem" && mv -f "$tmp/key.pem" "$d/key.pem.new" &&
        mv -f "$tmp/cert.pem" "$d/cert.pem.new" &&
        mv -f "$d/key.pem.new" "$d/key.pem" && mv -f "$d/cert.pem.new" "$d/cert.pem"
    rm -rf "$tmp"
}

start_mock() {
    local certdir="${PL_CERT_DIR:-$T/certs}"
    _pl_make_cert "$certdir"
    MOCK_CA="$certdir/ca.pem"
    MOCK_LOG="$T/mock-requests.jsonl"
    local pf="$T/mock.ports"
    rm -f "$pf"
    : > "$MOCK_LOG"
    "$PY" "$ROOT/tests/mock/mock_llm.py" --cert "$certdir/cert.pem" --key "$certdir/key.pem" \
        --port-file "$pf" --log "$MOCK_LOG" --fixtures "$ROOT/tests/fixtures" "$@" \
        >"$T/mock.stdout" 2>"$T/mock.stderr" &
    MOCK_PID=$!
    local i
    for i in $(seq 1 200); do
        [ -s "$pf" ] && break
        kill -0 "$MOCK_PID" 2>/dev/null || { cat "$T/mock.stderr" >&2; fail "mock server died at start"; }
        sleep 0.05
    done
    [ -s "$pf" ] || fail "mock server did not start within 10 s"
    MOCK_HTTPS_PORT="$(sed -n 's/^https=//p' "$pf")"
    MOCK_HTTP_PORT="$(sed -n 's/^http=//p' "$pf")"
    MOCK_HTTPS="https://127.0.0.1:$MOCK_HTTPS_PORT"
    MOCK_HTTP="http://127.0.0.1:$MOCK_HTTP_PORT"
    export MOCK_HTTPS_PORT MOCK_HTTP_PORT MOCK_HTTPS MOCK_HTTP MOCK_CA MOCK_LOG MOCK_PID
}

stop_mock() {
    if [ -n "${MOCK_PID:-}" ]; then
        kill "$MOCK_PID" 2>/dev/null
        wait "$MOCK_PID" 2>/dev/null
        MOCK_PID=""
        if [ -s "$T/mock.stderr" ]; then
            echo "  .. mock server stderr:" >&2
            sed 's/^/     /' "$T/mock.stderr" >&2
        fi
    fi
    return 0
}

mock_requests() {
    "$PY" "$ROOT/tests/integration/check.py" requests "$MOCK_LOG" "$@"
}

# --- running programs --------------------------------------------------------------------------

# Splits leading VAR=VALUE words off "$@" into the array _pl_env; the rest into _pl_cmd.
_pl_split_env() {
    _pl_env=()
    while [ $# -gt 0 ] && [[ "$1" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
        _pl_env+=("$1"); shift
    done
    [ $# -gt 0 ] || fail "run_*: no command given"
    _pl_cmd=("$@")
}

_pl_new_run_dir() {
    _pl_runs=$((_pl_runs + 1))
    RUN_DIR="$T/run$_pl_runs"
    mkdir -p "$RUN_DIR"
    printf '%q ' "$@" > "$RUN_DIR/cmd"
}

# _pl_exec KIND: runs _pl_cmd plain or preloaded into $RUN_DIR/KIND.{out,err}, returns its code.
_pl_exec() {
    local kind="$1" rc
    if [ "$kind" = plain ]; then
        timeout -k 5 "$_pl_timeout" env -u LD_PRELOAD "${_pl_env[@]}" "${_pl_cmd[@]}" \
            >"$RUN_DIR/plain.out" 2>"$RUN_DIR/plain.err" </dev/null
    else
        timeout -k 5 "$_pl_timeout" env PROMPTLOG_DATABASE="$PL_DB" "${_pl_env[@]}" \
            LD_PRELOAD="$PL_PRELOAD" "${_pl_cmd[@]}" \
            >"$RUN_DIR/pre.out" 2>"$RUN_DIR/pre.err" </dev/null
    fi
    rc=$?
    echo "$rc" > "$RUN_DIR/$kind.rc"
    [ "$rc" = 124 ] && fail "timed out after ${_pl_timeout}s ($kind): $(cat "$RUN_DIR/cmd")"
    return "$rc"
}

# Under ASan the runtime is preloaded into a host that was not built with it, so it initializes
# late: libp11-kit's constructor (pulled in by Debian's curl and wget through GnuTLS) runs first
# and the host then deadlocks in setlocale() before main does anything -- with or without our
# library. Such hosts cannot run under a preloaded ASan runtime; the test is skipped there and
# runs in the non-ASan pass. Python and the ASan-built examples are unaffected.
# Tests give such hosts an ASan-built stand-in under ASan (curl_host below, tests/progs/*.c).
_pl_asan_check_host() {
    [ "$PL_ASAN" = 1 ] || return 0
    local prog libs
    prog="$(command -v "${_pl_cmd[0]}" 2>/dev/null)" || return 0
    libs="$(ldd "$prog" 2>/dev/null)"       # not piped into grep -q: pipefail + SIGPIPE
    case "$libs" in *libasan*) return 0 ;; esac   # built with ASan: initializes first, fine
    if [[ "$libs" == *libp11-kit* ]]; then
        skip "$(basename "$prog") loads libp11-kit, which deadlocks under a preloaded ASan runtime (runs in the non-ASan pass)"
    fi
}

# For tests that only make sense without ASan (e.g. they drive several such hosts at once).
skip_under_asan() {
    [ "$PL_ASAN" = 1 ] && skip "${1:-not run under ASan}"
    return 0
}

# Fails if a preloaded run's stderr shows our library or a sanitizer speaking.
_pl_check_pre_stderr() {
    if grep -aiqE 'promptlog|AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$ERR"; then
        echo "  .. stderr of the preloaded run:" >&2
        sed 's/^/     /' "$ERR" | head -60 >&2
        fail "the preloaded run wrote promptlog or sanitizer output to stderr: $(cat "$RUN_DIR/cmd")"
    fi
}

run_plain() {
    _pl_split_env "$@"
    _pl_new_run_dir "$@"
    _pl_exec plain; RC=$?
    OUT="$RUN_DIR/plain.out"; ERR="$RUN_DIR/plain.err"
    PLAIN_OUT="$OUT"; PLAIN_ERR="$ERR"; PLAIN_RC="$RC"
    return 0
}

run_pre() {
    [ -e "$PL_LIB" ] || fail "$PL_LIB is not built"
    _pl_split_env "$@"
    _pl_asan_check_host
    _pl_new_run_dir "$@"
    _pl_exec pre; RC=$?
    OUT="$RUN_DIR/pre.out"; ERR="$RUN_DIR/pre.err"
    _pl_check_pre_stderr
    return 0
}

run_both() {
    [ -e "$PL_LIB" ] || fail "$PL_LIB is not built"
    _pl_split_env "$@"
    _pl_asan_check_host
    _pl_new_run_dir "$@"
    _pl_exec plain; PLAIN_RC=$?
    _pl_exec pre; RC=$?
    PLAIN_OUT="$RUN_DIR/plain.out"; PLAIN_ERR="$RUN_DIR/plain.err"
    OUT="$RUN_DIR/pre.out"; ERR="$RUN_DIR/pre.err"
    _pl_check_pre_stderr
    if ! cmp -s "$PLAIN_OUT" "$OUT"; then
        echo "  .. stdout differs (plain vs preloaded):" >&2
        cmp "$PLAIN_OUT" "$OUT" >&2
        diff <(head -c 2000 "$PLAIN_OUT") <(head -c 2000 "$OUT") | head -20 >&2
        fail "stdout changed under the preload: $(cat "$RUN_DIR/cmd")"
    fi
    [ "$PLAIN_RC" = "$RC" ] || fail "exit code $PLAIN_RC without the preload, $RC with it: $(cat "$RUN_DIR/cmd")"
    if [ "${RB_LOOSE_STDERR:-0}" != 1 ] && ! cmp -s "$PLAIN_ERR" "$ERR"; then
        diff "$PLAIN_ERR" "$ERR" | head -20 >&2
        fail "stderr changed under the preload: $(cat "$RUN_DIR/cmd")"
    fi
    return 0
}

# --- the CLI and the database ------------------------------------------------------------------

pl_cli() {
    [ -x "$PL_CLI" ] || fail "$PL_CLI is not built"
    if [ "$PL_ASAN" = 1 ]; then
        # Our own program: here leaks are ours, so LeakSanitizer stays on.
        ASAN_OPTIONS="detect_leaks=1:exitcode=86" timeout -k 5 "$_pl_timeout" "$PL_CLI" "$@"
    else
        timeout -k 5 "$_pl_timeout" "$PL_CLI" "$@"
    fi
}

_pl_export() {
    local what="$1"; shift
    local err="$T/export.err" rc
    pl_cli export "$what" - -d "sqlite:///$PL_DB" "$@" 2>"$err"
    rc=$?
    if [ "$rc" != 0 ]; then
        cat "$err" >&2
        fail "prompt-logger export $what $* exited $rc"
    fi
    return 0
}
export_prompts() { _pl_export prompts "$@"; }
export_models() { _pl_export models "$@"; }

db_query() {
    [ -e "$PL_DB" ] || fail "no database at $PL_DB"
    sqlite3 "$PL_DB" "$@" || fail "sqlite3 query failed: $*"
}

check() {
    "$PY" "$ROOT/tests/integration/check.py" "$@" || fail "check $1 failed"
}

# --- assertions --------------------------------------------------------------------------------

assert_eq() {
    [ "$1" = "$2" ] || fail "${3:-values differ}: got '$1', expected '$2'"
}

assert_file_eq() {
    cmp -s "$1" "$2" || { cmp "$1" "$2" >&2; fail "${3:-files differ}: $1 vs $2"; }
}

assert_contains() {
    grep -aqF -- "$2" "$1" || fail "${3:-missing text}: '$2' not in $1"
}

assert_not_contains() {
    if grep -aqF -- "$2" "$1"; then
        grep -anF -- "$2" "$1" | head -3 | cut -c1-200 >&2
        fail "${3:-unexpected text}: '$2' found in $1"
    fi
}

assert_file() { [ -e "$1" ] || fail "${2:-file missing}: $1"; }
assert_no_file() { [ ! -e "$1" ] || fail "${2:-file should not exist}: $1"; }
assert_empty() { [ ! -s "$1" ] || { head -c 500 "$1" >&2; fail "${2:-should be empty}: $1"; }; }

assert_lines() {
    local n
    n="$(grep -c . "$1" 2>/dev/null)"
    [ "$n" = "$2" ] || fail "${3:-line count}: $1 has $n lines, expected $2"
}

assert_rc() {
    [ "$RC" = "$1" ] || fail "${2:-exit code}: got $RC, expected $1"
}

# --- hosts for the ASan pass -------------------------------------------------------------------

# curl_host: sets the array CURL to the curl CLI, or in the ASan pass (where Debian's curl cannot
# run, see _pl_asan_check_host) to $PL_EXAMPLES/cli_libcurl: an ASan-built program that takes the
# same options and drives libcurl the way the curl tool does (per-URL easy handles on a shared
# connection cache, curl_easy_perform in order, a multi handle for -Z). Use "${CURL[@]}" for curl.
# PL_CURL_STANDIN=1 picks the stand-in in the plain pass too (to check it against the same asserts).
curl_host() {
    if [ "$PL_ASAN" = 1 ] || [ "${PL_CURL_STANDIN:-0}" = 1 ]; then
        [ -x "$PL_EXAMPLES/cli_libcurl" ] || fail "$PL_EXAMPLES/cli_libcurl is not built"
        CURL=("$PL_EXAMPLES/cli_libcurl")
    else
        need curl
        CURL=(curl)
    fi
}

# need_pty: the terminal checks drive the CLI through script(1), which needs a pseudo-terminal; a
# machine without one (a bare chroot with no /dev/pts) skips the rest of the test, saying why.
need_pty() {
    script -qec true /dev/null >/dev/null 2>&1 ||
        skip "no pseudo-terminal on this machine (script(1) cannot open one): the terminal checks cannot run"
}
