#!/usr/bin/env python3
# check_report.py — compares what report_check.js read from a report page in Chromium with the
# CLI's own answers: every overview number and every per-model row with `stats --json` (the
# value the page holds and the text it shows), the prompt versions with `prompts --json` and each
# diff with `diff --prompt`, and the slowest / most expensive / failed tables with `list --json`.
# usage: check_report.py PAGE.json DB [FILTER...]   FILTER: the report's -n/--since/--until, given
# to the CLI commands too (runs $PL_CLI)
import json
import math
import os
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal

page = json.load(open(sys.argv[1]))
db, filt = sys.argv[2], sys.argv[3:]
cli = os.environ["PL_CLI"]


def run(*args, check=True):
    p = subprocess.run([cli, *args, *filt, "-d", db], capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise SystemExit("%s failed: %s" % (" ".join(args), p.stderr))
    return p.stdout if check else p


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

# prompt versions: those of `prompts --json`, with the diff `diff --prompt` prints. Under
# --since/--until `prompts` numbers the versions it lists from 1, the page keeps the store's
# numbers (those diff --prompt takes): then versions are matched by their text.
pr = run("prompts", "--json", check=False)
got_v = {(p["namespace"], p["version"]): p for p in page["prompts"]}
if pr.returncode != 0:
    assert "schema 1" in pr.stderr and not got_v and page["prompts_note"], (pr.stderr, page)
else:
    versions = [json.loads(l) for l in pr.stdout.splitlines() if l.strip()]
    renumbered = any(a in ("--since", "--until") for a in filt)
    key = (lambda ns, v, text, tools: (ns, text, tuple(tools))) if renumbered else (lambda ns, v, text, tools: (ns, v))
    want_v = {key(w["namespace"], w["version"], w["system_prompt"], w["tools"]): w for w in versions}
    none = "(none: a tool list only)"
    got_k = {key(ns, v, None if p["system"] == none else p["system"], p["tools"]): p for (ns, v), p in got_v.items()}
    assert set(got_k) == set(want_v), ("prompt versions differ from `prompts`", sorted(got_k), sorted(want_v))
    for k, p in got_k.items():
        w, ns, v = want_v[k], p["namespace"], p["version"]
        assert p["header"].startswith(f"v{v} · {w['calls']:,} calls"), (p["header"], w)
        assert (w["system_prompt"] or none) == p["system"] and w["tools"] == p["tools"], (p, w)
        if v == 1:
            assert p["diff"] is None, p
        else:
            d = subprocess.run([cli, "diff", "--prompt", "-n", ns, str(v - 1), str(v), "-d", db], capture_output=True,
                               text=True, timeout=120, check=True).stdout
            assert d and p["diff"] == d, ("diff of", ns, v, p["diff"], d)

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
