#!/usr/bin/env bash
# test_ship_retry.sh — ship's delivery rules against a test receiver that misbehaves on purpose:
# 503 twice then OK (retried with backoff, delivered), 429 with Retry-After (waits that long),
# 400 (stops at once with a clear message, cursor unmoved), connection refused (retried, gives
# up after --max-attempts), --batch splits the calls into several requests, a 413 halves the
# batch, and a partial success is reported without a resend.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/ship_lib.sh"
node_deps
start_mock
set_post
for i in 1 2 3 4 5; do
    run_pre "${POST[@]}" "$MOCK_HTTPS/v1/chat/completions" -d "{\"model\":\"m$i\",\"messages\":[{\"role\":\"user\",\"content\":\"call $i\"}]}"
done
assert_eq "$(db_query 'select count(*) from calls')" 5

note "503, 503, then 200: retried with backoff, everything delivered"
start_receiver A --script 503,503
pl_cli ship -d "$PL_DB" --endpoint "$RECV_URL_A" > a.out 2> a.err || { cat a.err >&2; fail "ship after 503s"; }
assert_eq "$(grep -c 'HTTP 503.*retrying' a.err)" 2 "two retry notes"
assert_eq "$(grep -c . "$RECV_LOG_A")" 3 "three requests"
"$PY" "$ROOT/tests/integration/check_ship.py" delivered "$PL_DB" "$RECV_LOG_A" || fail "503 delivery"
"$PY" - "$RECV_LOG_A" <<'PY' || fail "backoff"
import json, sys
at = [json.loads(l)["at"] for l in open(sys.argv[1])]
assert at[1] - at[0] >= 0.4 and at[2] - at[1] >= 0.9, ("backoff grows", at)
PY

note "429 with Retry-After: 2 — the next attempt waits 2 s"
start_receiver B --script 429 --retry-after 2
pl_cli ship -d "$PL_DB" --endpoint "$RECV_URL_B" > b.out 2> b.err || { cat b.err >&2; fail "ship after 429"; }
assert_contains b.err "HTTP 429"
assert_contains b.err "Retry-After"
"$PY" "$ROOT/tests/integration/check_ship.py" delivered "$PL_DB" "$RECV_LOG_B" || fail "429 delivery"
"$PY" - "$RECV_LOG_B" <<'PY' || fail "Retry-After honoured"
import json, sys
at = [json.loads(l)["at"] for l in open(sys.argv[1])]
assert len(at) == 2 and at[1] - at[0] >= 1.9, at
PY

note "400: stop at once, say why, keep the cursor"
start_receiver C --then 400
pl_cli ship -d "$PL_DB" --endpoint "$RECV_URL_C" > c.out 2> c.err
assert_eq "$?" 1 "ship exits 1 on 400"
assert_eq "$(grep -c . "$RECV_LOG_C")" 1 "no retry after 400"
assert_contains c.err "rejected the batch with HTTP 400: {\"code\":3,\"message\":\"test receiver answers 400\"}"
assert_eq "$(db_query "select count(*) from ship_cursors where destination like '%$RECV_URL_C%'")" 0 "cursor untouched"

note "connection refused: retried, then gives up after --max-attempts"
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pl_cli ship -d "$PL_DB" --endpoint "http://127.0.0.1:$port" --max-attempts 2 > d.out 2> d.err
assert_eq "$?" 1 "gives up"
assert_contains d.err "connection failed"
assert_contains d.err "gave up after 2 attempts"

note "--batch 2: five calls in three requests, cursor advanced per batch"
start_receiver D
pl_cli ship -d "$PL_DB" --endpoint "$RECV_URL_D" --batch 2 > e.out 2> e.err || fail "batched ship"
assert_eq "$(grep -c . "$RECV_LOG_D")" 3 "three batches"
assert_eq "$(grep -c '^sent' e.out)" 3 "three progress lines"
"$PY" "$ROOT/tests/integration/check_ship.py" delivered "$PL_DB" "$RECV_LOG_D" || fail "batched delivery"

note "413 for more than 2 spans: the batch is halved until it fits, nothing lost"
start_receiver F --max-spans 2
pl_cli ship -d "$PL_DB" --endpoint "$RECV_URL_F" --batch 5 > h.out 2> h.err || { cat h.err >&2; fail "413 halving"; }
assert_contains h.err "HTTP 413 for 5 calls; sending 2 per request"
"$PY" "$ROOT/tests/integration/check_ship.py" delivered "$PL_DB" "$RECV_LOG_F" || fail "413 delivery"

note "partial success is reported, not resent (protobuf and JSON responses)"
start_receiver G --partial 1
pl_cli ship -d "$PL_DB" --endpoint "$RECV_URL_G" > i.out 2> i.err || fail "partial success"
assert_contains i.err "accepted the batch but dropped 1 spans: test receiver drops spans (not resent)"
assert_eq "$(grep -c . "$RECV_LOG_G")" 1 "partial success not resent"
start_receiver H --partial 2
pl_cli ship -d "$PL_DB" --endpoint "$RECV_URL_H" --protocol http/json > j.out 2> j.err || fail "partial success json"
assert_contains j.err "dropped 2 spans: test receiver drops spans"

note "--since in the future ships nothing; usage errors exit 2"
start_receiver E
pl_cli ship -d "$PL_DB" --endpoint "$RECV_URL_E" --since 2999-01-01 > f.out 2> f.err || fail "since"
assert_contains f.out "0 calls sent"
pl_cli ship -d "$PL_DB" --protocol grpc > g.out 2> g.err
assert_eq "$?" 2 "bad protocol is a usage error"
