#!/usr/bin/env bash
# test_cli_delete_ship.sh — a delete of the newest call while `ship -f` runs: SQLite gives the
# deleted id to the next capture, and the delete lowers the ship cursor, so that call is still
# shipped (by the running follower, and its cursor row says so).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/ship_lib.sh"
node_deps
start_mock
set_post
call() {
    run_pre PROMPTLOG_NAMESPACE="$1" "${POST[@]}" "$MOCK_HTTPS/v1/chat/completions" \
        -d "{\"model\":\"$1\",\"messages\":[{\"role\":\"user\",\"content\":\"$2\"}]}"
    assert_rc 0
}
for i in 1 2 3; do call first "call $i"; done
start_receiver A
shipped() { recv_spans "$RECV_LOG_A" | "$PY" -c 'import json, sys
print(" ".join("%s:%s" % (s["attributes"]["promptlog.call.id"], s["attributes"]["gen_ai.request.model"])
               for s in map(json.loads, sys.stdin)))'; }
wait_for() { for _ in $(seq 100); do [ "$(shipped | wc -w)" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }

"$PL_CLI" ship -f -d "$PL_DB" --endpoint "$RECV_URL_A" > ship.out 2> ship.err &
ship=$!
wait_for 3 || fail "the first three calls were not shipped: $(shipped)"
assert_eq "$(db_query 'select last_id from ship_cursors')" 3
pl_cli delete 3 -d "$PL_DB" --yes > del.out 2> del.err || fail "delete: $(cat del.err)"
assert_eq "$(db_query 'select last_id from ship_cursors')" 2 "the delete lowered the cursor"
call second "after the delete"
assert_eq "$(db_query "select id from calls where namespace = 'second'")" 3 "the deleted id was handed out again"
wait_for 4 || fail "the call given id 3 again was not shipped: $(shipped)"
kill -TERM "$ship"; wait "$ship"
assert_eq "$(shipped)" "1:first 2:first 3:first 3:second"
assert_eq "$(db_query 'select last_id from ship_cursors')" 3
