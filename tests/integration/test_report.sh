#!/usr/bin/env bash
# test_report.sh — `prompt-logger report` on real captured calls, opened in headless Debian
# Chromium (playwright-core): no console errors, no request; every overview and per-model number
# (calls, errors, tokens, cost, p50/p95 latency and TTFT) equals `stats --json`, the prompt
# versions equal `prompts --json` and each diff equals `diff --prompt`, the slowest / most
# expensive / failed tables equal `list --json` (check_report.py); clicking a conversation shows
# its messages and tool calls; a screenshot is kept in $BUILD/test-artifacts. Then 10,000
# synthetic calls (through the store API) render in under 2 s, in < 5 MB, with the same checks.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/ship_lib.sh"
need cc
[ -x /usr/bin/chromium ] || skip "Debian chromium is not installed"
node_deps
start_mock
set_post
chat="$MOCK_HTTPS/v1/chat/completions"
run_pre "${POST[@]}" "$chat" -d '{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say this is a test"}]}'
run_pre "${POST[@]}" "$chat" -d '{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"stream please"}]}'
run_pre "${POST[@]}" "$MOCK_HTTPS/v1/messages" -d '{"model":"claude-3-5-sonnet","max_tokens":64,"messages":[{"role":"user","content":"hello claude"}]}'
run_pre "${POST[@]}" "$chat" -d '{"model":"missing-model","messages":[{"role":"user","content":"x"}]}'
run_pre PROMPTLOG_NAMESPACE=team-b "${POST[@]}" "$chat" -d '{"model":"gpt-4o","messages":[{"role":"user","content":"from team b"}]}'
# a two-turn agent in one process: the second request resends the history with a tool result
cat > agent.py <<'PY'
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
def post(body):
    req = urllib.request.Request(sys.argv[1], json.dumps(body).encode(), {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, context=ctx))
msgs = [{"role": "system", "content": "You plan trips."}, {"role": "user", "content": "Plan a trip to Lisbon"}]
tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
r1 = post({"model": "gpt-4o-mini", "messages": msgs, "tools": tools})
msgs.append(r1["choices"][0]["message"])
for tc in r1["choices"][0]["message"]["tool_calls"]:
    msgs.append({"role": "tool", "tool_call_id": tc["id"], "content": "sunny in Lisbon"})
r2 = post({"model": "gpt-4o-mini", "messages": msgs})
print(r2["choices"][0]["message"]["content"])
PY
run_pre "$PY" agent.py "$chat" "$MOCK_CA"
assert_rc 0 "agent ran"
final=$(cat "$OUT")
assert_eq "$(db_query 'select count(*) from calls')" 7 "seven captured calls"

pl_cli report -d "$PL_DB" -o report.html > rep.out 2> rep.err || { cat rep.err >&2; fail "report"; }
assert_empty rep.err
mkdir -p "$BUILD/test-artifacts"
node "$ROOT/tests/integration/node/report_check.js" report.html "$BUILD/test-artifacts/report.png" --conv "Plan a trip to Lisbon" > page.json 2> page.err ||
    { cat page.err >&2; fail "browser check"; }
cp "$BUILD/test-artifacts/report.png" "$T/report.png"
"$PY" "$ROOT/tests/integration/check_report.py" page.json "$PL_DB" || fail "the page's numbers, versions and tables"
# the prompt versions of this database: "You are terse." (v1), then the agent's prompt with its
# tool (v2) and without it (v3); the page shows v3's diff as removing the tool
"$PY" - page.json <<'PY' || fail "prompt versions"
import json, sys
pv = {p["version"]: p for p in json.load(open(sys.argv[1]))["prompts"] if p["namespace"] == "default"}
assert sorted(pv) == [1, 2, 3], pv
assert pv[1]["system"] == "You are terse." and pv[2]["system"] == pv[3]["system"] == "You plan trips.", pv
assert "-  You are terse." in pv[2]["diff"] and "+  You plan trips." in pv[2]["diff"], pv[2]["diff"]
lines = pv[3]["diff"].splitlines()
assert any(l.startswith("-") and '"get_weather"' in l for l in lines), lines
assert not any(l.startswith("+") and not l.startswith("+++") for l in lines), lines
PY

