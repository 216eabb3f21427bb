#!/usr/bin/env bash
# test_curl_multi.sh — the libcurl multi interface: `curl --parallel` and examples/multi_libcurl record
# each transfer exactly once with exact content; examples/edge_libcurl's callback edge cases
# (pause, short write, read-callback upload, reuse, duphandle, early removal) see identical bytes.
. "$(dirname "$0")/lib.sh"
curl_host
start_mock
url="$MOCK_HTTPS/v1/chat/completions"
req() { printf '{"model":"%s","messages":[{"role":"user","content":"%s"}]%s}' "$1" "$2" "${3:-}"; }
r1=$(req gpt-4o-mini "one" ',"stream":true,"stream_options":{"include_usage":true}')
r2=$(req gpt-4o "two")
r3=$(req gpt-4 "three" ',"stream":true')

# curl --parallel: three LLM transfers and one non-LLM transfer, each to its own file so the
# output does not depend on the interleaving.
run_both "${CURL[@]}" -sS --no-progress-meter -Z --parallel-max 4 --cacert "$MOCK_CA" \
    "$url" -d "$r1" -o out1 --next -sS --cacert "$MOCK_CA" "$url" -d "$r2" -o out2 \
    --next -sS --cacert "$MOCK_CA" "$url" -d "$r3" -o out3 --next -sS --cacert "$MOCK_CA" "$MOCK_HTTPS/other" -o out4
assert_rc 0
export_prompts > prompts.jsonl
assert_lines prompts.jsonl 3 "one record per parallel LLM transfer, none for /other"
for i in 1 2 3; do
    model=$(printf '%s' "$(eval echo \"\$r$i\")" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["model"])')
    idx=$("$PY" - "$model" <<'PYEOF'
import json, sys
for i, line in enumerate(open("prompts.jsonl")):
    if json.loads(line)["model"] == sys.argv[1]:
        print(i)
PYEOF
)
    [ -n "$idx" ] || fail "no record for $model"
    check chat prompts.jsonl --index "$idx" --request-json "$(eval echo \"\$r$i\")" --response "out$i"
done
assert_eq "$(db_query 'select count(*) from calls where source = "curl"')" 3 "recorded by the libcurl layer"

# The multi interface from a C program: responses printed in argument order.
rm -f "$PL_DB"
run_both PROMPTLOG_EXAMPLE_CAINFO="$MOCK_CA" "$PL_EXAMPLES/multi_libcurl" "$url" "$r1" "$r2" "$r3"
assert_rc 0
export_prompts > multi.jsonl
assert_lines multi.jsonl 3 "multi_libcurl: one record per handle"
assert_eq "$(db_query 'select count(distinct model) from calls')" 3

# Callback edge cases: identical program output with and without the preload, and a record
# for each completed LLM call.
for mode in pause read reuse dup headerdata; do
    rm -f "$PL_DB"
    run_both PROMPTLOG_EXAMPLE_CAINFO="$MOCK_CA" "$PL_EXAMPLES/edge_libcurl" "$url" "$mode"
    assert_rc 0 "edge_libcurl $mode"
    n=$(db_query 'select count(*) from calls')
    [ "$n" -ge 1 ] || fail "edge_libcurl $mode: no record"
    assert_eq "$(db_query 'select count(*) from calls where status = 200 and incomplete = 0')" "$n" "edge_libcurl $mode: complete records"
done
rm -f "$PL_DB"
run_both PROMPTLOG_EXAMPLE_CAINFO="$MOCK_CA" "$PL_EXAMPLES/edge_libcurl" "$url" short
assert_rc 1 "short write fails as without the preload"
rm -f "$PL_DB"
run_both PROMPTLOG_EXAMPLE_CAINFO="$MOCK_CA" "$PL_EXAMPLES/edge_libcurl" "$url" removeearly
