#!/usr/bin/env bash
# test_report.sh — `prompt-logger report` on real captured calls, opened in headless Debian
# Chromium (playwright-core): no console errors, no request, the overview and per-model numbers
# equal `prompt-logger stats` (and latency percentiles equal the database's), clicking a
# conversation shows its messages and tool calls; a screenshot is kept in $BUILD/test-artifacts.
# Then 10,000 synthetic calls (inserted through the store API) render in under 2 s, in < 5 MB.
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
pl_cli stats -d "$PL_DB" > stats.txt || fail "stats"

cat > compare.py <<'PY'
import json, math, sqlite3, sys
page = json.load(open(sys.argv[1])); stats = open(sys.argv[2]).read().splitlines(); db = sys.argv[3]
assert page["requests"] == [], ("the page made requests", page["requests"])
assert page["console_errors"] == [], page["console_errors"]
# `stats` text: columns found by their header names (NAMESPACE PROVIDER MODEL CALLS ERRORS
# IN_TOKENS OUT_TOKENS ...); the total line has no namespace/provider/model cells.
head = stats[0].split()
col = {k: head.index(k) for k in ("NAMESPACE", "PROVIDER", "MODEL", "CALLS", "ERRORS", "IN_TOKENS", "OUT_TOKENS")}
nums = ("CALLS", "ERRORS", "IN_TOKENS", "OUT_TOKENS")
def num(x):   # stats shows an unknown token count as '-'; the page counts it as 0
    return 0 if x == "-" else int(x)
groups, total = {}, None
for line in stats[1:]:
    f = line.split()
    if f and f[0] == "*":
        continue          # stats' footnote on calls without a known price
    if f and f[0] == "total":
        total = [num(f[col[k] - 2]) for k in nums]
    elif f:
        groups[(f[col["NAMESPACE"]], f[col["PROVIDER"]], f[col["MODEL"]])] = [num(f[col[k]]) for k in nums]
got = {(g["namespace"], g["provider"], g["model"]): [int(g[k]) for k in ("calls", "errors", "input_tokens", "output_tokens")] for g in page["groups"]}
assert got == groups, ("per-model rows differ from stats", got, groups)
s = page["stats"]
assert [s["calls"], s["errors"], s["input_tokens"], s["output_tokens"]] == total, (s, total)
def pct(v, p):
    v = sorted(x for x in v if x is not None)
    return v[min(len(v) - 1, math.ceil(p / 100 * len(v)) - 1)] if v else None
con = sqlite3.connect(db)
d = [r[0] for r in con.execute("select duration from calls")]
t = [r[0] for r in con.execute("select ttft from calls")]
for key, want in (("p50_latency", pct(d, 50)), ("p95_latency", pct(d, 95)), ("p50_ttft", pct(t, 50)), ("p95_ttft", pct(t, 95))):
    assert (s[key] is None and want is None) or abs(s[key] - want) < 1e-9, (key, s[key], want)
print("page numbers equal stats: %d calls, %d groups; load %d ms, ready %.0f ms" % (s["calls"], len(groups), page["load_ms"], page["ready_ms"]))
PY
"$PY" compare.py page.json stats.txt "$PL_DB" || fail "page numbers"

"$PY" - page.json "$final" <<'PY' || fail "conversation thread"
import json, sys
th = json.load(open(sys.argv[1]))["thread"]
roles = [m["role"] for m in th]
assert roles[:2] == ["system", "user"] and th[1]["text"] == "Plan a trip to Lisbon", th
assert any("tool call get_current_weather" in t for m in th for t in m["tools"]), ("tool call shown", th)
assert any(m["role"] == "tool" and m["text"] == "sunny in Lisbon" for m in th), th
assert th[-1]["role"] == "assistant" and th[-1]["text"] == sys.argv[2], (th[-1], sys.argv[2])
PY

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
    pl_cli stats -d big.db > big-stats.txt
    "$PY" compare.py big.json big-stats.txt big.db || fail "10k numbers"
    "$PY" -c 'import json,sys; p=json.load(open(sys.argv[1])); assert p["ready_ms"] < 2000, p["ready_ms"]; assert len(p["thread"]) >= 9, p["thread"]' big.json || fail "10k render time"
fi
