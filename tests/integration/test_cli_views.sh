#!/usr/bin/env bash
# test_cli_views.sh — list, show, stats over real captured calls: --json parses (JSONL for list,
# one document for show and stats) with every documented key; --since/--until boundaries
# (inclusive/exclusive, offsets, local time, relative forms) on list, stats and export; one time
# convention (local time with offset) in every view; unknown tokens as '-'; lines fit the
# terminal with long names cut by '…'.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/cli_lib.sh"
cli_fill
D=(-d "sqlite:///$PL_DB")
export TZ=UTC

# --- JSON ---
pl_cli list "${D[@]}" --json > list.jsonl || fail "list --json"
assert_lines list.jsonl 5
"$PY" - list.jsonl <<'PY' || fail "list --json content"
import json, sys
keys = ["id", "namespace", "started_at", "started", "provider", "host", "model", "api", "kind", "status",
        "stream", "incomplete", "truncated", "decode_error", "duration", "ttfb", "ttft", "input_tokens", "output_tokens",
        "cached_input_tokens", "finish_reason", "error", "prompt_preview", "completion_preview", "pid",
        "program", "source", "cost_usd"]
rows = [json.loads(l) for l in open(sys.argv[1])]
for r in rows:
    assert list(r) == keys, list(r)
assert [r["id"] for r in rows] == [1, 2, 3, 4, 5]
assert [r["namespace"] for r in rows] == ["alpha", "alpha", "beta", "beta", "alpha"]
assert rows[0]["provider"] == "openai" and rows[0]["input_tokens"] == 12 and rows[0]["output_tokens"] == 5
assert rows[3]["status"] == 400 and rows[3]["input_tokens"] is None and "mock injected error" in rows[3]["error"]
assert rows[1]["stream"] is True and rows[0]["stream"] is False
assert rows[4]["kind"] == "text"
PY
pl_cli list "${D[@]}" --json -n beta -l 1 > l1.jsonl
assert_eq "$("$PY" -c 'import json,sys; print([json.loads(l)["id"] for l in open(sys.argv[1])])' l1.jsonl)" "[4]" "-n beta -l 1"

pl_cli show 3 "${D[@]}" --json > show.json || fail "show --json"
"$PY" - show.json "$MOCK_LOG" <<'PY' || fail "show --json content"
import json, sys
doc = json.load(open(sys.argv[1]))          # one document
assert doc["id"] == 3 and doc["model"] == "claude-3-haiku-20240307" and doc["api"] == "anthropic.messages"
sent = [json.loads(l) for l in open(sys.argv[2])][2]
assert json.loads(doc["request_body"]) == json.loads(sent["body"]), "request body as the server received it"
assert doc["response_body"].startswith("event: message_start")
assert doc["record"]["messages"][0]["content"] == "Tell me a joke about OpenTelemetry"
assert ["x-api-key", "[REDACTED]"] not in doc["request_headers"]   # none was sent
assert doc["url"].startswith("https://api.anthropic.com:")
PY

pl_cli stats "${D[@]}" --json > stats.json || fail "stats --json"
"$PY" - stats.json <<'PY' || fail "stats --json content"
import json, sys
doc = json.load(open(sys.argv[1]))
t = doc["total"]
assert t["calls"] == 5 and t["errors"] == 1, t
assert t["input_tokens"] == 12 + 12 + 17 + 8 and t["output_tokens"] == 5 + 5 + 171 + 16, t
g = {(x["namespace"], x["provider"], x["model"]): x for x in doc["groups"]}
err = g[("beta", "openai-compatible", "gpt-4o-mini")]
assert err["input_tokens"] is None and err["output_tokens"] is None and err["cost_usd"] is None
assert err["errors"] == 1 and err["calls_without_cost"] == 1
PY

# --- unknown tokens show as '-' in list and stats ---
pl_cli list "${D[@]}" > list.txt
grep -E '^4 ' list.txt | grep -q ' 400  -/- ' || { cat list.txt >&2; fail "list: unknown tokens as -/-"; }
pl_cli stats "${D[@]}" > stats.txt
grep -E '^beta +openai-compatible +gpt-4o-mini +1 +1 +- +- +- ' stats.txt > /dev/null ||
    { cat stats.txt >&2; fail "stats: unknown tokens and cost as -"; }

