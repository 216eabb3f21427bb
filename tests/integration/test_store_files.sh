#!/usr/bin/env bash
# test_store_files.sh — the files the store meets, through the real programs: Python
# prompt-logger's own prompts.db is never modified (one debug line says why), an export is
# atomic (a failed one leaves FILE byte-identical), a corrupt row does not stop an export (good
# rows written, bad ids named, exit 1), and a database in a directory the user cannot write is
# readable by list/show/stats/export, while one the user cannot read says "permission denied".
. "$(dirname "$0")/lib.sh"
start_mock
url="$MOCK_HTTPS/v1/chat/completions"
echo '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' > req.json
call() { "$PY" "$ROOT/tests/integration/api_client.py" urllib "$url" req.json; }

# 1. A foreign database at the default name: byte-identical, no -wal, one debug line.
mkdir foreign && cd foreign
"$PY" - <<'PY'
import sqlite3
db = sqlite3.connect("prompts.db")
db.executescript("""
CREATE TABLE models (id INTEGER PRIMARY KEY, namespace TEXT, name TEXT, provider TEXT, created REAL);
CREATE TABLE prompts (id INTEGER PRIMARY KEY, namespace TEXT, model TEXT, messages JSON, inference_on REAL);
INSERT INTO prompts (namespace, model, messages) VALUES ('default', 'gpt-4', '[]');
""")
db.commit()
db.close()
PY
sum_before="$(sha256sum prompts.db)"
cd "$T"
run_both PROMPTLOG_DATABASE=sqlite:///foreign/prompts.db "$PY" "$ROOT/tests/integration/api_client.py" urllib "$url" req.json
assert_eq "$(cd foreign && sha256sum prompts.db)" "$sum_before" "foreign prompts.db modified"
assert_no_file foreign/prompts.db-wal
(cd foreign && PROMPTLOG_DEBUG=1 LD_PRELOAD="$PL_PRELOAD" "$PY" "$ROOT/tests/integration/api_client.py" \
    urllib "$url" "$T/req.json" >/dev/null 2>"$T/debug.err")
assert_eq "$(grep -c 'something else' debug.err)" 1 "one debug line for the foreign file"
assert_eq "$(cd foreign && sha256sum prompts.db)" "$sum_before" "foreign prompts.db modified under debug"

# 2. Three captured calls; an export over an existing FILE that fails leaves it untouched.
for i in 1 2 3; do run_pre "$PY" "$ROOT/tests/integration/api_client.py" urllib "$url" req.json; done
assert_eq "$(db_query 'select count(*) from calls')" 3
echo "precious old export" > out.jsonl
cp out.jsonl keep.jsonl
pl_cli export prompts out.jsonl -d "$T/nonexistent.db" 2>/dev/null && fail "export from a missing db succeeded"
assert_file_eq out.jsonl keep.jsonl "a failed export changed FILE"
pl_cli export prompts out.jsonl -d "$PL_DB" || fail "export failed"
assert_lines out.jsonl 3
assert_eq "$(ls -a | grep -c '\.tmp-')" 0 "temporary file left behind"

# decode_error (set by the capture when a content coding was corrupt) shows in show and export
sqlite3 "$PL_DB" "UPDATE calls SET decode_error = 1 WHERE id = 3"
pl_cli show 3 -d "$PL_DB" > show3.txt || fail "show 3"
grep -Eq '^decode_error +1$' show3.txt || fail "show does not say decode_error"
pl_cli export prompts de.jsonl -d "$PL_DB" || fail "export"
assert_eq "$(grep -c '"decode_error":true' de.jsonl)" 1 "decode_error in the export"

# 3. A corrupt row (its stored record and its body blob): every other row exported, its id
#    named, exit 1. With only the blob corrupt the stored messages still export it.
sqlite3 "$PL_DB" "UPDATE calls SET response_body = x'28b52ffd0011223344' WHERE id = 2"
pl_cli export prompts blob.jsonl -d "$PL_DB" || fail "the stored messages do not need the blob"
assert_lines blob.jsonl 3
pl_cli export prompts blob.jsonl --rebuild -d "$PL_DB" 2>blob.err && fail "rebuild of a corrupt blob exited 0"
assert_lines blob.jsonl 2
assert_contains blob.err "corrupt: id 2"
sqlite3 "$PL_DB" "UPDATE calls SET record = '{not json' WHERE id = 2"
pl_cli export prompts corrupt.jsonl -d "$PL_DB" 2>corrupt.err && fail "export with a corrupt row exited 0"
assert_lines corrupt.jsonl 2
assert_eq "$("$PY" -c 'import json,sys; print(",".join(str(json.loads(l)["id"]) for l in open("corrupt.jsonl")))')" "1,3"
assert_contains corrupt.err "corrupt: id 2"

# 4. Read-only: a directory the user cannot write, and a file the user cannot read.
need setpriv
[ "$(id -u)" = 0 ] || skip "needs root to hand the database to another user"
# (the test directory itself is private: the read-only one lives beside it, traversable)
RO="$(mktemp -d /tmp/pl-ro.XXXXXX)" && chmod 0755 "$RO" && trap 'rm -rf "$RO"; _pl_cleanup' EXIT
mkdir -m 0755 "$RO/rodir" && ln -s "$RO/rodir" rodir
cp "$PL_DB" rodir/prompts.db && chmod 0644 rodir/prompts.db
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$PL_CLI" "$@"; }
as_nobody list -d "$RO/rodir/prompts.db" > ro.list || fail "list on a read-only directory"
assert_lines ro.list 4   # a header and 3 calls
as_nobody show 1 -d "$RO/rodir/prompts.db" > ro.show || fail "show on a read-only directory"
assert_contains ro.show "response body"
as_nobody stats -d "$RO/rodir/prompts.db" > ro.stats || fail "stats on a read-only directory"
assert_contains ro.stats "gpt-4o-mini"
as_nobody export prompts - -d "$RO/rodir/prompts.db" > ro.jsonl 2>ro.err
assert_lines ro.jsonl 2    # the corrupt row 2 is named, not exported
assert_contains ro.err "corrupt: id 2"
assert_no_file rodir/prompts.db-shm
chmod 0600 rodir/prompts.db
as_nobody list -d "$RO/rodir/prompts.db" > /dev/null 2>denied.err && fail "list of an unreadable file succeeded"
assert_contains denied.err "permission denied"
