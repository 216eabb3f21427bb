#!/usr/bin/env bash
# test_cli_delete_threads.sh — `delete` in conversations captured from real agent loops (each
# request body stored compressed against its parent's, leading messages inherited): by id in
# the middle of a chain, a conversation's root, -c (a whole conversation), --namespace and
# --before. After each, the export of the survivors is the export from before minus the deleted
# lines (from the stored messages and rebuilt from the bodies alike), every surviving request
# body is still byte-identical to what the server received, links are re-pointed, no orphan is
# left and the full-text index matches. Then a capturing process that cached message ids before
# another process deleted them keeps writing whole calls, and a `tail -f` running across a delete
# of the newest calls shows the next call although SQLite gives it a deleted call's id.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/cli_lib.sh"
need sqlite3
start_mock --delay-ms 0
D=(-d "sqlite:///$PL_DB")

run_pre PROMPTLOG_NAMESPACE=a "$PY" "$ROOT/tests/progs/agent.py" "$MOCK_HTTPS/v1" 8 --seed 1   # calls 1..8
assert_rc 0
run_pre PROMPTLOG_NAMESPACE=b "$PY" "$ROOT/tests/progs/agent.py" "$MOCK_HTTPS/v1" 5 --seed 2   # 9..13
assert_rc 0
run_pre PROMPTLOG_NAMESPACE=c "$PY" "$ROOT/tests/progs/agent.py" "$MOCK_HTTPS/v1" 3 --seed 3 --tools   # 14..16
assert_rc 0
assert_eq "$(db_query 'select count(*) from calls')" 16
assert_eq "$(db_query 'select count(*) from calls where request_ref is not null')" 13 "bodies are chained"
# (c re-sends tool-call replies with "content": null: linked, but not inherited)
assert_eq "$(db_query "select count(*) from calls where inherited > 0 and namespace != 'c'")" 11 "messages are inherited"

# line N of the export is call N (oldest first, every namespace)
export_prompts --all-namespaces > all0.jsonl
assert_lines all0.jsonl 16

# the export must be all0.jsonl without the lines of the calls no longer in the database, both
# from the stored messages and rebuilt from the bodies; and each surviving request body is the
# exact bytes the server received (the mock log's line N is call N's request)
survivors_intact() {
    local ids
    ids=$(db_query "select group_concat(id, ' ') from (select id from calls order by id)")
    : > want.jsonl
    for i in $ids; do sed -n "${i}p" all0.jsonl >> want.jsonl; done
    export_prompts --all-namespaces > now.jsonl
    assert_file_eq now.jsonl want.jsonl "export after $1"
    export_prompts --all-namespaces --rebuild > rebuilt.jsonl
    assert_file_eq rebuilt.jsonl want.jsonl "export rebuilt from the bodies after $1"
    "$PY" - "$PL_DB" "$BUILD/promptlog" "$MOCK_LOG" <<'PY' || fail "a surviving body differs after $1"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.enable_load_extension(True)
db.load_extension(sys.argv[2])
reqs = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
for (call_id,) in db.execute("select id from calls where id <= 16"):
    body, = db.execute("select promptlog_request(?)", (call_id,)).fetchone()
    if body != reqs[call_id - 1]["body"]:
        sys.exit("call %d differs" % call_id)
PY
    assert_eq "$(db_query 'pragma integrity_check')" ok "integrity_check after $1"
    assert_eq "$(db_query "select count(*) from messages m where not exists
        (select 1 from call_messages cm where cm.message_id = m.id) and not exists
        (select 1 from calls where system_id = m.id)")" 0 "no orphan messages after $1"
    assert_eq "$(db_query "select count(*) from tool_lists where id not in
        (select tools_id from calls where tools_id is not null)")" 0 "no orphan tool lists after $1"
    assert_eq "$(db_query "select count(*) from header_sets where id not in
        (select request_header_set from calls where request_header_set is not null) and id not in
        (select response_header_set from calls where response_header_set is not null)")" 0 "no orphan header lists after $1"
    assert_eq "$(db_query "select count(*) from calls where (parent_id is not null and parent_id not in (select id from calls))
        or (conversation_id is not null and conversation_id not in (select id from calls))
        or (request_ref is not null and request_ref not in (select id from calls))
        or (response_ref is not null and response_ref not in (select id from calls))")" 0 "no dangling link after $1"
    cli_fts_matches "$1"
}
survivors_intact "nothing"

