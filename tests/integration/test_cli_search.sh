#!/usr/bin/env bash
# test_cli_search.sh — `search QUERY` over real captured calls: every word must occur (any case),
# "quoted phrases" are one word, newest first, -n/-l/--since/--until, --json with a snippet; the
# match is highlighted on a terminal only (never with NO_COLOR); an empty query is a usage error;
# on the readable store FTS5 prefixes and OR work and a query it cannot parse is a usage error.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/cli_lib.sh"
cli_fill
D=(-d "sqlite:///$PL_DB")
export TZ=UTC
ids() { "$PY" -c 'import json,sys; print(",".join(str(json.loads(l)["id"]) for l in sys.stdin))'; }

# The same queries work on both backends (the readable store's FTS5 index, the scan of older
# stores). "test" is in calls 1 (prompt, completion), 2 (completion) and 5 (text prompt)
assert_eq "$(pl_cli search test "${D[@]}" --json | ids)" "5,2,1" "newest first"
assert_eq "$(pl_cli search 'SPAN Confusion' "${D[@]}" --json | ids)" "3" "any case, two words"
assert_eq "$(pl_cli search 'span nowhere' "${D[@]}" --json | ids)" "" "every word must occur"
assert_eq "$(pl_cli search 'fails' "${D[@]}" --json | ids)" "4" "an error call's prompt"
assert_eq "$(pl_cli search test -n alpha -l 1 "${D[@]}" --json | ids)" "5" "-n and -l"
pl_cli search confusion "${D[@]}" --json > s.json
"$PY" - s.json <<'PY' || fail "search --json"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["id"] == 3 and r["match_role"] == "assistant" and r["model"] == "claude-3-haiku-20240307"
assert "Span of Confusion" in r["snippet"] and len(r["snippet"]) <= 110, r["snippet"]
assert r["cost_usd"] == 0.000218
PY
cli_set_times
assert_eq "$(pl_cli search test "${D[@]}" --json --since 2026-11-20T11:00Z | ids)" "5,2" "--since"
assert_eq "$(pl_cli search test "${D[@]}" --json --until 2026-11-20T11:00Z | ids)" "1" "--until"

pl_cli search joke "${D[@]}" > plain.txt
assert_contains plain.txt "user: Tell me a joke about OpenTelemetry" "the snippet names the role"
assert_not_contains plain.txt $'\e[' "no highlight in a pipe"
need_pty
script -qec "$PL_CLI search joke -d sqlite:///$PL_DB" /dev/null > tty.txt
assert_contains tty.txt $'Tell me a \e[1;31mjoke\e[0m about' "highlighted on a terminal"
script -qec "env NO_COLOR=1 $PL_CLI search joke -d sqlite:///$PL_DB" /dev/null > nc.txt
assert_not_contains nc.txt $'\e[' "NO_COLOR"

# the readable store's FTS5 index: prefixes and OR (the record scan has neither)
assert_eq "$(db_query 'select count(*) from messages_fts')" "$(db_query 'select count(*) from messages')" \
    "every captured message is indexed"
assert_eq "$(pl_cli search 'jok*' "${D[@]}" --json | ids)" "3" "a prefix query"
assert_eq "$(pl_cli search 'fails OR joke' "${D[@]}" --json | ids)" "4,3" "OR"
cli_err search 'AND' "${D[@]}"
assert_rc 2 "a query FTS5 cannot parse"

cli_err search '' "${D[@]}"
assert_rc 2 "an empty query"
assert_contains cli.err "an empty query"
cli_err search '   ' "${D[@]}"
assert_rc 2 "a blank query"
cli_err search "${D[@]}"
assert_rc 2 "no query"
cli_err search x --since someday "${D[@]}"
assert_rc 2 "a bad time"
cli_err search x -d "sqlite:///$T/none.db"
assert_rc 1 "a missing database"