# --- --since / --until boundaries ---
cli_set_times
ids() { "$PY" -c 'import json,sys; print(",".join(str(json.loads(l)["id"]) for l in sys.stdin))'; }
assert_eq "$(pl_cli list "${D[@]}" --json --since 2026-11-20T11:00Z | ids)" "2,3,4,5" "--since is inclusive"
assert_eq "$(pl_cli list "${D[@]}" --json --until 2026-11-20T11:00Z | ids)" "1" "--until is exclusive"
assert_eq "$(pl_cli list "${D[@]}" --json --since 2026-11-20T10:59:59.999Z --until 2026-11-20T11:00:00.001Z | ids)" "2" "a 2 ms window"
assert_eq "$(pl_cli list "${D[@]}" --json --since 2026-11-21 --until 2026-11-22 | ids)" "4" "dates are midnight"
assert_eq "$(pl_cli list "${D[@]}" --json --since 2026-11-20T12:00+01:00 | ids)" "2,3,4,5" "an explicit offset"
assert_eq "$(TZ=IST-5:30 pl_cli list "${D[@]}" --json --since 2026-11-20T16:30 | ids)" "2,3,4,5" "local time (UTC+05:30)"
assert_eq "$(TZ=IST-5:30 pl_cli list "${D[@]}" --json --since 2026-11-20T16:30:01 | ids)" "3,4,5" "local time, one second later"
assert_eq "$(pl_cli list "${D[@]}" --json -n alpha --since 2026-11-20T10:30Z --until 2026-11-22T10:00Z | ids)" "2" "-n with a window"
now=$(date +%s)
db_query "update calls set started_at = $now - 1800 where id = 5"
assert_eq "$(pl_cli list "${D[@]}" --json --since 1h | ids)" "5" "--since 1h"
assert_eq "$(pl_cli list "${D[@]}" --json --since 10m | ids)" "" "--since 10m"
assert_eq "$(pl_cli list "${D[@]}" --json --since 7d | ids)" "5" "--since 7d (the others are older)"
assert_eq "$(pl_cli list "${D[@]}" --json --until 45m | ids)" "1,2,3,4" "--until 45m"
"$PY" -c 'import json,sys; t=json.load(sys.stdin)["total"]; assert t["calls"]==3, t' \
    < <(pl_cli stats "${D[@]}" --json --since 2026-11-20T11:00Z --until 2026-11-22) || fail "stats --since/--until"
pl_cli export prompts - "${D[@]}" --all-namespaces --since 2026-11-20T11:00Z --until 2026-11-22 > win.jsonl
assert_eq "$(ids < win.jsonl)" "2,3,4" "export --since/--until (chat)"
pl_cli export prompts - "${D[@]}" -n alpha --type text --since 1h > wint.jsonl
assert_eq "$(ids < wint.jsonl)" "5" "export --type text --since 1h"

# --- one time convention everywhere: local time with its offset ---
export TZ=IST-5:30
pl_cli list "${D[@]}" > l.txt
assert_contains l.txt "1      2026-11-20 15:30:00 +05:30" "list"
pl_cli show 1 "${D[@]}" > s.txt
assert_contains s.txt "2026-11-20 15:30:00 +05:30" "show"
pl_cli show 1 "${D[@]}" --json > s.json
assert_contains s.json '"started":"2026-11-20 15:30:00 +05:30"' "show --json"
pl_cli stats "${D[@]}" -n alpha --until 2026-11-21 > st.txt
assert_contains st.txt "2026-11-20 15:30:00 +05:30  2026-11-20 16:30:00 +05:30" "stats first/last"
export TZ=UTC

# --- layout: lines fit the terminal; long names are cut with … ---
long='an-extraordinarily-long-model-name-that-would-push-every-column-out-of-line-v2'
cli_post PROMPTLOG_NAMESPACE=a-namespace-longer-than-its-column \
    -d "{\"model\":\"$long\",\"messages\":[{\"role\":\"user\",\"content\":\"$(printf 'word %.0s' $(seq 60))\"}]}" \
    "$MOCK_HTTPS/v1/chat/completions"
need_pty
for cols in 100 140 200; do
    for cmd in list stats; do
        script -qec "env COLUMNS=$cols $PL_CLI $cmd -d sqlite:///$PL_DB" /dev/null | tr -d '\r' > tty.txt
        "$PY" - tty.txt "$cols" "$cmd" <<'PY' || fail "$cmd at $cols columns"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
cols = int(sys.argv[2])
assert len(lines) >= 3, lines
for l in lines:
    if l.startswith("*"):
        continue          # the stats footnote is prose
    assert len(l) <= cols, (len(l), l)
assert any("…" in l for l in lines), "a long name is cut with …"
assert not any("push-every-column-out-of-line-v2" in l for l in lines)
PY
    done
done
# not a terminal: nothing is cut but the previews (scripts use --json anyway)
pl_cli list "${D[@]}" -l 1 > pipe.txt
assert_contains pipe.txt "a-namespace-longer-than-its-column" "no terminal, full namespace"
