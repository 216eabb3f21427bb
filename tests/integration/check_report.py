#!/usr/bin/env python3
# check_report.py — compares what report_check.js read from a report page in Chromium with the
# CLI's own answers: every overview number and every per-model row with `stats --json` (the
# value the page holds and the text it shows), the prompt versions with `prompts --json` and each
# diff with `diff --prompt`, and the slowest / most expensive / failed tables with `list --json`.
# usage: check_report.py PAGE.json DB   (runs $PL_CLI; pl_cli's timeout is not needed here)
import json
import math
import os
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal

page = json.load(open(sys.argv[1]))
db = sys.argv[2]
cli = os.environ["PL_CLI"]


def run(*args):
    return subprocess.run([cli, *args, "-d", db], check=True, capture_output=True, text=True, timeout=120).stdout


def to_fixed(v, digits):
    """JavaScript's Number.prototype.toFixed: the exact binary value, ties away from zero."""
    return str(Decimal(v).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


# the page's formatting (report_template.html: fmtInt, fmtSec, fmtCost); '–' for unknown
def fmt(key, v):
    if v is None:
        return "–"
    if key.startswith(("latency", "ttft")):
        return to_fixed(v * 1000, 0) + " ms" if v < 1 else to_fixed(v, 2) + " s"
    if key == "cost_usd":
        return "$" + to_fixed(v, 4)
    return f"{int(v):,}"


def same(key, got, want):
    if want is None or got is None:
        return got is None and want is None
    if key == "cost_usd":   # summed in another order: equal but for rounding
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)
    return got == want      # counts, and percentiles picked from the same stored doubles


assert page["requests"] == [], ("the page made requests", page["requests"])
assert page["console_errors"] == [], page["console_errors"]

stats = json.loads(run("stats", "--json"))
KEYS = ("calls", "errors", "input_tokens", "output_tokens", "cost_usd", "latency_p50", "latency_p95",
        "ttft_p50", "ttft_p95")

# the overview: every number it shows is in stats' total, and every total number is shown
total, shown = stats["total"], page["stats"]
for k in KEYS:
    assert k in shown, ("the overview does not show", k)
    assert same(k, shown[k]["value"], total[k]), ("overview", k, shown[k], total[k])
    assert shown[k]["text"] == fmt(k, total[k]), ("overview text", k, shown[k]["text"], fmt(k, total[k]))
if total["calls_without_cost"]:
    assert shown["calls_without_cost"]["value"] == total["calls_without_cost"], (shown.get("calls_without_cost"), total)
else:
    assert "calls_without_cost" not in shown, shown
assert set(shown) <= set(KEYS) | {"calls_without_cost"}, ("an overview number stats does not have", set(shown))

# the table per namespace, provider and model: the same groups, every number equal
want = {(g["namespace"] or "", g["provider"] or "", g["model"] or ""): g for g in stats["groups"]}
got = {(g["namespace"]["value"], g["provider"]["value"], g["model"]["value"]): g for g in page["groups"]}
assert set(got) == set(want), ("per-model rows differ from stats", sorted(got), sorted(want))
for key, g in got.items():
    for k in KEYS:
        assert same(k, g[k]["value"], want[key][k]), ("group", key, k, g[k], want[key][k])
        assert g[k]["text"] == fmt(k, want[key][k]), ("group text", key, k, g[k]["text"])

# prompt versions: those of `prompts --json`, with the diff `diff --prompt` prints
versions = [json.loads(l) for l in run("prompts", "--json").splitlines() if l.strip()]
want_v = {(v["namespace"], v["version"]): v for v in versions}
got_v = {(p["namespace"], p["version"]): p for p in page["prompts"]}
assert set(got_v) == set(want_v), ("prompt versions differ from `prompts`", sorted(got_v), sorted(want_v))
for (ns, v), p in got_v.items():
    w = want_v[(ns, v)]
    assert p["header"].startswith(f"v{v} · {w['calls']:,} calls"), (p["header"], w)
    assert (w["system_prompt"] or "(none: a tool list only)") == p["system"], (p["system"], w["system_prompt"])
    assert all(t in p["header"] for t in w["tools"]), (p["header"], w["tools"])
    if v == 1:
        assert p["diff"] is None, p
    else:
        cli_diff = run("diff", "--prompt", "-n", ns, str(v - 1), str(v))
        assert cli_diff and p["diff"] == cli_diff, ("diff of", ns, v, p["diff"], cli_diff)

# the outlier tables, from `list --json` (newest first)
calls = [json.loads(l) for l in run("list", "--json", "-l", "0").splitlines() if l.strip()]
by_id = {c["id"]: c for c in calls}
assert len(by_id) == total["calls"], (len(by_id), total["calls"])
slow = sorted((c for c in calls if c["duration"] is not None), key=lambda c: -c["duration"])[:20]
assert [by_id[i]["duration"] for i in page["slowest"]] == [c["duration"] for c in slow], "slowest"
costly = sorted(calls, key=lambda c: -(c["cost_usd"] or 0))[:20]
assert [by_id[i]["cost_usd"] or 0 for i in page["expensive"]] == [c["cost_usd"] or 0 for c in costly], "most expensive"
failed = sorted((c["id"] for c in calls if (c["status"] or 0) >= 400 or c["error"]), reverse=True)
assert page["failed"] == failed[:25], ("failed", page["failed"], failed[:25])
assert page["failed_total"] == ("none" if not failed else f"{len(failed):,} rows"), page["failed_total"]

print("page equals the CLI: %d calls, %d groups, %d prompt versions, %d failed; load %d ms, ready %.0f ms"
      % (total["calls"], len(got), len(got_v), len(failed), page["load_ms"], page["ready_ms"]))
