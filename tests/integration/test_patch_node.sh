#!/usr/bin/env bash
# test_patch_node.sh — Node.js (OpenSSL inside the executable, called directly, over memory BIOs)
# under the preload: fetch (undici), https.request, http2.connect, and the npm openai and
# @anthropic-ai/sdk packages (chat plain and streamed, tool-call deltas, Anthropic streamed); then
# 16 concurrent streams from one process, and a child node process, each recorded once. Same
# output with and without the preload; each export line equals what the mock received and sent;
# the capture came from the entry patch (node links no shared libssl), not from a PLT hook.
. "$(dirname "$0")/api_lib.sh"
need node npm
skip_under_asan "node under a preloaded ASan runtime is not a supported host"
NODE="$(command -v node)"
case "$(ldd "$NODE")" in
    *libssl*) skip "this node links a shared libssl: the PLT hooks capture it, not the patch" ;;
esac
# The SDKs are test clients from the npm registry, installed once per build directory.
NM="$BUILD/node/node_modules"
if [ ! -d "$NM/openai" ] || [ ! -d "$NM/@anthropic-ai/sdk" ]; then
    mkdir -p "$BUILD/node"
    (cd "$BUILD/node" && npm install --no-audit --no-fund --silent openai@4 @anthropic-ai/sdk) \
        >"$T/npm.log" 2>&1 || { cat "$T/npm.log" >&2; skip "npm install openai @anthropic-ai/sdk failed"; }
fi
start_mock
export NODE_PATH="$NM" NODE_EXTRA_CA_CERTS="$MOCK_CA"
CLIENT="$ROOT/tests/progs/node_client.js"

# node_call NAME API MODE: one run with and without the preload; NAME.req/NAME.out are what the
# mock received and sent, for check_api.py.
node_call() {
    local name="$1" api="$2" mode="$3" before after
    before="$(_api_rows)"
    note "$name: node $mode"
    run_both node "$CLIENT" "$mode" "$MOCK_HTTPS"
    assert_rc 0 "$name: exit code"
    cp "$OUT" "$name.stdout"
    after="$(_api_rows)"
    [ "$after" = "$((before + 1))" ] || fail "$name: $((after - before)) calls rows added, expected 1"
    mock_requests --last --field body --raw > "$name.req"
    mock_requests --last --raw > "$name.out"
    local target
    target="$(mock_requests --last --field target)"
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$api" "$(db_query 'select max(id) from calls')" 200 \
        "$target" >> "$T/api_calls.tsv"
}
node_call fetch openai-chat fetch
node_call fetch_stream openai-chat fetch_stream
node_call https openai-chat https
node_call https_stream openai-chat https_stream
node_call h2 openai-chat h2
node_call sdk_openai openai-chat openai
node_call sdk_openai_stream openai-chat openai_stream
node_call sdk_openai_tools openai-chat openai_tools_stream
node_call sdk_anthropic anthropic anthropic_stream
assert_contains sdk_openai_tools.stdout '"tool_calls":[{"index":0,"function":{"arguments":' "the SDK saw tool-call deltas"
assert_contains sdk_anthropic.stdout "content_block_delta" "the SDK saw the Anthropic stream"
api_check_all
assert_eq "$(db_query "select group_concat(distinct source) from calls")" openssl
assert_eq "$(db_query "select count(*) from calls where incomplete=0 and status=200")" 9 "all complete"
assert_eq "$(db_query "select http_version from calls where id=5")" 20 "http2.connect recorded as HTTP/2"
assert_eq "$(db_query "select finish_reason from calls where id=8")" tool_calls
assert_not_contains "$PL_DB" "sk-test-node-secret" "the API key is not stored"

# Which path: the entry patch on node's own SSL_read/SSL_write.
PROMPTLOG_DEBUG=1 PROMPTLOG_DATABASE="$T/dbg.db" LD_PRELOAD="$PL_PRELOAD" \
    node "$CLIENT" https "$MOCK_HTTPS" >/dev/null 2>dbg.err
assert_contains dbg.err "patch: entry-patched in the executable (exported): SSL_write SSL_write_ex SSL_read SSL_read_ex"
assert_contains dbg.err "(openssl, row 1)"

# 16 concurrent streams from one process: 16 rows, one per request, none cut.
rm -f "$PL_DB"
: > "$MOCK_LOG"
run_both node "$CLIENT" conc16 "$MOCK_HTTPS"
assert_rc 0
assert_eq "$(db_query "select count(*) from calls where stream=1 and incomplete=0 and status=200")" 16
export_prompts > conc.jsonl
assert_lines conc.jsonl 16
users="$("$PY" -c 'import json,sys; print(len({json.loads(l)["generation_kwargs"]["user"] for l in open(sys.argv[1])}))' conc.jsonl)"
assert_eq "$users" 16 "each of the 16 requests recorded once"

# A child node process started by node (fork+exec) patches itself: both calls recorded once.
rm -f "$PL_DB"
run_both node "$CLIENT" spawn "$MOCK_HTTPS"
assert_rc 0
assert_eq "$(db_query "select count(*) from calls where status=200 and incomplete=0")" 2
assert_eq "$(db_query "select count(distinct pid) from calls")" 2 "one row from each process"

# PROMPTLOG_PATCH=0: node runs the same and nothing is captured.
rm -f "$PL_DB"
run_both PROMPTLOG_PATCH=0 node "$CLIENT" https_stream "$MOCK_HTTPS"
assert_rc 0
assert_no_file "$PL_DB" "PROMPTLOG_PATCH=0 leaves node alone"
