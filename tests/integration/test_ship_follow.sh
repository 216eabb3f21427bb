#!/usr/bin/env bash
# test_ship_follow.sh — `ship -f` follows the database: calls captured while it runs arrive within
# a second of their commit; a kill -9 in the middle (the receiver is slow, so batches are in
# flight) and a restart deliver every call at least once and skip none; SIGTERM ends it cleanly.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/ship_lib.sh"
node_deps
start_mock
set_post
call() { run_pre "${POST[@]}" "$MOCK_HTTPS/v1/chat/completions" -d "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"call $1\"}]}"; }
for i in 1 2 3; do call "$i"; done
start_receiver A --delay-ms 300

"$PL_CLI" ship -f -d "$PL_DB" --endpoint "$RECV_URL_A" --batch 2 > f1.out 2> f1.err &
ship=$!
for i in $(seq 4 10); do call "$i"; done
kill -9 "$ship"; wait "$ship" 2>/dev/null
note "killed after $(grep -c '^sent' f1.out) acknowledged batches; receiver saw $(grep -c . "$RECV_LOG_A") requests"
for i in $(seq 11 14); do call "$i"; done

"$PL_CLI" ship -f -d "$PL_DB" --endpoint "$RECV_URL_A" --batch 2 > f2.out 2> f2.err &
ship=$!
ok=0
for _ in $(seq 1 100); do
    if "$PY" "$ROOT/tests/integration/check_ship.py" delivered "$PL_DB" "$RECV_LOG_A" > /dev/null 2>&1; then ok=1; break; fi
    sleep 0.2
done
[ "$ok" = 1 ] || { "$PY" "$ROOT/tests/integration/check_ship.py" delivered "$PL_DB" "$RECV_LOG_A"; fail "not every call delivered after the restart"; }
note "all 14 calls delivered (requests: $(grep -c . "$RECV_LOG_A"))"

note "a call captured now arrives within a second of its commit"
call latency
id=$(db_query 'select max(id) from calls')
"$PY" - "$RECV_LOG_A" "$PL_DB" "$id" <<'PY' || fail "latency"
import json, sqlite3, sys, time
log, db, cid = sys.argv[1], sys.argv[2], int(sys.argv[3])
started, dur = sqlite3.connect(db).execute("select started_at, duration from calls where id=?", (cid,)).fetchone()
deadline = time.time() + 5
while time.time() < deadline:
    for line in open(log):
        e = json.loads(line)
        if any(s["attributes"]["promptlog.call.id"] == cid for s in e.get("spans") or []):
            lag = e["at"] - (started + dur)
            print("follow latency %.3f s" % lag)
            assert lag < 1.0, lag
            sys.exit(0)
    time.sleep(0.05)
sys.exit("call %d never arrived" % cid)
PY
kill -TERM "$ship"; wait "$ship"; rc=$?
assert_eq "$rc" 0 "SIGTERM ends follow mode with status 0"
assert_eq "$(db_query 'select last_id from ship_cursors')" "$id" "cursor at the last call"
