#!/usr/bin/env bash
# test_symbols.sh — issue 6 §6: symbol hygiene. The library exports only its hooks (libcurl,
# OpenSSL, GnuTLS, _exit/_Exit, exec*, the plain-socket calls), links no libcurl/libssl/libgnutls, loads none of them into
# a host that has none (ls, cat), and a Python host using its own sqlite3/zlib while making an
# LLM call keeps working, with our store working too.
. "$(dirname "$0")/lib.sh"
need nm readelf sqlite3

# 1. Exported symbols: the hooks and nothing else.
allowed='^(curl_(easy|multi)_[a-z_]+|SSL_[A-Za-z_]+|gnutls_[a-z_]+|_exit|_Exit|execv|execve|execvp|execvpe|execl|execle|execlp|fexecve|connect|close|close_range|closefrom|dup2|dup3|read|readv|write|writev|send|sendto|sendmsg|recv|recvfrom|recvmsg|__read_chk|__recv_chk|__recvfrom_chk|dlopen)$'
nm -D --defined-only "$PL_LIB" | awk '{print $NF}' | sort -u > exports.txt
[ -s exports.txt ] || fail "nm found no exported symbol in $PL_LIB"
if [ "$PL_ASAN" = 1 ]; then   # the sanitizer runtime's own interface symbols are not ours
    grep -vE '^(__asan|__ubsan|__sanitizer|__lsan|___asan)' exports.txt > e && mv e exports.txt
fi
if grep -vE "$allowed" exports.txt > stray.txt; then
    head -30 stray.txt >&2
    fail "$(wc -l < stray.txt) exported symbols are not hooks (a missing static or PL_HIDDEN?)"
fi
for s in curl_easy_perform curl_easy_setopt SSL_read SSL_write gnutls_record_recv _exit execve connect recv write; do
    grep -qx "$s" exports.txt || fail "hook $s is not exported"
done
note "$(wc -l < exports.txt) exported hooks"

# 2. Linked libraries: none of the hooked ones.
readelf -d "$PL_LIB" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' > needed.txt
if grep -E 'libcurl|libssl|libcrypto|libgnutls' needed.txt >&2; then
    fail "$PL_LIB links a library it hooks"
fi
# ...nor the capture engine's: those live in libpromptlog-engine.so, dlopen'ed on the first LLM
# call (preload/engine.h), so every other process pays for libc only (issue 14).
if grep -E 'libsqlite3|libzstd|libz\.|libbrotli|libnghttp2|libcjson|libm\.' needed.txt >&2; then
    fail "$PL_LIB links an engine library (it must need libc only)"
fi
[ -f "$BUILD/libpromptlog-engine.so" ] || fail "the capture engine was not built"

# 3. Hosts that have none of them: same output, and none gets loaded by us.
run_both ls -la "$ROOT/tests/fixtures"   # (not /: its /proc link count changes while the machine is busy)
assert_rc 0 "ls"
run_pre cat /proc/self/maps
assert_contains "$OUT" "libpromptlog" "the library is loaded"
for l in libcurl libssl libcrypto libgnutls; do
    assert_not_contains "$OUT" "$l" "the preload pulled $l into cat"
done
run_both sh -c 'echo hello; exit 3'
assert_rc 3

# 4. A Python host that uses its own sqlite3 and zlib (the same system copies we use) while
# making an LLM call: its results are unchanged and our record is stored.
"$PY" -c 'import requests' 2>/dev/null || skip "needs python3-requests (parts 1-3 passed)"
start_mock --delay-ms 0
cat > host.py <<'PYEOF'
import sqlite3, sys, zlib, requests
url, ca, dbfile = sys.argv[1:4]
db = sqlite3.connect(dbfile)
db.execute("create table if not exists t (k integer primary key, v blob)")
db.execute("delete from t")
blob = zlib.compress(b"host data " * 1000, 9)
db.execute("insert into t (v) values (?)", (blob,))
db.commit()
r = requests.post(url, json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "host sqlite"}]}, verify=ca)
(v,) = db.execute("select v from t").fetchone()
mem = sqlite3.connect(":memory:")
print(r.status_code, r.json()["choices"][0]["message"]["content"])
print(len(zlib.decompress(v)), zlib.crc32(v), mem.execute("select sqlite_version(), 6*7").fetchone())
print(db.execute("pragma journal_mode").fetchone(), db.execute("pragma integrity_check").fetchone())
PYEOF
run_both "$PY" host.py "$MOCK_HTTPS/v1/chat/completions" "$MOCK_CA" "$T/host.db"
assert_rc 0 "python host"
assert_contains "$OUT" "200 This is a test."
assert_contains "$OUT" "10000 "
assert_eq "$(db_query "select count(*) from calls where prompt_preview = 'host sqlite'")" 1 "our store worked in the host"
assert_eq "$(sqlite3 "$T/host.db" 'select count(*) from t')" 1 "the host's own database is intact"
exit 0
