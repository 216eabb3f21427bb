#!/usr/bin/env bash
# test_unwritable_db.sh — a database that cannot be opened changes nothing in the program: same
# stdout bytes, same exit code, nothing on stderr, for streamed and non-streamed LLM calls.
. "$(dirname "$0")/lib.sh"
curl_host
start_mock
url="$MOCK_HTTPS/v1/chat/completions"
stream_req='{"model":"gpt-4","messages":[{"role":"user","content":"hi"}],"stream":true}'
plain_req='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
mkdir dir.db
bad_dbs=(/nonexistent/dir/x.db sqlite:///nonexistent/dir/x.db /proc/promptlog-test.db "$T/dir.db")
for db in "${bad_dbs[@]}"; do
    for req in "$stream_req" "$plain_req"; do
        for proto in --http1.1 --http2; do
            run_both PROMPTLOG_DATABASE="$db" "${CURL[@]}" -sS $proto --cacert "$MOCK_CA" "$url" -d "$req"
            assert_rc 0 "curl with PROMPTLOG_DATABASE=$db"
            assert_empty "$ERR" "stderr with PROMPTLOG_DATABASE=$db"
        done
    done
    # A failing call keeps its own exit code and message (here: a refused connection). The
    # message holds a timing ("after 0 ms") that may differ between the two runs on a busy machine.
    RB_LOOSE_STDERR=1 run_both PROMPTLOG_DATABASE="$db" "${CURL[@]}" -sS "http://127.0.0.1:1/v1/chat/completions" -d "$plain_req"
    assert_rc 7 "curl's own error code survives"
    assert_eq "$(sed 's/after [0-9]* ms/after N ms/' "$ERR")" "$(sed 's/after [0-9]* ms/after N ms/' "$PLAIN_ERR")" \
        "curl's own message survives (timing aside)"
    assert_contains "$ERR" "(7)" "curl said why it failed"
done
assert_no_file /nonexistent
assert_no_file /proc/promptlog-test.db
# And a file that is not a database at all.
printf 'this is not sqlite' > garbage.db
run_both PROMPTLOG_DATABASE="$T/garbage.db" "${CURL[@]}" -sS --cacert "$MOCK_CA" "$url" -d "$plain_req"
assert_rc 0
assert_empty "$ERR"
assert_eq "$(cat garbage.db)" "this is not sqlite" "a foreign file is never overwritten"
