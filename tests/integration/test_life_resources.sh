#!/usr/bin/env bash
# test_life_resources.sh — issue 6 §4: bounded resources. PROMPTLOG_MAX_BODY caps each stored
# body (flagged truncated, the program still gets everything); children inherit no descriptor
# of ours (O_CLOEXEC); the database and its WAL/SHM are created mode 0600 even under umask 0;
# valgrind finds no leak or memory error in our frames (libcurl example under the preload).
. "$(dirname "$0")/lib.sh"
need sqlite3
curl_host
"$PY" -c 'import requests' 2>/dev/null || skip "needs python3-requests"
start_mock --delay-ms 0
url="$MOCK_HTTPS/v1/chat/completions"

# 1. Body cap, through libcurl (curl) and through OpenSSL (Python), stream and not.
big="$(head -c 6000 /dev/zero | tr '\0' x)"
req="{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"$big\"}]}"
sreq="{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"$big\"}]}"
run_both PROMPTLOG_MAX_BODY=512 "${CURL[@]}" -sS --cacert "$MOCK_CA" -d "$req" "$url"
assert_file_eq "$ROOT/tests/fixtures/openai_chat_nonstream.json" "$OUT" "the program gets the whole body"
run_both PROMPTLOG_MAX_BODY=512 "${CURL[@]}" -sS --cacert "$MOCK_CA" -d "$sreq" "$url"
[ "$(wc -c < "$OUT")" -gt 1024 ] || fail "the stream reached the program cut (run_both compared it too)"
printf '%s' "$sreq" > sreq.json
run_both PROMPTLOG_MAX_BODY=512 "$PY" -c 'import requests, sys
r = requests.post(sys.argv[1], data=open(sys.argv[3], "rb").read(), verify=sys.argv[2], headers={"Content-Type": "application/json"})
sys.stdout.write("%d %d\n" % (r.status_code, len(r.content)))' "$url" "$MOCK_CA" sreq.json
sqlite3 "$PL_DB" 'select request_size, response_size, truncated from calls' > sizes.txt
assert_lines sizes.txt 3 "three records"
awk -F'|' '$1 > 512 || $2 > 512 || $3 != 1 { bad = 1 } END { exit bad }' sizes.txt ||
    { cat sizes.txt >&2; fail "a stored body exceeds PROMPTLOG_MAX_BODY=512 or is not flagged truncated"; }
# The default cap leaves normal bodies alone.
run_pre "${CURL[@]}" -sS --cacert "$MOCK_CA" -d "$req" "$url"
assert_eq "$(sqlite3 "$PL_DB" 'select request_size, truncated from calls order by id desc limit 1')" "${#req}|0" "default cap: whole body, not truncated"

# 2. No descriptor of ours in children (vfork+exec and fork+exec after a capture).
run_plain "$PY" "$ROOT/tests/progs/fds.py" "$url" "$MOCK_CA"
plain_fds="$(sed 's/[0-9]\+/N/g' "$OUT" | sort)"
run_pre "$PY" "$ROOT/tests/progs/fds.py" "$url" "$MOCK_CA"
assert_rc 0 "fds.py"
assert_not_contains "$OUT" "prompts.db" "a child inherited the database descriptor"
# Same descriptors as without the preload (numbers and run paths aside).
assert_eq "$(sed 's/[0-9]\+/N/g; s/pre\.\(out\|err\)/plain.\1/; s/run[N]*/run/' "$OUT" | sort)" \
    "$(echo "$plain_fds" | sed 's/run[N]*/run/')" "children's descriptors with and without the preload"
[ "$(db_query 'select count(*) from calls where prompt_preview = "fds"')" = 1 ] || fail "fds.py call not captured"

# 3. Mode 0600, whatever the umask.
run_pre PROMPTLOG_DATABASE="$T/umask0.db" bash -c 'umask 0 && exec "$@"' x "${CURL[@]}" -sS --cacert "$MOCK_CA" -d "$req" "$url"
assert_file "$T/umask0.db"
for f in umask0.db umask0.db-wal umask0.db-shm; do
    [ -e "$f" ] || continue
    assert_eq "$(stat -c %a "$f")" 600 "mode of $f"
done

# 4. Leaks and memory errors in our frames, under valgrind (the ASan build checks its own way).
if [ "$PL_ASAN" = 1 ]; then
    note "ASan build: valgrind part skipped"
elif command -v valgrind >/dev/null 2>&1; then
    for args in "$url" "$url {\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"v\"}]}"; do
        # shellcheck disable=SC2086
        timeout -k 5 120 env PROMPTLOG_DATABASE="$PL_DB" PROMPTLOG_EXAMPLE_CAINFO="$MOCK_CA" LD_PRELOAD="$PL_LIB" \
            valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --num-callers=40 \
            --log-file=vg.log "$PL_EXAMPLES/chat_libcurl" $args >vg.out 2>vg.err </dev/null
        # Every valgrind report block (leak record or error) that has a frame in our library.
        ours="$(awk '/^==[0-9]+== *$/ { if (blk ~ /libpromptlog/) print blk; blk = ""; next }
                     { blk = blk "\n" $0 } END { if (blk ~ /libpromptlog/) print blk }' vg.log)"
        if [ -n "$ours" ]; then
            echo "$ours" | head -60 >&2
            fail "valgrind: leak or memory error in libpromptlog frames"
        fi
    done
    assert_eq "$(db_query 'select count(*) from calls where program = "chat_libcurl"')" 2 "valgrind runs captured"
else
    note "no valgrind: leak part skipped"
fi
exit 0
