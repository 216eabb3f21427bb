#!/usr/bin/env bash
# test_life_setuid.sh — issue 6 §2: setuid programs are left alone. A setuid-`nobody` copy of
# tests/progs/setuid_probe (it dlopens the library itself, since the loader drops LD_PRELOAD
# paths in secure mode) calls an LLM endpoint through our hooks with PROMPTLOG_DATABASE and
# PROMPTLOG_DEBUG set: no database is created and nothing is said. The same binary without the
# setuid bit captures normally (so the probe would notice a broken AT_SECURE check), and an
# LD_PRELOAD of the setuid binary is ignored by the loader.
. "$(dirname "$0")/lib.sh"
need cc pkg-config sqlite3
id nobody >/dev/null 2>&1 || skip "needs a 'nobody' user"
[ "$(id -u)" = 0 ] || skip "needs root to make a setuid-nobody binary"
# An ASan library can only be dlopen'ed into a program whose ASan runtime came first: under ASan
# the probe is built with the same sanitizers.
san=()
[ "$PL_ASAN" = 1 ] && san=(-fsanitize=address,undefined -fno-omit-frame-pointer)
start_mock

# A world-writable place (the test dir is 0700: nobody could not create the database there).
W="$(mktemp -d /tmp/pl-suid.XXXXXX)"
_suid_cleanup() { rm -rf "$W"; _pl_cleanup; }
trap _suid_cleanup EXIT
chmod 0755 "$W"
mkdir -m 1777 "$W/db"
cc -O1 "${san[@]}" -o "$W/probe" "$ROOT/tests/progs/setuid_probe.c" -ldl $(pkg-config --libs libcurl) ||
    fail "cannot build setuid_probe"
cp "$PL_LIB" "$W/libpromptlog.so" && chmod 0755 "$W/libpromptlog.so"
cp "$BUILD/libpromptlog-engine.so" "$W/" && chmod 0755 "$W/libpromptlog-engine.so"  # found next to it
cp "$W/probe" "$W/probe-suid"
chown nobody "$W/probe-suid" && chmod 4755 "$W/probe-suid"
url="$MOCK_HTTP/v1/chat/completions"

run_probe() {  # run_probe BINARY DBNAME: sets OUT ERR RC (no LD_PRELOAD: the probe loads us)
    RUN_DIR="$T/probe-$(basename "$1")-$2"; mkdir -p "$RUN_DIR"
    timeout -k 5 30 env -u LD_PRELOAD PROMPTLOG_DATABASE="$W/db/$2" PROMPTLOG_DEBUG=1 \
        "$1" "$W/libpromptlog.so" "$url" >"$RUN_DIR/out" 2>"$RUN_DIR/err" </dev/null
    RC=$?; OUT="$RUN_DIR/out"; ERR="$RUN_DIR/err"
}

# Control: not setuid, so capture works through the dlopened hooks.
run_probe "$W/probe" plain.db
assert_rc 0 "probe"
assert_contains "$OUT" "secure=0" "the plain probe is not in secure mode"
assert_contains "$OUT" "rc=0"
assert_eq "$(sqlite3 "$W/db/plain.db" 'select count(*) from calls' 2>/dev/null)" 1 "the plain probe captured through the dlopened hooks"

# Setuid nobody: AT_SECURE.
run_probe "$W/probe-suid" suid.db
assert_rc 0 "setuid probe"
grep -q 'secure=1' "$OUT" || skip "the setuid bit had no effect here ($(cat "$OUT"); nosuid mount?)"
assert_contains "$OUT" "rc=0" "the setuid program's own call works"
assert_no_file "$W/db/suid.db" "a setuid process must not create the database"
assert_empty "$ERR" "a setuid process must not print debug output"

# LD_PRELOAD of the setuid binary: the loader ignores it; still no database, no output of ours.
RUN_DIR="$T/preload-suid"; mkdir -p "$RUN_DIR"
timeout -k 5 30 env PROMPTLOG_DATABASE="$W/db/pre.db" PROMPTLOG_DEBUG=1 LD_PRELOAD="$W/libpromptlog.so" \
    "$W/probe-suid" "$W/libpromptlog.so" "$url" >"$RUN_DIR/out" 2>"$RUN_DIR/err" </dev/null
assert_contains "$RUN_DIR/out" "secure=1"
assert_no_file "$W/db/pre.db" "LD_PRELOAD into a setuid process captures nothing"
assert_not_contains "$RUN_DIR/err" "promptlog"
exit 0
