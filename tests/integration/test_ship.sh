#!/usr/bin/env bash
# test_ship.sh — `prompt-logger ship` sends real captured calls as OTLP/HTTP GenAI spans: a test
# receiver decodes them with the official protobuf definitions; every attribute is compared with
# the database and with what the mock server received and answered. Content only with --content;
# gzip on the wire; http/json too; the cursor stops a second run from resending; the OTLP headers
# reach the collector but never our output or the database.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/ship_lib.sh"
node_deps
start_mock
set_post
chat="$MOCK_HTTPS/v1/chat/completions"
c() { run_pre "$@"; assert_rc 0 "captured call"; }
c "${POST[@]}" "$chat" -d '{"model":"gpt-4o-mini","temperature":0.3,"max_tokens":50,"seed":7,"top_p":0.9,"stop":["END"],"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say this is a test"}]}'
c "${POST[@]}" "$chat" -d '{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"stream please"}]}'
c "${POST[@]}" "$chat" -d '{"model":"gpt-4o-mini","presence_penalty":0.5,"messages":[{"role":"user","content":"weather in Paris?"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather by city","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}'
c "${POST[@]}" "$MOCK_HTTPS/v1/messages" -d '{"model":"claude-3-5-sonnet","max_tokens":64,"system":"Be brief.","messages":[{"role":"user","content":"hello claude"}]}'
run_pre "${POST[@]}" "$chat" -d '{"model":"missing-model","messages":[{"role":"user","content":"x"}]}'
c PROMPTLOG_NAMESPACE=team-b "${POST[@]}" "$chat" -d '{"model":"gpt-4o","messages":[{"role":"user","content":"from team b"}]}'
# a two-turn agent in one process: the second request resends the history with the tool result
# (one trace, the second call under the first, once the store records conversations)
cat > agent.py <<'PY'
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
def post(body):
    req = urllib.request.Request(sys.argv[1], json.dumps(body).encode(), {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, context=ctx))
msgs = [{"role": "user", "content": "Weather in Lisbon?"}]
r1 = post({"model": "gpt-4o-mini", "messages": msgs, "tools": [{"type": "function", "function": {"name": "get_current_weather"}}]})
msgs.append(r1["choices"][0]["message"])
for tc in r1["choices"][0]["message"]["tool_calls"]:
    msgs.append({"role": "tool", "tool_call_id": tc["id"], "content": "sunny"})
print(post({"model": "gpt-4o-mini", "messages": msgs})["choices"][0]["message"]["content"])
PY
c "$PY" agent.py "$chat" "$MOCK_CA"
assert_eq "$(db_query 'select count(*) from calls')" 8 "eight captured calls"

SECRET="sk-otlp-SECRET-$$-header"
export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20$SECRET, x-tenant = team1"

start_receiver A
pl_cli ship -d "$PL_DB" --endpoint "$RECV_URL_A" > ship.out 2> ship.err
assert_eq "$?" 0 "ship exits 0"
assert_contains ship.out "8 calls sent to $RECV_URL_A/v1/traces"
"$PY" "$ROOT/tests/integration/check_ship.py" spans "$PL_DB" "$MOCK_LOG" "$RECV_LOG_A" || fail "spans"
"$PY" - "$RECV_LOG_A" "$SECRET" <<'PY' || fail "wire format"
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    h = e["headers"]
    assert h["content-encoding"] == "gzip", h
    assert h["content-type"] == "application/x-protobuf", h
    assert h["authorization"] == "Bearer " + sys.argv[2], "OTEL_EXPORTER_OTLP_HEADERS value percent-decoded"
    assert h["x-tenant"] == "team1", h
    assert e["compressed_size"] < e["size"], "gzip actually compresses"
    assert all(s["scope"] == "promptlog" for s in e["spans"])
PY

note "a second run finds the cursor and sends nothing"
pl_cli ship -d "$PL_DB" --endpoint "$RECV_URL_A" > ship2.out 2> ship2.err || fail "second ship"
assert_contains ship2.out "0 calls sent"
assert_eq "$(grep -c . "$RECV_LOG_A")" 1 "one request in all"
assert_eq "$(db_query 'select count(*) from ship_cursors')" 1 "one cursor row"
assert_eq "$(db_query 'select last_id from ship_cursors')" 8 "cursor at the last id"

note "--content, --namespace, OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is)"
start_receiver B
OTEL_SERVICE_NAME=agent-x OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="$RECV_URL_B/v1/traces" \
    pl_cli ship -d "$PL_DB" --content -n default > ship3.out 2> ship3.err || fail "ship --content"
"$PY" "$ROOT/tests/integration/check_ship.py" spans "$PL_DB" "$MOCK_LOG" "$RECV_LOG_B" --content --service agent-x --ns default || fail "content spans"

note "--protocol http/json, no compression"
start_receiver C
pl_cli ship -d "$PL_DB" --endpoint "$RECV_URL_C/" --protocol http/json --compression none > ship4.out 2> ship4.err || fail "ship json"
"$PY" "$ROOT/tests/integration/check_ship.py" spans "$PL_DB" "$MOCK_LOG" "$RECV_LOG_C" || fail "json spans"
"$PY" -c 'import json,sys; e=json.loads(open(sys.argv[1]).readline()); assert e["headers"]["content-type"]=="application/json" and "content-encoding" not in e["headers"], e["headers"]' "$RECV_LOG_C" || fail "json headers"

note "the header secret is nowhere but on the wire"
for f in ship*.out ship*.err; do assert_not_contains "$f" "$SECRET" "secret in $f"; assert_not_contains "$f" "x-tenant" "header name in $f"; done
db_query 'pragma wal_checkpoint(truncate)' > /dev/null
for f in "$PL_DB"*; do assert_not_contains "$f" "$SECRET" "secret in $f"; done
assert_eq "$(db_query 'select count(*) from ship_cursors')" 3 "three destinations, three cursors"
