#!/usr/bin/env bash
# test_fault_db.sh — issue 6 §1: a database we cannot use changes nothing in the program. For a
# missing directory, a path under a file, a read-only mount, a corrupt file, a newer schema, a
# full disk (tmpfs) and RLIMIT_FSIZE: same stdout bytes, exit code and stderr as without the
# preload; nothing is written into a foreign or newer database; and with PROMPTLOG_DEBUG=1 the
# cause is said in exactly one line however many calls are skipped, plus one exit line counting
# them.
. "$(dirname "$0")/lib.sh"
need sqlite3
start_mock
# The host: curl, or under ASan (where Debian's curl cannot run) the ASan-built cli_libcurl.
curl_host
POST=("${CURL[@]}" -sS --cacert "$MOCK_CA")
url="$MOCK_HTTPS/v1/chat/completions"
req='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
NCALLS=3
curl_calls=("${POST[@]}" -d "$req" "$url" "$url" "$url")

MOUNTS=()
_fault_cleanup() {
    local m
    for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
    _pl_cleanup
}
trap _fault_cleanup EXIT

# run_dbg VAR=VAL... CMD...: the preloaded run with PROMPTLOG_DEBUG=1 (run_pre would refuse its
# promptlog lines); sets OUT ERR RC.
run_dbg() {
    _pl_split_env "$@"
    _pl_new_run_dir "$@"
    timeout -k 5 60 env PROMPTLOG_DATABASE="$PL_DB" PROMPTLOG_DEBUG=1 "${_pl_env[@]}" \
        LD_PRELOAD="$PL_PRELOAD" "${_pl_cmd[@]}" >"$RUN_DIR/dbg.out" 2>"$RUN_DIR/dbg.err" </dev/null
    RC=$?
    OUT="$RUN_DIR/dbg.out"; ERR="$RUN_DIR/dbg.err"
}

# fault_case LABEL DB CAUSE_REGEX [WRAP...]: the NCALLS-call curl run, plain vs preloaded, then
# under PROMPTLOG_DEBUG: stdout and exit code still equal, exactly one promptlog line matching
# CAUSE_REGEX, the exit line counting NCALLS skipped, and no other promptlog line.
fault_case() {
    local label="$1" db="$2" cause="$3"; shift 3
    note "$label"
    run_both PROMPTLOG_DATABASE="$db" "$@" "${curl_calls[@]}"
    assert_rc 0 "$label: curl"
    assert_empty "$ERR" "$label: stderr"
    local ref="$OUT"
    run_dbg PROMPTLOG_DATABASE="$db" "$@" "${curl_calls[@]}"
    assert_rc 0 "$label: curl under PROMPTLOG_DEBUG"
    assert_file_eq "$ref" "$OUT" "$label: stdout under PROMPTLOG_DEBUG"
    local n_cause n_all
    n_cause="$(grep -acE "^promptlog\[[0-9]+\]: .*($cause)" "$ERR")"
    # (the TLS path also notes each exchange it starts capturing: not a cause line)
    n_all="$(grep -a '^promptlog\[' "$ERR" | grep -acv ': capturing ')"
    if [ "$n_cause" != 1 ] || [ "$n_all" != 2 ] || ! grep -aqE "^promptlog\[[0-9]+\]: exit: 0 captured, $NCALLS skipped$" "$ERR"; then
        sed 's/^/     /' "$ERR" >&2
        fail "$label: expected one line matching /$cause/ and one exit line ($NCALLS skipped); got $n_cause cause lines, $n_all promptlog lines"
    fi
    # Without the debug flag nothing at all (run_both compared stderr already).
}

# A database in a good state, made by one preloaded call; sets GOOD_DB.
make_good_db() {
    GOOD_DB="$1"
    run_pre PROMPTLOG_DATABASE="$GOOD_DB" "${POST[@]}" -d "$req" "$url"
    [ "$(sqlite3 "$GOOD_DB" 'select count(*) from calls' 2>/dev/null)" = 1 ] ||
        fail "could not make a good database at $GOOD_DB"
}

# 1. A missing directory and a path under a regular file: never created, one line each.
fault_case "missing directory" /nonexistent/promptlog/x.db "cannot open database .*x\.db"
assert_no_file /nonexistent/promptlog
fault_case "path under a file" /dev/null/x.db "cannot open database /dev/null/x\.db"

