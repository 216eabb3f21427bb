#!/usr/bin/env bash
# test_cli_delete.sh — `delete` by id, --namespace and --before on the readable store:
# asks on a terminal (no = nothing changes), needs --yes otherwise; leaves no orphan model or
# message rows and a full-text index that matches; PRAGMA integrity_check is ok after each step;
# waits for a writer holding the lock like a capture does; --vacuum shrinks the file; errors
# change nothing; a schema 1 file is upgraded (as a capture would) only once the answer is yes.
# Conversations, body chains and survivors' exports: test_cli_delete_threads.sh.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/cli_lib.sh"
cli_fill
cli_set_times
D=(-d "sqlite:///$PL_DB")
ids() { db_query "select coalesce(group_concat(id), '') from (select id from calls order by id)"; }
dump() { sqlite3 "$PL_DB" .dump | md5sum; }
orphans() {
    db_query "select count(*) from models m where not exists
              (select 1 from calls c where c.namespace = m.namespace and c.model = m.name)"
}
orphan_messages() {
    db_query "select count(*) from messages m where not exists (select 1 from call_messages cm where cm.message_id = m.id)
              and not exists (select 1 from calls where system_id = m.id)"
}
intact() {
    assert_eq "$(db_query 'pragma integrity_check')" "ok" "integrity_check after $1"
    assert_eq "$(orphans)" 0 "no orphan models after $1"
    if [ "$(db_query 'pragma user_version')" -ge 3 ]; then
        assert_eq "$(orphan_messages)" 0 "no orphan messages after $1"
        cli_fts_matches "$1"
    fi
    if [ "$(db_query 'pragma user_version')" -ge 4 ]; then
        assert_eq "$(db_query "select count(*) from header_sets where id not in
            (select request_header_set from calls where request_header_set is not null) and id not in
            (select response_header_set from calls where response_header_set is not null)")" 0 "no orphan header lists after $1"
    fi
}

# A schema 1 file (the first release's layout) holding the same calls and models.
to_v1() {
    rm -f v1tmp.db
    sqlite3 "$ROOT/tests/fixtures/v1/v1.db" .schema | grep -v '^/\*' | sqlite3 v1tmp.db || fail "v1 schema"
    local cols
    cols=$(sqlite3 v1tmp.db "select group_concat(name) from pragma_table_info('calls')")
    sqlite3 v1tmp.db "pragma user_version = 1; attach '$PL_DB' as s;
        insert into calls ($cols) select $cols from s.calls; insert into models select * from s.models;" \
        || fail "copy into schema 1"
    rm -f "$PL_DB" "$PL_DB-wal" "$PL_DB-shm"
    mv v1tmp.db "$PL_DB"
    assert_eq "$(db_query 'pragma user_version')" 1 "a schema 1 file"
}
before=$(dump)

# refusals change nothing
cli_err delete 4 "${D[@]}" < /dev/null
assert_rc 2 "not a terminal and no --yes"
assert_contains cli.err "--yes"
cli_err delete "${D[@]}" --yes
assert_rc 2 "nothing selected"
cli_err delete 999 "${D[@]}" --yes
assert_rc 1 "an id that does not exist"
assert_contains cli.err "no call with id 999"
cli_err delete abc "${D[@]}" --yes
assert_rc 2 "a bad id"
cli_err delete --before yesterday-ish "${D[@]}" --yes
assert_rc 2 "a bad time"
cli_err delete 1 -d "sqlite:///$T/none.db" --yes
assert_rc 1 "a missing database"
assert_no_file "$T/none.db" "delete does not create a database"
sqlite3 foreign.db 'create table t(x); insert into t values (1)'
cli_err delete 1 -d "sqlite:///$T/foreign.db" --yes
assert_rc 1 "a foreign database"
assert_contains cli.err "not a promptlog database"
assert_eq "$(sqlite3 foreign.db 'select count(*) from t')" 1
assert_eq "$(dump)" "$before" "no refusal changed the database"

