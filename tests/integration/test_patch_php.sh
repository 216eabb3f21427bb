#!/usr/bin/env bash
# test_patch_php.sh — PHP's curl extension, which PHP loads with RTLD_DEEPBIND (its libcurl calls
# never reach an LD_PRELOAD hook): the dlopen hook GOT-patches it before dlopen returns. curl_exec,
# curl_multi_exec with two handles (one streamed), a CURLOPT_WRITEFUNCTION callback, and the
# https stream wrapper; each recorded exactly once (libcurl layer for curl, OpenSSL for streams),
# same output with and without the preload, export equal to what the mock received and sent.
. "$(dirname "$0")/api_lib.sh"
need php
skip_under_asan "the ASan runtime refuses RTLD_DEEPBIND, so php cannot run under it (with or without promptlog)"
php -r 'exit(function_exists("curl_init") ? 0 : 1);' || skip "needs php-curl"
start_mock
CLIENT="$ROOT/tests/progs/php_client.php"

# php_call NAME MODE CALLS: NAME.N.req/.out are what the mock received and sent for each call.
php_call() {
    local name="$1" mode="$2" calls="$3" before after i
    before="$(_api_rows)"
    : > "$MOCK_LOG"
    run_both MOCK_CA="$MOCK_CA" php "$CLIENT" "$mode" "$MOCK_HTTPS"
    assert_rc 0 "$name: exit code"
    cp "$OUT" "$name.stdout"
    after="$(_api_rows)"
    [ "$after" = "$((before + calls))" ] || fail "$name: $((after - before)) calls rows added, expected $calls"
    # The mock logs both runs: the second half is the preloaded run's requests.
    local n
    n="$(grep -c . "$MOCK_LOG")"
    [ "$n" = "$((2 * calls))" ] || fail "$name: the mock saw $n requests, expected $((2 * calls))"
    for i in $(seq 1 "$calls"); do
        tail -n "$((calls - i + 1))" "$MOCK_LOG" | head -1 > one.jsonl
        "$PY" "$ROOT/tests/integration/check.py" requests one.jsonl --field body --raw > "$name.$i.req"
        "$PY" "$ROOT/tests/integration/check.py" requests one.jsonl --raw > "$name.$i.out"
        # rows of one process are in commit order; match each request to its row by its body
        local id user
        user="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("user",""))' "$name.$i.req")"
        if [ -n "$user" ]; then
            id="$(db_query "select id from calls where id > $before and request_size = $(stat -c %s "$name.$i.req") order by id" | head -1)"
        else
            id="$((before + i))"
        fi
        printf '%s\t%s\t%s\t%s\t%s\n' "$name.$i" openai-chat "$id" 200 /v1/chat/completions >> "$T/api_calls.tsv"
    done
}
php_call exec exec 1
php_call multi multi 2
php_call writefunction writefunction 1
php_call stream stream 1
assert_contains writefunction.stdout 'data: [DONE]' "the write callback saw the stream"
api_check_all
assert_eq "$(db_query "select group_concat(source, ',') from calls order by id")" "curl,curl,curl,curl,openssl"
assert_eq "$(db_query "select count(*) from calls where incomplete=0 and status=200")" 5
assert_not_contains "$PL_DB" "sk-test-php-secret" "the API key is not stored"

# The curl extension was reached through its patched import slots.
PROMPTLOG_DEBUG=1 PROMPTLOG_DATABASE="$T/dbg.db" MOCK_CA="$MOCK_CA" LD_PRELOAD="$PL_PRELOAD" \
    php "$CLIENT" exec "$MOCK_HTTPS" >/dev/null 2>dbg.err
assert_contains dbg.err "patch: deep-bound /usr/lib/php/"
assert_contains dbg.err "curl.so: "

# PROMPTLOG_PATCH=0: curl_exec runs the same and is not captured (the stream wrapper still is).
rm -f "$PL_DB"
run_both PROMPTLOG_PATCH=0 MOCK_CA="$MOCK_CA" php "$CLIENT" exec "$MOCK_HTTPS"
assert_rc 0
assert_no_file "$PL_DB" "PROMPTLOG_PATCH=0 leaves the deep-bound curl extension alone"