# 1. a call in the middle of a chain: its child gets its body standalone and the deleted call's
#    messages, and continues the deleted call's parent, still inheriting that one's 7 messages;
#    `show -c` shows it with the turn it took over and its own
cli_err delete 4 "${D[@]}" --yes
assert_rc 0
assert_contains cli.out "deleted 1 call(s)"
assert_eq "$(db_query 'select parent_id, request_ref is null, inherited from calls where id = 5')" "3|1|7"
assert_eq "$(db_query 'select count(*) from call_messages where call_id = 5')" 4
cli_err show -c 5 "${D[@]}"
assert_rc 0
assert_contains cli.out "[continues 3]"
assert_eq "$(grep -c '^  user: turn 4: ' cli.out)" 1 "the deleted call's turn shows once, with call 5"
assert_eq "$(db_query 'select parent_id, request_ref from calls where id = 6')" "5|5" "the grandchild is untouched"
survivors_intact "deleting call 4"

# 2. the root: the oldest survivor roots the conversation
cli_err delete 1 "${D[@]}" --yes
assert_rc 0
assert_eq "$(db_query "select count(distinct conversation_id), min(conversation_id) from calls where namespace = 'a'")" "1|2"
assert_eq "$(db_query 'select parent_id is null from calls where id = 2')" 1
survivors_intact "deleting the root"

# 3. -c ID: the whole conversation of call 11 (calls 9..13), and the messages only it used
cli_err delete -c 11 "${D[@]}" --yes
assert_rc 0
assert_contains cli.out "deleted 5 call(s)"
assert_eq "$(db_query "select count(*) from calls where namespace = 'b'")" 0
survivors_intact "deleting a conversation"
cli_err delete -c "${D[@]}" --yes
assert_rc 2 "-c without an ID"
cli_err delete --conversation=11 "${D[@]}" --yes
assert_rc 1 "--conversation=ID of a deleted call"
assert_contains cli.err "no call with id 11"
cli_err delete --conversation=x "${D[@]}" --yes
assert_rc 2 "a bad --conversation=ID"

# 4. --before (calls 2 and 3 moved into 2020) and --namespace
db_query "update calls set started_at = 1577836800 + id where id in (2, 3)"
cli_err delete --before 2021-01-01 "${D[@]}" --yes
assert_rc 0
assert_contains cli.out "deleted 2 call(s)"
assert_eq "$(db_query "select min(conversation_id), count(distinct conversation_id) from calls where namespace = 'a'")" "5|1"
survivors_intact "--before"
cli_err delete -n c "${D[@]}" --yes --vacuum
assert_rc 0
assert_contains cli.out "deleted 3 call(s)"
assert_contains cli.out "vacuumed:"
assert_eq "$(db_query "select count(*) from tool_lists")" 0 "c's tool list went with it"
survivors_intact "--namespace and --vacuum"
assert_eq "$(db_query "select group_concat(id) from calls")" "5,6,7,8"

# 5. A live capturing process: two turns, then (while it waits) another process deletes them
#    and the messages only they used; its next calls re-send those messages, which its cache
#    says are stored: they must be stored again, and each call's transcript be what was sent.
cat > live.py <<'PY'
import json, os, ssl, sys, time, urllib.request
ctx = ssl.create_default_context(cafile=os.environ["MOCK_CA"])
def post(msgs):
    req = urllib.request.Request(sys.argv[1] + "/chat/completions",
                                 json.dumps({"model": "gpt-4o-mini", "messages": msgs}).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx) as r:
        return {"role": "assistant", "content": json.loads(r.read())["choices"][0]["message"]["content"]}