"$PY" - page.json "$final" <<'PY' || fail "conversation thread"
import json, sys
th = json.load(open(sys.argv[1]))["thread"]
roles = [m["role"] for m in th]
assert roles[:2] == ["system", "user"] and th[1]["text"] == "Plan a trip to Lisbon", th
assert any("tool call get_current_weather" in t for m in th for t in m["tools"]), ("tool call shown", th)
assert any(m["role"] == "tool" and m["text"] == "sunny in Lisbon" for m in th), th
assert th[-1]["role"] == "assistant" and th[-1]["text"] == sys.argv[2], (th[-1], sys.argv[2])
PY

# the filters: the page's numbers still equal the CLI's under the same -n/--since/--until
# (calls 3 to 6: the first prompt version drops out, the agent's second one too)
t3=$(db_query "select printf('%.3f', started_at - 0.001) from calls where id = 3")
t7=$(db_query "select printf('%.3f', started_at - 0.001) from calls where id = 7")
for filter in "-n default" "--since @$t3 --until @$t7"; do
    # shellcheck disable=SC2086  # the filter is two or four words
    pl_cli report -d "$PL_DB" $filter -o filtered.html || fail "report $filter"
    node "$ROOT/tests/integration/node/report_check.js" filtered.html "$T/filtered.png" > filtered.json 2> page.err ||
        { cat page.err >&2; fail "browser check $filter"; }
    # shellcheck disable=SC2086
    "$PY" "$ROOT/tests/integration/check_report.py" filtered.json "$PL_DB" $filter || fail "report $filter"
done

# a version-1 file (no readable store: no prompt versions) and a database with no call
cp "$ROOT/tests/fixtures/v1/v1.db" v1.db
chmod a-w v1.db   # the report reads only: it must not need to upgrade the file
pl_cli report -d "$T/v1.db" -o v1.html || fail "report of a version-1 file"
node "$ROOT/tests/integration/node/report_check.js" v1.html "$T/v1.png" > v1.json 2> page.err || { cat page.err >&2; fail "browser v1"; }
"$PY" "$ROOT/tests/integration/check_report.py" v1.json "$T/v1.db" || fail "report of a version-1 file"
assert_eq "$(sqlite3 v1.db 'pragma user_version')" 1 "the report left the version-1 file as it was"
# and a window with no call in it
pl_cli report -d "$PL_DB" --since @4000000000 -o empty.html || fail "report of no call"
node "$ROOT/tests/integration/node/report_check.js" empty.html "$T/empty.png" > empty.json 2> page.err || { cat page.err >&2; fail "browser empty"; }
"$PY" "$ROOT/tests/integration/check_report.py" empty.json "$PL_DB" --since @4000000000 || fail "report of no call"

note "10,000 calls through the store API"
skip_10k=0
[ "${PL_ASAN:-0}" = 1 ] && skip_10k=1   # the generator links the plain objects; timing under ASan means nothing
if [ "$skip_10k" = 0 ]; then
    cc -std=c11 -D_GNU_SOURCE -O2 $(pkg-config --cflags libcjson) -o gen_calls "$ROOT/tests/progs/gen_calls.c" \
        $(find "$BUILD/obj/util" "$BUILD/obj/proto" "$BUILD/obj/llm" "$BUILD/obj/store" -name '*.o') \
        $(pkg-config --libs sqlite3 libcjson libzstd zlib libbrotlidec libnghttp2) -ldl -lpthread || fail "build gen_calls"
    ./gen_calls big.db 10000 || fail "gen_calls"
    pl_cli report -d big.db -o big.html || fail "report 10k"
    size=$(stat -c %s big.html)
    note "10k report: $size bytes"
    [ "$size" -lt 5000000 ] || fail "10k report is $size bytes"
    node "$ROOT/tests/integration/node/report_check.js" big.html "$BUILD/test-artifacts/report-10k.png" --conv "task 1999" > big.json 2> big.err ||
        { cat big.err >&2; fail "browser check 10k"; }
    "$PY" "$ROOT/tests/integration/check_report.py" big.json big.db || fail "10k numbers"
    "$PY" - big.json <<'PY' || fail "10k render time"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["ready_ms"] < 2000, p["ready_ms"]
# conversation 1999: five turns linked by the store, the last one's thread has every message
th = p["thread"]
assert [m["role"] for m in th] == ["system", "user"] + ["assistant", "tool"] * 4 + ["assistant"], th
assert sum(1 for m in th for t in m["tools"] if t.startswith("tool call read_file(")) == 4, th
assert sorted(v["version"] for v in p["prompts"]) == [1, 1, 2, 2], p["prompts"]
PY
fi
