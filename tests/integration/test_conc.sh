#!/usr/bin/env bash
# test_conc.sh — issue 6 §3: concurrency. Many threads at once, each with its own connection
# (Python http.client keep-alive over OpenSSL; libcurl handles in pthreads): every call stored
# once with its own prompt (no cross-talk between connections). Then 8 processes at once on one
# database, 50 calls each (4 Python keep-alive, 4 libcurl): all 400 records arrive, and under
# PROMPTLOG_DEBUG no insert failed or waited out its lock.
. "$(dirname "$0")/lib.sh"
need sqlite3
stress="$PL_EXAMPLES/stress_libcurl"
[ -x "$stress" ] || fail "$stress is not built"
start_mock --delay-ms 0
url="$MOCK_HTTPS/v1/chat/completions"
threads="$ROOT/tests/progs/threads.py"
count() { sqlite3 "$PL_DB" "select count(*) from calls $1"; }

# 1. 16 Python threads x 5 calls, each thread on its own keep-alive connection.
run_pre "$PY" "$threads" 127.0.0.1 "$MOCK_HTTPS_PORT" "$MOCK_CA" 16 5 py
assert_rc 0 "threads.py"
assert_eq "$(grep -c '^ok' "$OUT")" 80
sed -n 's/^ok //p' "$OUT" | sort > sent.txt
sqlite3 "$PL_DB" "select substr(prompt_preview, 8) from calls" | sort > stored.txt
assert_file_eq sent.txt stored.txt "each thread's prompts stored exactly once, none mixed up"

# 2. 24 libcurl threads, one handle each, all at once.
last="$(count '')"
run_both PROMPTLOG_EXAMPLE_CAINFO="$MOCK_CA" "$stress" "$url" threads 24
assert_rc 0 "stress_libcurl threads"
assert_eq "$(count "where id > $last and status = 200 and incomplete = 0")" 24

# 3. 8 processes x 50 calls on one database, all at once.
last="$(count '')"
pids=()
for i in 1 2 3 4; do
    env PROMPTLOG_DATABASE="$PL_DB" PROMPTLOG_DEBUG=1 LD_PRELOAD="$PL_PRELOAD" \
        "$PY" "$threads" 127.0.0.1 "$MOCK_HTTPS_PORT" "$MOCK_CA" 1 50 "proc$i" >"p$i.out" 2>"p$i.err" </dev/null &
    pids+=($!)
    env PROMPTLOG_DATABASE="$PL_DB" PROMPTLOG_DEBUG=1 LD_PRELOAD="$PL_PRELOAD" PROMPTLOG_EXAMPLE_CAINFO="$MOCK_CA" \
        "$stress" "$url" _exit 50 >"c$i.out" 2>"c$i.err" </dev/null &
    pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs="$rcs$? "; done
assert_eq "$rcs" "0 0 0 0 0 0 0 0 " "exit codes of the 8 processes"
assert_eq "$(cat p*.out c*.out | grep -c '^ok')" 400 "400 calls succeeded"
if grep -aE 'insert failed|locked|cannot open' p*.err c*.err | head -5 >&2; then
    fail "a process reported a store failure under contention"
fi
assert_eq "$(cat p*.err c*.err | grep -ac 'exit: 50 captured, 0 skipped')" 8 "each process: 50 captured, 0 skipped"
assert_eq "$(count "where id > $last")" 400 "all 400 records arrived"
assert_eq "$(sqlite3 "$PL_DB" "select count(distinct pid) from calls where id > $last")" 8
assert_eq "$(sqlite3 "$PL_DB" 'PRAGMA integrity_check')" ok
exit 0
