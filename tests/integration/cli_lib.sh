# cli_lib.sh — for the prompt-logger CLI tests (test_cli_*.sh): fills $PL_DB with real captured
# calls. Sourced after lib.sh.
#
# cli_fill  starts the mock and captures, with a Python client under the preload (ids in order):
#   1 alpha  openai             gpt-4o-mini-2024-07-18  chat, non-streamed (Host: api.openai.com)
#   2 alpha  openai-compatible  gpt-4                   chat, streamed with usage (127.0.0.1)
#   3 beta   anthropic          claude-3-haiku-20240307 chat, streamed (Host: api.anthropic.com)
#   4 beta   openai-compatible  gpt-4o-mini             chat, HTTP 400 error (X-Mock-Error: http)
#   5 alpha  openai-compatible  gpt-3.5-turbo-instruct  text (/v1/completions)
# cli_set_times  puts the five calls at fixed instants (UTC): 2026-11-20 10:00:00, 11:00:00,
#   12:00:00, 2026-11-21 10:00:00, 2026-11-22 10:00:00 (for boundary tests).
# cli_err CMD...  runs the CLI, keeping stdout/stderr in cli.out/cli.err and the code in $RC;
#   asserts that stderr is one line when the code is not 0.

# cli_post [VAR=VAL...] [--host H] [-H 'K: V'] -d DATA URL: one captured POST (tests/progs/cli_post.py
# under the preload; a Python host, so it runs in the ASan pass too). Asserts exit 0.
cli_post() {
    local env=()
    while [ $# -gt 0 ] && [[ "$1" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do env+=("$1"); shift; done
    run_pre "${env[@]}" "$PY" "$ROOT/tests/progs/cli_post.py" --cacert "$MOCK_CA" "$@"
    assert_rc 0 "cli_post $*"
}

cli_fill() {
    start_mock --delay-ms 0
    local port="$MOCK_HTTPS_PORT"
    REQ1='{"model":"gpt-4o-mini-2024-07-18","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say this is a test"}],"temperature":0.2}'
    REQ2='{"model":"gpt-4","messages":[{"role":"user","content":"Stream please"}],"stream":true,"stream_options":{"include_usage":true}}'
    REQ3='{"model":"claude-3-haiku-20240307","max_tokens":256,"messages":[{"role":"user","content":"Tell me a joke about OpenTelemetry"}],"stream":true}'
    REQ4='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"this one fails"}]}'
    REQ5='{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test","max_tokens":7}'
    cli_post PROMPTLOG_NAMESPACE=alpha --host "api.openai.com:$port" -H 'Authorization: Bearer sk-cli-test' \
        -d "$REQ1" "$MOCK_HTTPS/v1/chat/completions"
    cli_post PROMPTLOG_NAMESPACE=alpha -d "$REQ2" "$MOCK_HTTPS/v1/chat/completions"
    cli_post PROMPTLOG_NAMESPACE=beta --host "api.anthropic.com:$port" -d "$REQ3" "$MOCK_HTTPS/v1/messages"
    cli_post PROMPTLOG_NAMESPACE=beta -H 'X-Mock-Error: http' -d "$REQ4" "$MOCK_HTTPS/v1/chat/completions"
    cli_post PROMPTLOG_NAMESPACE=alpha -d "$REQ5" "$MOCK_HTTPS/v1/completions"
    assert_eq "$(db_query 'select group_concat(id) from (select id from calls order by id)')" "1,2,3,4,5" "the five calls were captured"
    assert_eq "$(db_query 'select provider from calls where id=1')" "openai" "call 1 is an openai.com call"
    assert_eq "$(db_query 'select provider from calls where id=3')" "anthropic" "call 3 is an anthropic.com call"
    assert_eq "$(db_query 'select status from calls where id=4')" "400" "call 4 is an error"
}

cli_set_times() {
    db_query "update calls set started_at = case id
        when 1 then 1795168800 when 2 then 1795172400 when 3 then 1795176000
        when 4 then 1795255200 when 5 then 1795341600 end"
}

cli_err() {
    pl_cli "$@" > cli.out 2> cli.err
    RC=$?
    if [ "$RC" != 0 ]; then
        [ "$(grep -c . cli.err)" = 1 ] || { cat cli.err >&2; fail "prompt-logger $*: stderr is not one line"; }
    fi
    return 0
}

# cli_fts_matches WHEN: the full-text index holds exactly the messages' texts. Captures index in
# batches (a process's last texts wait for the next batch of any process), so the check runs on a
# copy brought up to date; there every message with text must have its index row and no other,
# and every term must be in as many rows as in an index built afresh from the messages.
cli_fts_matches() {
    rm -f fts.db
    sqlite3 "$PL_DB" ".backup fts.db" || fail "copy for the FTS check"
    local got
    got=$(sqlite3 fts.db "
        insert into messages_fts (rowid, content) select id, content from messages
          where id > (select coalesce(max(id), 0) from messages_fts_docsize) and content is not null and content != '';
        insert into messages_fts (messages_fts) values ('integrity-check');
        create virtual table temp.fresh using fts5(content, detail=none);
        insert into temp.fresh (rowid, content) select id, content from messages where content is not null and content != '';
        create virtual table temp.vs using fts5vocab(main, messages_fts, 'row');
        create virtual table temp.vf using fts5vocab(temp, fresh, 'row');
        select (select count(*) from (select term, doc from temp.vs except select term, doc from temp.vf))
             + (select count(*) from (select term, doc from temp.vf except select term, doc from temp.vs))
             + (select count(*) from (select id from messages_fts_docsize
                  except select id from messages where content is not null and content != ''))
             + (select count(*) from (select id from messages where content is not null and content != ''
                  except select id from messages_fts_docsize));") || fail "FTS check failed after $1"
    assert_eq "$got" 0 "the full-text index matches the messages after $1"
}