h = [{"role": "system", "content": "live writer system prompt"}, {"role": "user", "content": "live question one"}]
h.append(post(h))
h += [{"role": "user", "content": "live question two"}]
h.append(post(h))
open("paused", "w").close()
while not os.path.exists("go"):
    time.sleep(0.05)
post(h + [{"role": "user", "content": "live question three"}])
post(h[:2])
PY
timeout -k 5 60 env PROMPTLOG_DATABASE="$PL_DB" PROMPTLOG_NAMESPACE=live LD_PRELOAD="$PL_PRELOAD" \
    "$PY" live.py "$MOCK_HTTPS/v1" > live.out 2> live.err &
live=$!
for i in $(seq 400); do [ -e paused ] && break; sleep 0.05; done
[ -e paused ] || fail "the live writer did not get to its pause"
assert_eq "$(db_query "select count(*) from calls where namespace = 'live'")" 2
cli_err delete -n live "${D[@]}" --yes
assert_rc 0
assert_eq "$(db_query "select count(*) from messages where content like 'live %'")" 0 "its messages are gone"
touch go
wait $live || fail "the live writer failed: $(cat live.err)"
assert_eq "$(db_query "select count(*) from calls where namespace = 'live'")" 2
"$PY" - "$PL_DB" "$MOCK_LOG" <<'PY' || fail "a transcript after the delete differs from what was sent"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
reqs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()][-2:]
ids = [i for (i,) in db.execute("select id from calls where namespace = 'live' order by id")]
for call_id, r in zip(ids, reqs):
    sent = json.loads(r["body"])["messages"]
    rows = db.execute("select role, content from transcript where call_id = ? and side = 'input' order by position",
                      (call_id,)).fetchall()
    if [{"role": ro, "content": c} for ro, c in rows] != sent:
        sys.exit("call %d: %r != %r" % (call_id, rows, sent))
PY
assert_eq "$(db_query 'pragma integrity_check')" ok
cli_fts_matches "the live writer"

# 6. tail -f across a delete of the newest call: the next capture gets the deleted id again
as_fg=("$PY" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])')
"${as_fg[@]}" "$PL_CLI" tail -f --interval 0.1 "${D[@]}" -l 0 --json > follow.jsonl 2> follow.err &
tailpid=$!
sleep 0.5
cli_post PROMPTLOG_NAMESPACE=t1 -d '{"model":"m","messages":[{"role":"user","content":"before the delete"}]}' \
    "$MOCK_HTTPS/v1/chat/completions"
for i in $(seq 50); do [ "$(grep -c . follow.jsonl)" -ge 1 ] && break; sleep 0.1; done
top=$(db_query 'select max(id) from calls')
cli_err delete "$top" "${D[@]}" --yes
assert_rc 0
assert_eq "$(db_query 'select max_id from deletions order by id desc limit 1')" "$((top - 1))" "the log says where ids go on"
cli_post PROMPTLOG_NAMESPACE=t2 -d '{"model":"m","messages":[{"role":"user","content":"after the delete"}]}' \
    "$MOCK_HTTPS/v1/chat/completions"
assert_eq "$(db_query "select id from calls where namespace = 't2'")" "$top" "SQLite handed the id out again"
for i in $(seq 50); do [ "$(grep -c . follow.jsonl)" -ge 2 ] && break; sleep 0.1; done
kill -INT $tailpid
wait $tailpid
"$PY" - follow.jsonl "$top" <<'PY' || { cat follow.jsonl follow.err >&2; fail "tail -f across the delete"; }
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
top = int(sys.argv[2])
assert [(r["id"], r["namespace"]) for r in rows] == [(top, "t1"), (top, "t2")], rows
PY
