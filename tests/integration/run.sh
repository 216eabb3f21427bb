#!/usr/bin/env bash
# run.sh — runs every tests/integration/test_*.sh (or those named on the command line), each in
# its own empty temp dir, prints PASS/FAIL/SKIP per test and ends with "N passed, N failed".
#
# Usage: BUILD=build tests/integration/run.sh [test_name|name ...]
# Env: BUILD (default build), PL_KEEP=1 keeps the temp dirs, PL_TEST_TIMEOUT per test (300 s).
# Exit status is non-zero when any test failed. A test exiting 77 counts as skipped.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$here/../.." && pwd)"
BUILD="${BUILD:-build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
export ROOT BUILD

tests=()
if [ $# -gt 0 ]; then
    for n in "$@"; do
        n="$(basename "$n" .sh)"; n="${n#test_}"
        [ -f "$here/test_$n.sh" ] || { echo "no test $here/test_$n.sh" >&2; exit 2; }
        tests+=("$here/test_$n.sh")
    done
else
    for t in "$here"/test_*.sh; do [ -f "$t" ] && tests+=("$t"); done
fi

top="$(mktemp -d /tmp/promptlog-it.XXXXXX)"
# One certificate for the whole run: tests share it (lib.sh makes it on first use).
export PL_CERT_DIR="$top/certs"

passed=0; failed=0; skipped=0; failed_names=()
for t in "${tests[@]}"; do
    name="$(basename "$t" .sh)"; name="${name#test_}"
    dir="$top/$name"
    mkdir -p "$dir"
    start=$(date +%s%N)
    T="$dir" timeout -k 10 "${PL_TEST_TIMEOUT:-300}" bash "$t" >"$dir.log" 2>&1
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    secs="$((ms / 1000)).$(( (ms % 1000) / 100 ))"
    case "$rc" in
        0) echo "PASS $name (${secs}s)"; passed=$((passed + 1)) ;;
        77) echo "SKIP $name: $(grep -a '^SKIP' "$dir.log" | tail -1 | sed 's/^SKIP: [^:]*: //')"
            skipped=$((skipped + 1)) ;;
        *) echo "FAIL $name (exit $rc, ${secs}s)"; failed=$((failed + 1)); failed_names+=("$name")
           [ "$rc" = 124 ] && echo "    (timed out after ${PL_TEST_TIMEOUT:-300}s)"
           sed 's/^/    | /' "$dir.log" | tail -n 80 ;;
    esac
done

[ "$skipped" -gt 0 ] && echo "$skipped skipped"
[ "$failed" -gt 0 ] && echo "failed: ${failed_names[*]}"
if [ "${PL_KEEP:-0}" = 1 ] || [ "$failed" -gt 0 ]; then
    echo "test dirs kept in $top"
else
    rm -rf "$top"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
