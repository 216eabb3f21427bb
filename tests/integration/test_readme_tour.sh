#!/usr/bin/env bash
# test_readme_tour.sh — every sqlite3 command in the README's tour (between <!-- tour --> and
# <!-- /tour -->) runs against a database captured from a real agent loop: exit 0, output, no
# error, and the answers the tour promises (a conversation, a search hit, the exact body).
. "$(dirname "$0")/lib.sh"
need sqlite3
start_mock --delay-ms 0
run_pre "$PY" "$ROOT/tests/progs/agent.py" "$MOCK_HTTPS/v1" 6 --seed 11
run_pre "$PY" "$ROOT/tests/progs/agent.py" "$MOCK_HTTPS/v1" 3 --tools --seed 12
ln -s "$BUILD" build
sed -n '/<!-- tour -->/,/<!-- \/tour -->/p' "$ROOT/README.md" | grep '^sqlite3 ' > tour.sh
[ "$(wc -l < tour.sh)" -ge 8 ] || fail "the README tour lost its queries"
n=0
while IFS= read -r cmd; do
    n=$((n + 1))
    bash -c "$cmd" > "tour$n.out" 2> "tour$n.err" || fail "tour query $n failed: $cmd: $(cat "tour$n.err")"
    [ -s "tour$n.out" ] || fail "tour query $n printed nothing: $cmd"
    assert_empty "tour$n.err" "tour query $n wrote to stderr"
done < tour.sh
# what the tour shows is what happened
grep -q 'turn 1' tour3.out || fail "conversations view lacks the first user message"
assert_eq "$(db_query 'select count(*) from conversations')" 2
grep -q "timeout\|retry" tour6.out || fail "search found nothing"
"$PY" - "$MOCK_LOG" tour7.out <<'PY' || fail "the extension's body is not what the server received"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = open(sys.argv[2]).read()
assert out.startswith(reqs[2]["body"] + "\n"), out[:200]
PY
assert_contains tour8.out "[REDACTED]"
