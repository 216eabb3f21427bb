#!/usr/bin/env bash
# test_cli_diff.sh — `diff A B` on known pairs of real captured calls: the exact unified diff of
# their outlines (model, params, tools, messages, completion, error); two far-apart changes in
# one conversation make two hunks; a call against itself prints nothing; colours only on a
# terminal and never with NO_COLOR; bad ids are usage errors.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/cli_lib.sh"
cli_fill
D=(-d "sqlite:///$PL_DB")
export TZ=UTC
cli_set_times

pl_cli diff 1 4 "${D[@]}" > d14.txt || fail "diff 1 4"
cat > want14.txt <<'W'
--- call 1  2026-11-20 10:00:00 +00:00  gpt-4o-mini-2024-07-18
+++ call 4  2026-11-21 10:00:00 +00:00  gpt-4o-mini
@@ -1,15 +1,10 @@
-model: gpt-4o-mini-2024-07-18
-provider: openai
+model: gpt-4o-mini
+provider: openai-compatible
 api: openai.chat
 params:
-  temperature: 0.2
 tools:
 messages:
-  [0] system
-      You are terse.
-  [1] user
-      Say this is a test
+  [0] user
+      this one fails
 completion:
-  [0] assistant
-      This is a test.
-      finish_reason: stop
+error: mock injected error: the server had an error while processing your request
W
assert_file_eq d14.txt want14.txt "diff 1 4"

# one conversation, two versions: the first and the last turns differ, the middle is shared
# (the expected hunks are what GNU diff -u prints for the two outlines)
turns() {
    local first="$1" last="$2" t="" i
    for i in $(seq 1 12); do t+="{\"role\":\"user\",\"content\":\"turn $i\"},"; done
    printf '{"model":"gpt-4o-mini","temperature":%s,"messages":[{"role":"system","content":"%s"},%s{"role":"user","content":"%s"}]}' \
        "$3" "$first" "$t" "$last"
}
cli_post -d "$(turns 'You are terse.' 'And now?' 0.2)" "$MOCK_HTTPS/v1/chat/completions"
cli_post -d "$(turns 'You are verbose.' 'And then?' 0.7)" "$MOCK_HTTPS/v1/chat/completions"
pl_cli diff 6 7 "${D[@]}" > d67.txt || fail "diff 6 7"
cat > want67.txt <<'W'
@@ -2,11 +2,11 @@
 provider: openai-compatible
 api: openai.chat
 params:
-  temperature: 0.2
+  temperature: 0.7
 tools:
 messages:
   [0] system
-      You are terse.
+      You are verbose.
   [1] user
       turn 1
   [2] user
@@ -32,7 +32,7 @@
   [12] user
       turn 12
   [13] user
-      And now?
+      And then?
 completion:
   [0] assistant
       This is a test.
W
tail -n +3 d67.txt > d67.body
assert_file_eq d67.body want67.txt "two hunks"
head -2 d67.txt | grep -q '^--- call 6 ' || fail "header names call 6"

pl_cli diff 2 2 "${D[@]}" > same.txt; RC=$?
assert_rc 0
assert_empty same.txt "a call against itself"

# colours: on a terminal, not with NO_COLOR, never in a pipe
need_pty
script -qec "$PL_CLI diff 1 4 -d sqlite:///$PL_DB" /dev/null > tty.txt
grep -q $'\e\[31m-model' tty.txt || fail "red deletions on a terminal"
grep -q $'\e\[32m+model' tty.txt || fail "green insertions on a terminal"
script -qec "env NO_COLOR=1 $PL_CLI diff 1 4 -d sqlite:///$PL_DB" /dev/null | tr -d '\r' > nocolor.txt
assert_not_contains nocolor.txt $'\e[' "NO_COLOR"
assert_file_eq nocolor.txt want14.txt "NO_COLOR on a terminal: the plain diff"
assert_not_contains d14.txt $'\e[' "no colour in a pipe"

cli_err diff "${D[@]}"
assert_rc 2 "no id"
if [ "$(db_query 'pragma user_version')" -lt 3 ]; then
    cli_err diff 1 "${D[@]}"
    assert_rc 1 "one id needs conversations"
    assert_contains cli.err "needs the readable store"
fi
cli_err diff 1 x "${D[@]}"
assert_rc 2 "a bad id"
cli_err diff 1 99 "${D[@]}"
assert_rc 1 "a missing call"
assert_contains cli.err "no call with id 99"
