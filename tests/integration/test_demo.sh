#!/usr/bin/env bash
# test_demo.sh — `make demo` keeps working: scripts/demo.sh runs to the end, captures the calls it
# makes (not the non-LLM one) and shows the export and the sqlite3 table.
. "$(dirname "$0")/lib.sh"
need sqlite3
curl_host
if [ "$PL_ASAN" = 1 ]; then
    # demo.sh calls `curl` by name, and Debian's cannot run under ASan: the ASan-built stand-in
    # (examples/cli_libcurl, same options) goes first on PATH under that name.
    mkdir -p "$T/bin" && ln -s "$PL_EXAMPLES/cli_libcurl" "$T/bin/curl" || fail "cannot make the curl stand-in"
    export PATH="$T/bin:$PATH"
fi
PL_DEMO_DIR="$T/demo" T= bash "$ROOT/scripts/demo.sh" > demo.out 2> demo.err
rc=$?
[ "$rc" = 0 ] || { tail -40 demo.out >&2; cat demo.err >&2; fail "demo.sh exited $rc"; }
assert_contains demo.out '"messages"' "the demo shows the prompts export"
assert_contains demo.out '"provider"' "the demo shows the models export"
assert_contains demo.out 'finish_reason' "the demo shows the calls table"
n="$(sqlite3 "$T/demo/prompts.db" 'select count(*) from calls')"
expected=5     # python urllib; curl: OpenAI tools, Anthropic, Gemini, Ollama (+2 from the libcurl example)
[ -x "$PL_EXAMPLES/chat_libcurl" ] && expected=7
assert_eq "$n" "$expected" "calls captured by the demo"
assert_eq "$(sqlite3 "$T/demo/prompts.db" "select count(*) from calls where path='/other'")" 0
assert_eq "$(sqlite3 "$T/demo/prompts.db" "select count(*) from calls where source='openssl' and program like 'python%'")" 1 "the Python program was captured through OpenSSL"
