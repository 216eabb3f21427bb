#!/usr/bin/env bash
# test_cli_errors.sh — bad input gets one clear line and exit 2 (usage) or 1 (runtime): unknown
# commands and options, options a command does not take, bad times, bad ids, missing values, a
# missing, foreign, corrupt or newer database; the database never changes on an error. Also:
# every command's --help lists its options and an example; --version; path.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/cli_lib.sh"
cli_fill
D=(-d "sqlite:///$PL_DB")
sum=$(sqlite3 "$PL_DB" .dump | md5sum)

usage() {   # expected text, then the arguments
    local want="$1"; shift
    cli_err "$@"
    assert_rc 2 "prompt-logger $*"
    assert_contains cli.err "$want" "prompt-logger $*"
    assert_empty cli.out "prompt-logger $*: nothing on stdout"
}
usage "unknown command 'lsit'" lsit
usage "unknown option --db (options go after the command)" --db x list
usage "unknown option --bogus" list --bogus "${D[@]}"
usage "unknown option -x" list -x "${D[@]}"
usage "unknown option --models" list --models a "${D[@]}"
usage "unknown option --follow" list --follow "${D[@]}"
usage "unknown option --json" export prompts - --json "${D[@]}"
usage "option --since needs a value" list "${D[@]}" --since
usage "--since: cannot read 'yesterday-ish' as a time" list --since yesterday-ish "${D[@]}"
usage "--until: cannot read '2026-02-30' as a time" stats --until 2026-02-30 "${D[@]}"
usage "--since: cannot read '7 days' as a time" export prompts - --since '7 days' "${D[@]}"
usage "--before: cannot read 'soon' as a time" delete --before soon --yes "${D[@]}"
usage "ID must be a positive number, not 'abc'" show abc "${D[@]}"
usage "ID must be a positive number, not '0'" show 0 "${D[@]}"
usage "ID must be a positive number, not '-3'" show "${D[@]}" -- -3
usage "missing ID" show "${D[@]}"
usage "unexpected argument '2'" show 1 2 "${D[@]}"
usage "missing FILE" export prompts "${D[@]}"
usage "unknown export 'calls'" export calls -
usage "--limit needs a number >= 0, not 'many'" list -l many "${D[@]}"
usage "--type must be chat or text" export prompts - --type image "${D[@]}"
usage "--interval needs seconds" tail --interval 0 "${D[@]}"
usage "--namespace needs a name" list -n '' "${D[@]}"

runtime() {
    local want="$1"; shift
    cli_err "$@"
    assert_rc 1 "prompt-logger $*"
    assert_contains cli.err "$want" "prompt-logger $*"
}
runtime "no call with id 99" show 99 "${D[@]}"
runtime "no database at $T/missing.db" list -d "sqlite:///$T/missing.db"
runtime "no database at $T/missing.db" export prompts - -d "$T/missing.db"
assert_no_file "$T/missing.db" "nothing creates a database"
sqlite3 foreign.db 'create table t(x)'
for c in list stats tail "show 1" "export prompts -" "export models -"; do
    runtime "$T/foreign.db is not a promptlog database" $c -d "sqlite:///$T/foreign.db"
done
head -c 4096 /dev/urandom > corrupt.db
runtime "corrupt.db" list -d corrupt.db
cp "$PL_DB" newer.db; sqlite3 newer.db 'pragma user_version = 99'
nsum=$(md5sum < newer.db)
runtime "has schema version 99, newer than" list -d newer.db
runtime "has schema version 99, newer than" delete 1 --yes -d newer.db
assert_eq "$(md5sum < newer.db)" "$nsum" "a newer database is left untouched"
pl_cli export prompts "$T/nodir/x.jsonl" "${D[@]}" 2> e.txt; RC=$?
assert_rc 1 "an unwritable output file"
assert_eq "$(sqlite3 "$PL_DB" .dump | md5sum)" "$sum" "no error changed the database"

# --help of every command: its options and one example, on stdout, exit 0
for c in run list show tail stats "export" "export models" "export prompts" delete path prices diff search conversations prompts; do
    pl_cli $c --help > h.txt; RC=$?
    assert_rc 0 "$c --help"
    head -1 h.txt | grep -q "^usage: prompt-logger $c" || fail "$c --help starts with its synopsis"
    assert_contains h.txt "example:" "$c --help has an example"
    [ "$c" = export ] || assert_contains h.txt "-h, --help" "$c --help lists its options"
done
for opt in --since --until --json --limit --namespace --database; do
    pl_cli list --help | grep -- "$opt" >/dev/null || fail "list --help lists $opt"
done
pl_cli --help > h.txt && assert_contains h.txt "run -- CMD ARGS"
pl_cli help tail > h.txt && assert_contains h.txt "--follow"
pl_cli --version > v.txt; RC=$?
assert_rc 0
grep -qE '^prompt-logger \(promptlog\) [0-9]+\.[0-9]+\.[0-9]+$' v.txt || fail "--version: $(cat v.txt)"

# path: the resolved absolute path and whether it exists
cd "$T" && pl_cli path -d sqlite:///prompts.db > p.txt
assert_eq "$(head -1 p.txt)" "$T/prompts.db" "path resolves a relative URL"
assert_contains p.txt "exists, promptlog database"
PROMPTLOG_DATABASE="sqlite:///$T/none.db" pl_cli path > p2.txt
assert_eq "$(head -1 p2.txt)" "$T/none.db" "path follows PROMPTLOG_DATABASE"
assert_contains p2.txt "does not exist"
pl_cli path -d "$T/foreign.db" > p3.txt
assert_contains p3.txt "exists, but cannot be read"
