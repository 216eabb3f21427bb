#!/usr/bin/env bash
# test_cli_cost.sh — cost_usd from the shipped price table: a known model under its dated name
# (OpenAI and Anthropic), an unknown one (null, never a guess), the same numbers in list, show,
# stats and export; PROMPTLOG_PRICES with a user file; a malformed user file is one clear error
# naming the file and line (exit 1) in every command, and changes nothing.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/cli_lib.sh"
cli_fill
D=(-d "sqlite:///$PL_DB")

costs() {   # id=cost per line of a JSONL file on stdin
    "$PY" -c 'import json,sys; print(" ".join("%d=%s" % (r["id"], r["cost_usd"]) for r in map(json.loads, sys.stdin)))'
}
# gpt-4o-mini-2024-07-18 -> gpt-4o-mini: 12 x 0.15 + 5 x 0.60 per 1M; claude-3-haiku-20240307 ->
# claude-3-haiku: 17 x 0.25 + 171 x 1.25 per 1M; openai-compatible servers and errors: unknown
expect="1=4.8e-06 2=None 3=0.000218 4=None 5=None"
assert_eq "$(pl_cli list "${D[@]}" --json | costs)" "$expect" "list --json"
assert_eq "$( (pl_cli export prompts - "${D[@]}" --all-namespaces; pl_cli export prompts - "${D[@]}" --all-namespaces --type text) | costs)" \
    "1=4.8e-06 2=None 3=0.000218 4=None 5=None" "export"
assert_eq "$(pl_cli show 3 "${D[@]}" --json | costs)" "3=0.000218" "show --json"
pl_cli show 1 "${D[@]}" > show.txt
assert_contains show.txt "cost_usd            0.000005"
pl_cli list "${D[@]}" > list.txt
grep -E '^3 .* 17/171 +0\.000218 ' list.txt > /dev/null || { cat list.txt >&2; fail "list shows the cost"; }
grep -E '^2 .* 12/5 +- ' list.txt > /dev/null || { cat list.txt >&2; fail "list shows an unknown cost as -"; }
pl_cli stats "${D[@]}" --json > stats.json
"$PY" - stats.json <<'PY' || fail "stats cost"
import json, sys
d = json.load(open(sys.argv[1]))
assert abs(d["total"]["cost_usd"] - (4.8e-06 + 0.000218)) < 1e-12 and d["total"]["calls_without_cost"] == 3, d["total"]
PY
pl_cli stats "${D[@]}" > stats.txt
assert_contains stats.txt "0.000223*" "a total leaving out unknown costs is marked"

# a user file replaces the table
cat > my-prices.txt <<'P'
# my own gateway's prices
openai-compatible  gpt-4        1.00  2.00  0.50
openai-compatible  gpt-4o-mini  1.00  2.00  -     # the error call: no tokens, so still unknown
P
assert_eq "$(PROMPTLOG_PRICES=my-prices.txt pl_cli list "${D[@]}" --json | costs)" "1=None 2=2.2e-05 3=None 4=None 5=None" "user file"
PROMPTLOG_PRICES=my-prices.txt pl_cli prices > p.txt
assert_contains p.txt "# my-prices.txt"
assert_lines p.txt 4
pl_cli prices --json > builtin.jsonl
"$PY" -c '
import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
m={(r["provider"],r["model"]):r for r in rows}
assert m[("openai","gpt-4o-mini")]["input"]==0.15 and m[("anthropic","claude-3-haiku")]["cache_write"]==0.3
' builtin.jsonl || fail "prices --json"

# malformed: one line naming file and line, exit 1, for every command that prices
printf 'openai gpt-4o 2.50 10 1.25\n\nopenai gpt-4o-mini 0.15 cheap 0.075\n' > bad.txt
sum_before=$(sqlite3 "$PL_DB" .dump | md5sum)
for args in "list" "show 1" "stats" "tail" "export prompts $T/out.jsonl" "prices"; do
    if [ "$args" = prices ]; then PROMPTLOG_PRICES=bad.txt cli_err prices; else PROMPTLOG_PRICES=bad.txt cli_err $args "${D[@]}"; fi
    assert_rc 1 "$args with a malformed price file"
    assert_contains cli.err "bad.txt:3: a price must be" "$args: names the file and line"
    assert_empty cli.out "$args: no output"
done
assert_no_file out.jsonl "export wrote nothing"
PROMPTLOG_PRICES=/nonexistent/prices.txt cli_err list "${D[@]}"
assert_rc 1 "a missing price file"
assert_contains cli.err "cannot read /nonexistent/prices.txt"
assert_eq "$(sqlite3 "$PL_DB" .dump | md5sum)" "$sum_before" "the database is unchanged"

# cached input: the export reads its records from the stored messages (no body), and still
# prices the cached tokens at their rate (the response is read for them), as list does.
# gpt-4o-mini: 1024 x 0.15 + 1024 cached x 0.075 + 5 x 0.60 per 1M = 0.0002334
cli_post PROMPTLOG_NAMESPACE=alpha --host "api.openai.com:$MOCK_HTTPS_PORT" -H 'X-Mock-Fixture: openai_chat_cached_nonstream.json' \
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"a cached prompt"}]}' "$MOCK_HTTPS/v1/chat/completions"
assert_eq "$(db_query "select count(*) from calls where id = 6 and record is not null")" 1 "call 6 has a stored record"
assert_eq "$(pl_cli list "${D[@]}" --json | costs | tr ' ' '\n' | grep '^6=')" "6=0.0002334" "list prices the cached tokens"
assert_eq "$(pl_cli export prompts - "${D[@]}" -n alpha | costs | tr ' ' '\n' | grep '^6=')" "6=0.0002334" "export prices the cached tokens"
