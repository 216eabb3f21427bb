#!/usr/bin/env bash
# test_cli_threads.sh — conversations, prompts and show -c over a real captured thread: a
# conversation continued, retried and branched, and a second system prompt. Needs the readable
# store (schema 3: conversations and prompt versions); skipped on an older store, where the
# commands say so in one line.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/cli_lib.sh"
start_mock --delay-ms 0
D=(-d "sqlite:///$PL_DB")
S='{"role":"system","content":"You are terse."}'
A='{"role":"assistant","content":"This is a test."}'
u() { printf '{"role":"user","content":"%s"}' "$1"; }
post() { cli_post PROMPTLOG_NAMESPACE=conv -d "{\"model\":\"gpt-4o-mini\",\"messages\":[$1]}" "$MOCK_HTTPS/v1/chat/completions"; }
post "$S,$(u hi)"                                 # 1 root
post "$S,$(u hi),$A,$(u more)"                    # 2 continues 1
post "$S,$(u hi),$A,$(u more)"                    # 3 retry of 2
post "$S,$(u hi),$A,$(u other)"                   # 4 branch from 1
post "$S,$(u hi),$A,$(u more),$A,$(u third)"      # 5 continues 2 or 3
post '{"role":"system","content":"You are verbose."},'"$(u hello)"   # 6 another conversation
ver=$(db_query 'pragma user_version')
if [ "$ver" -lt 3 ]; then
    cli_err conversations "${D[@]}"
    assert_rc 1 "conversations on a schema $ver store"
    assert_contains cli.err "has no conversations or prompt versions"
    cli_err show -c 1 "${D[@]}"
    assert_rc 1 "show -c on a schema $ver store"
    cli_err diff --prompt 1 2 "${D[@]}"
    assert_rc 1 "diff --prompt on a schema $ver store"
    skip "the store is schema $ver; conversations come with schema 3"
fi

pl_cli conversations "${D[@]}" --json > conv.jsonl || fail "conversations --json"
"$PY" - conv.jsonl <<'PY' || fail "conversations"
import json, sys
c = [json.loads(l) for l in open(sys.argv[1])]
assert [(x["id"], x["calls"], x["first_user_message"]) for x in c] == [(1, 5, "hi"), (6, 1, "hello")], c
assert c[0]["input_tokens"] == 60 and c[0]["models"] == "gpt-4o-mini"
PY
printf 'openai-compatible gpt-4o-mini 1 2 0.5\n' > prices.txt
assert_eq "$(PROMPTLOG_PRICES=prices.txt pl_cli conversations "${D[@]}" --json |
    "$PY" -c 'import json,sys; print(" ".join("%d=%s" % (r["id"], r["cost_usd"]) for r in map(json.loads, sys.stdin)))')" \
    "1=0.00011 6=2.2e-05" "cost_usd per conversation (5 calls x 12/5 tokens at 1 and 2 per 1M)"
pl_cli conversations "${D[@]}" > conv.txt
assert_contains conv.txt "hello"
pl_cli prompts "${D[@]}" --json > prompts.jsonl || fail "prompts --json"
"$PY" - prompts.jsonl <<'PY' || fail "prompts"
import json, sys
p = [json.loads(l) for l in open(sys.argv[1])]
assert [(x["version"], x["calls"], x["system_prompt"]) for x in p] == [(1, 5, "You are terse."), (2, 1, "You are verbose.")], p
PY
pl_cli show -c 1 "${D[@]}" > thread.txt || fail "show -c"
assert_eq "$(grep -c '^  system: You are terse.' thread.txt)" 1 "the system prompt is printed once"
assert_eq "$(grep -c '^  user: hi' thread.txt)" 1 "the history is not re-printed"
assert_contains thread.txt "call 2  " ; assert_contains thread.txt "[continues 1]"
grep -q '^call 3 .*\[retry of 2\]' thread.txt || { cat thread.txt >&2; fail "call 3 is a retry of 2"; }
grep -q '^call 4 .*\[branch from 1\]' thread.txt || { cat thread.txt >&2; fail "call 4 branches from 1"; }
assert_contains thread.txt "  user: third"
pl_cli show --conversation 5 "${D[@]}" > thread5.txt
assert_file_eq thread.txt thread5.txt "any call of the conversation names it"
# search: the full-text index (FTS5 syntax); a hit is the call that sent or received the text
ids() { "$PY" -c 'import json,sys; print(",".join(str(json.loads(l)["id"]) for l in sys.stdin))'; }
assert_eq "$(pl_cli search more "${D[@]}" --json | ids)" "3,2" "search more (newest first)"
assert_eq "$(pl_cli search 'verb*' "${D[@]}" --json | ids)" "6" "a prefix query"
assert_eq "$(pl_cli search 'other OR third' "${D[@]}" --json | ids)" "5,4" "OR"
cli_err search 'test AND (' "${D[@]}"
assert_rc 2 "a query FTS5 cannot parse"
cli_err search '"exact phrase"' "${D[@]}"
assert_rc 2 "a phrase (the index keeps no positions)"

# diff ID: against the call it continues
pl_cli diff 2 "${D[@]}" > d2.txt || fail "diff 2"
head -2 d2.txt | grep -q '^--- call 1 ' || { cat d2.txt >&2; fail "diff 2 is against its parent, call 1"; }
assert_contains d2.txt "+  [2] assistant"
cli_err diff 1 "${D[@]}"
assert_rc 1 "the root has nothing before it"
assert_contains cli.err "starts its conversation"
# diff --prompt: two prompt versions of the namespace
pl_cli diff --prompt 1 2 "${D[@]}" | tail -n +3 > dp.txt
printf '%s\n' '@@ -1,3 +1,3 @@' ' system:' '-  You are terse.' '+  You are verbose.' ' tools:' > want_dp.txt
assert_file_eq dp.txt want_dp.txt "diff --prompt 1 2"
cli_err diff --prompt 1 9 "${D[@]}"
assert_rc 1 "no such version"
cli_err show -c 99 "${D[@]}"
assert_rc 1 "no such conversation"
# a window keeps the numbers diff --prompt and the prompt_versions view give: with the first
# conversation moved two days back, --since 1d shows only the second version, still numbered 2
sqlite3 "$PL_DB" "update calls set started_at = started_at - 172800 where id <= 5"
pl_cli prompts "${D[@]}" --since 1d --json > recent.jsonl || fail "prompts --since"
"$PY" - recent.jsonl <<'PY' || fail "prompts --since keeps the versions' numbers"
import json, sys
p = [json.loads(l) for l in open(sys.argv[1])]
assert [(x["version"], x["calls"], x["system_prompt"]) for x in p] == [(2, 1, "You are verbose.")], p
PY