# 2. A read-only filesystem (root ignores file modes, not a read-only mount).
mkdir -p rw ro
make_good_db "$T/rw/ro.db"
if mount --bind "$T/rw" "$T/ro" 2>/dev/null; then
    MOUNTS+=("$T/ro")
    if mount -o remount,bind,ro "$T/ro" 2>/dev/null; then
        sum="$(sha256sum < rw/ro.db)"
        fault_case "read-only mount, existing database" "$T/ro/ro.db" "cannot open database|insert failed|read-?only"
        fault_case "read-only mount, new database" "$T/ro/new.db" "cannot open database"
        assert_eq "$(sha256sum < rw/ro.db)" "$sum" "the read-only database is unchanged"
        assert_no_file rw/new.db
    else
        note "remount read-only not permitted: read-only case skipped"
    fi
else
    note "bind mount not permitted: read-only case skipped"
fi

# 3. A file that is not a database, and a database whose pages are corrupt.
printf 'this is not sqlite, and it must stay that way\n' > foreign.db
sum="$(sha256sum < foreign.db)"
fault_case "foreign file" "$T/foreign.db" "cannot open database"
assert_eq "$(sha256sum < foreign.db)" "$sum" "a foreign file is never written"
make_good_db "$T/corrupt.db"
sqlite3 "$T/corrupt.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
pages="$(sqlite3 "$T/corrupt.db" 'PRAGMA page_count')"
psize="$(sqlite3 "$T/corrupt.db" 'PRAGMA page_size')"
# Everything after the first page (the schema root) becomes garbage.
head -c $(( (pages - 1) * psize )) /dev/urandom | dd of=corrupt.db bs="$psize" seek=1 conv=notrunc status=none
rm -f corrupt.db-wal corrupt.db-shm
fault_case "corrupt pages" "$T/corrupt.db" "cannot open database|insert failed|malformed|corrupt|not a database"

# 4. A database written by a newer schema: read by nobody here, written never.
make_good_db "$T/newer.db"
sqlite3 "$T/newer.db" 'PRAGMA user_version = 99; PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
sum="$(sha256sum < newer.db)"
fault_case "newer schema" "$T/newer.db" "cannot open database .*(schema|version|newer)"
assert_eq "$(sha256sum < newer.db)" "$sum" "a newer database is never written"
assert_eq "$(sqlite3 "$T/newer.db" 'select count(*) from calls')" 1 "no row added to the newer database"

# 5. Disk full. Big incompressible prompts, so every insert needs more room than there is.
head -c 150000 /dev/urandom | base64 -w0 > big.txt
big_req="{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"$(cat big.txt)\"}]}"
printf '%s' "$big_req" > big.json
curl_calls=("${POST[@]}" -d @"$T/big.json" "$url" "$url" "$url")
mkdir -p full
if mount -t tmpfs -o size=256k tmpfs "$T/full" 2>/dev/null; then
    MOUNTS+=("$T/full")
    make_good_db "$T/full/full.db"
    # Fill what is left (the tmpfs, not the host's disk).
    dd if=/dev/zero of=full/filler bs=4k status=none 2>/dev/null
    fault_case "disk full (tmpfs)" "$T/full/full.db" "insert failed|full|disk"
    rm -f full/filler
    # Room again: the next program captures normally, the database is intact.
    run_pre PROMPTLOG_DATABASE="$T/full/full.db" "${POST[@]}" -d "$req" "$url"
    assert_eq "$(sqlite3 "$T/full/full.db" 'PRAGMA integrity_check')" ok "integrity after disk full"
    assert_eq "$(sqlite3 "$T/full/full.db" 'select count(*) from calls')" 2 "capture resumes after disk full"
else
    note "tmpfs mount not permitted: disk-full case covered by RLIMIT_FSIZE only"
fi

# 6. RLIMIT_FSIZE (a full quota, without root): SIGXFSZ must not kill the program because of
# us. Both runs under the same limit; curl's own output stays far below it.
make_good_db "$T/fsize.db"
fault_case "RLIMIT_FSIZE" "$T/fsize.db" "insert failed|large|full|disk|I/O" \
    bash -c 'ulimit -f 64 && exec "$@"' limit
assert_eq "$(sqlite3 "$T/fsize.db" 'PRAGMA integrity_check')" ok "integrity after RLIMIT_FSIZE"
assert_eq "$(sqlite3 "$T/fsize.db" 'select count(*) from calls')" 1 "no partial row after RLIMIT_FSIZE"
exit 0
