#!/usr/bin/env bash
# test_cli_tail.sh — `tail` prints the last N calls; `tail -f` then prints each call another
# process captures while it runs (text and --json), only once, filtered by -n; an idle follow
# costs next to nothing (CPU time over a few idle seconds).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/cli_lib.sh"
cli_fill
D=(-d "sqlite:///$PL_DB")

pl_cli tail "${D[@]}" -l 2 --json > last2.jsonl || fail "tail -l 2"
assert_eq "$("$PY" -c 'import json,sys; print([json.loads(l)["id"] for l in open(sys.argv[1])])' last2.jsonl)" "[4, 5]"
pl_cli tail "${D[@]}" > last.txt || fail "tail"
assert_lines last.txt 6 "header and the 5 calls (default 10)"

# follow: start, capture from another process, see it appear. A background job of a script
# ignores SIGINT; as_fg restores it so the Ctrl-C below reaches tail as it would from a terminal.
as_fg=("$PY" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])')
"${as_fg[@]}" "$PL_CLI" tail -f --interval 0.1 "${D[@]}" -l 1 --json > follow.jsonl 2> follow.err &
tailpid=$!
"${as_fg[@]}" "$PL_CLI" tail -f --interval 0.1 "${D[@]}" -l 0 -n gamma > follow_gamma.txt 2>&1 &
tailpid2=$!
sleep 0.5
cli_post PROMPTLOG_NAMESPACE=gamma -d '{"model":"tail-model","messages":[{"role":"user","content":"seen by tail -f"}]}' \
    "$MOCK_HTTPS/v1/chat/completions"
run_pre PROMPTLOG_NAMESPACE=delta "$PY" "$ROOT/examples/chat_urllib.py" "$MOCK_HTTPS/v1" --stream --cafile "$MOCK_CA"
assert_rc 0
for i in $(seq 50); do [ "$(grep -c . follow.jsonl)" -ge 3 ] && break; sleep 0.1; done
# idle: measure the follower's CPU time over 3 s of nothing happening
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
c0=$(cpu $tailpid); sleep 3; c1=$(cpu $tailpid)
kill -INT $tailpid $tailpid2
wait $tailpid; rc=$?
wait $tailpid2
assert_eq "$rc" 130 "tail -f ends on Ctrl-C (SIGINT)"
"$PY" - follow.jsonl <<'PY' || { cat follow.jsonl follow.err >&2; fail "tail -f saw the new calls"; }
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["id"] for r in rows] == [5, 6, 7], [r["id"] for r in rows]
assert rows[1]["model"] == "tail-model" and rows[1]["namespace"] == "gamma"
assert rows[2]["namespace"] == "delta" and rows[2]["stream"] is True
PY
assert_contains follow_gamma.txt "tail-model" "tail -f -n gamma"
assert_not_contains follow_gamma.txt "delta" "another namespace is filtered out"
assert_eq "$(grep -c 'seen by tail -f' follow_gamma.txt)" 1 "printed once"
ticks=$((c1 - c0))
note "idle tail -f: $ticks clock ticks of CPU in 3 s (10 ms each)"
[ "$ticks" -le 5 ] || fail "an idle tail -f used $ticks ticks of CPU in 3 s"