# on a terminal it asks; "n" keeps everything
need_pty
printf 'n\n' | script -qec "$PL_CLI delete 4 -d sqlite:///$PL_DB" /dev/null > ask.txt
assert_contains ask.txt "Delete 1 call(s) from $PL_DB? [y/N]"
assert_contains ask.txt "nothing deleted"
assert_eq "$(dump)" "$before" "answering no changes nothing"
printf 'y\n' | script -qec "$PL_CLI delete 4 -d sqlite:///$PL_DB" /dev/null > ask2.txt
assert_contains ask2.txt "deleted 1 call(s)"
assert_eq "$(ids)" "1,2,3,5" "delete 4 after yes"
intact "delete by id"
assert_eq "$(db_query "select count(*) from models where namespace='beta' and name='gpt-4o-mini'")" 0 "its model went with it"

# --before (exclusive, like --until), combined with --namespace
cli_err delete --before 2026-11-20T11:00:00Z "${D[@]}" --yes
assert_rc 0
assert_contains cli.out "deleted 1 call(s)"
assert_eq "$(ids)" "2,3,5" "--before 11:00 removes the 10:00 call only"
intact "--before"
cli_err delete -n beta --before 2026-11-20T12:00:00Z "${D[@]}" --yes
assert_contains cli.out "no call matches; nothing deleted"
assert_eq "$(ids)" "2,3,5" "namespace and time must both match"
cli_err delete -n alpha "${D[@]}" -y
assert_rc 0
assert_eq "$(ids)" "3" "--namespace alpha"
assert_eq "$(db_query "select count(*) from models where namespace='alpha'")" 0 "alpha's models are gone"
intact "--namespace"

# the same locking as capture: a writer holding the lock is waited for, not interrupted
"$PY" - "$PL_DB" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE calls SET program = program WHERE id = 3")
open("locked", "w").close()
time.sleep(1.5)
db.execute("COMMIT")
PY
holder=$!
for i in $(seq 100); do [ -e locked ] && break; sleep 0.05; done
t0=$(date +%s%N)
cli_err delete 3 "${D[@]}" --yes
t1=$(date +%s%N)
wait $holder
assert_rc 0 "delete after waiting for the lock"
[ $(( (t1 - t0) / 1000000 )) -ge 800 ] || fail "delete did not wait for the writer ($(( (t1 - t0) / 1000000 )) ms)"
assert_eq "$(ids)" "" "all deleted"
intact "a delete that waited"

# --vacuum reclaims the space
cli_fill_more() { for i in $(seq 30); do cli_post \
    -d "{\"model\":\"m$i\",\"messages\":[{\"role\":\"user\",\"content\":\"$(head -c 6000 /dev/urandom | base64 -w0)\"}]}" \
    "$MOCK_HTTPS/v1/chat/completions"; done; }
cli_fill_more
size0=$(stat -c %s "$PL_DB")
cli_err delete --before 1m "${D[@]}" --yes
assert_rc 0
cli_err delete --before 1d "${D[@]}" --yes --vacuum
assert_rc 0
cli_err delete -n default "${D[@]}" --yes --vacuum
assert_contains cli.out "deleted 30 call(s)"
assert_contains cli.out "vacuumed:"
size1=$(stat -c %s "$PL_DB")
[ "$size1" -lt $((size0 / 2)) ] || fail "--vacuum: $size0 -> $size1 bytes"
intact "--vacuum"

# a schema 1 file: the question is asked on a read-only connection, so "no" leaves it as it was;
# "yes" upgrades it first, as the first capture into it would
cli_fill_more
current=$(db_query 'pragma user_version')   # what capture writes today
to_v1
[ "$(db_query 'select count(*) from calls')" = 30 ] || fail "30 calls in the schema 1 file"
v1=$(dump)
printf 'n\n' | script -qec "$PL_CLI delete -n default --before 1d -d sqlite:///$PL_DB" /dev/null > ask3.txt
assert_contains ask3.txt "nothing deleted"
assert_eq "$(dump)" "$v1" "answering no leaves a schema 1 file untouched"
cli_err delete 1 "${D[@]}" --yes
assert_rc 0 "delete on a schema 1 file"
assert_contains cli.out "deleted 1 call(s)"
assert_eq "$(db_query 'pragma user_version')" "$current" "upgraded before the delete"
assert_eq "$(db_query 'select count(*) from calls')" 29
intact "a delete in an upgraded schema 1 file"
