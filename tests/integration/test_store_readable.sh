#!/usr/bin/env bash
# test_store_readable.sh — the readable store with real programs: a Python agent loop of 50
# turns through the OpenSSL hooks and a curl multi-turn conversation are each one conversation
# with the right parent chain; the bare-sqlite3 transcript of every call shows exactly the
# messages the server received, in order; the extension gives back the exact request bodies;
# and the version-1 fixture, upgraded by a capture, exports the same JSONL as before.
. "$(dirname "$0")/lib.sh"
need sqlite3
start_mock --delay-ms 0

# 1. The agent: 50 turns, each re-sending the whole history.
run_both "$PY" "$ROOT/tests/progs/agent.py" "$MOCK_HTTPS/v1" 50 --seed 7
assert_rc 0
assert_eq "$(db_query 'select count(*) from calls')" 50
assert_eq "$(db_query 'select count(*) from conversations')" 1
assert_eq "$(db_query 'select calls from conversations')" 50
# every call continues the one before it
assert_eq "$(db_query 'select count(*) from calls where id > 1 and parent_id = id - 1 and conversation_id = 1')" 49
assert_eq "$(db_query 'select count(*) from calls where id = 1 and parent_id is null and conversation_id = 1')" 1
# each distinct message once: the system prompt, 50 user turns, one distinct reply text
assert_eq "$(db_query 'select count(*) from messages')" 52
# the transcript of every call is what the server received, then the reply it sent
"$PY" - "$PL_DB" "$MOCK_LOG" <<'PY' || fail "transcript differs from the requests the server received"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
reqs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
reqs = [r for r in reqs if r["path"] == "/v1/chat/completions"][-50:]   # the preloaded run's
for call_id, r in enumerate(reqs, 1):
    sent = json.loads(r["body"])["messages"]
    rows = db.execute("select role, content, side from transcript where call_id = ? order by position",
                      (call_id,)).fetchall()
    got_in = [{"role": ro, "content": c} for ro, c, side in rows if side == "input"]
    out = [(ro, c) for ro, c, side in rows if side == "output"]
    reply = json.loads(r["response"])["choices"][0]["message"]["content"]
    if got_in != sent or out != [("assistant", reply)]:
        sys.exit("call %d: %r / %r" % (call_id, got_in[-2:], out))
PY
# The exact request bodies back through the extension (each one stored against its parent).
assert_eq "$(db_query 'select count(*) from calls where request_ref is not null')" 49
"$PY" - "$PL_DB" "$BUILD/promptlog" "$MOCK_LOG" <<'PY' || fail "extension bodies differ from what was sent"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.enable_load_extension(True)
db.load_extension(sys.argv[2])
reqs = [json.loads(l) for l in open(sys.argv[3]) if l.strip()][-50:]
for call_id, r in enumerate(reqs, 1):
    body, = db.execute("select promptlog_request(?)", (call_id,)).fetchone()
    if body != r["body"]:
        sys.exit("call %d differs" % call_id)
PY
# The export (from the stored messages) and the rebuilt export are the same lines.
export_prompts > fast.jsonl
export_prompts --rebuild > rebuilt.jsonl
assert_lines fast.jsonl 50
assert_file_eq fast.jsonl rebuilt.jsonl "export from stored messages differs from the rebuild"

# 2. curl, turn by turn, as a shell script would hold a conversation. (Under ASan, Debian's curl
#    cannot run with the preloaded runtime: tests/progs/post.py, urllib, stands in.)
client=(curl -sS)
[ "$PL_ASAN" = 1 ] && client=("$PY" "$ROOT/tests/progs/post.py")
sys='{"role":"system","content":"You answer in one line."}'
u1='{"role":"user","content":"What is a mutex?"}'
a1='{"role":"assistant","content":"This is a test."}'
u2='{"role":"user","content":"And a semaphore?"}'
for msgs in "[$sys,$u1]" "[$sys,$u1,$a1,$u2]"; do
    run_pre PROMPTLOG_NAMESPACE=shell "${client[@]}" --cacert "$MOCK_CA" "$MOCK_HTTPS/v1/chat/completions" \
        -d "{\"model\":\"gpt-4o-mini\",\"messages\":$msgs}"
done
ids="$(db_query "select group_concat(id) from calls where namespace = 'shell'")"
first="${ids%,*}"; second="${ids#*,}"
assert_eq "$(db_query "select parent_id from calls where id = $second")" "$first" "curl turn 2 continues turn 1"
assert_eq "$(db_query "select count(*) from transcript where call_id = $second")" 5

# 3. The version-1 fixture: a capture upgrades it; its export is unchanged.
cp "$ROOT/tests/fixtures/v1/v1.db" v1.db
pl_cli export prompts v1.before.jsonl -d "$T/v1.db" || fail "export of the v1 file"
assert_file_eq v1.before.jsonl "$ROOT/tests/fixtures/v1/v1.chat.jsonl"
run_pre PROMPTLOG_DATABASE="$T/v1.db" "$PY" "$ROOT/tests/progs/agent.py" "$MOCK_HTTPS/v1" 1
assert_eq "$(sqlite3 v1.db 'pragma user_version')" 4 "capture upgraded the file"
pl_cli export prompts v1.after.jsonl -d "$T/v1.db" || fail "export after the upgrade"
head -n 12 v1.after.jsonl > v1.after12.jsonl
assert_file_eq v1.after12.jsonl "$ROOT/tests/fixtures/v1/v1.chat.jsonl" "the upgrade changed the export"
pl_cli export prompts v1.text.jsonl --type text -d "$T/v1.db" || fail "text export after the upgrade"
assert_file_eq v1.text.jsonl "$ROOT/tests/fixtures/v1/v1.text.jsonl"
