#!/usr/bin/env bash
# test_doctor.sh — `prompt-logger doctor` on real programs: curl, python3, node, php, wget, a
# static binary, the three libssl.a builds (exported, .symtab, stripped: not capturable and why)
# and Go binaries when go is installed; --json parses; --run reports what the library saw
# (captures per layer, and TLS no hook decrypted when patching is off).
. "$(dirname "$0")/lib.sh"
need cc
doc() { pl_cli doctor "$@" > doc.out 2> doc.err || { cat doc.err >&2; fail "doctor $* exited $?"; }; }
line() { grep -F -- "$1" doc.out || fail "doctor: no line '$1' in: $(cat doc.out)"; }
applies() { # PATH-NAME yes|no [TEXT]
    local l
    l="$(line "$1")"
    [[ "$l" =~ [[:space:]]$2([[:space:]]|$) ]] || fail "doctor $prog: '$1' should be $2: $l"
    [ -z "${3:-}" ] || [[ "$l" == *"$3"* ]] || fail "doctor $prog: '$1' should say '$3': $l"
}

prog=curl; need curl; doc curl
applies "libcurl (shared)" yes libcurl.so; applies "OpenSSL (shared libssl)" yes libssl.so
line "verdict: capturable"
prog=python3; doc /usr/bin/python3   # libssl comes with its _ssl module, not DT_NEEDED
applies "OpenSSL (shared libssl)" yes libssl.so; line "verdict: capturable"
prog=wget; need wget; doc wget
applies "GnuTLS (shared)" yes libgnutls; applies "libcurl (shared)" no
if command -v node >/dev/null && ! ldd "$(command -v node)" | grep libssl >/dev/null; then
    prog=node; doc node
    applies "OpenSSL/BoringSSL inside the executable" yes "exported (.dynsym)"; line "verdict: capturable"
fi
if command -v php >/dev/null; then
    prog=php; doc php
    applies "libcurl (deep-bound)" yes RTLD_DEEPBIND; applies "OpenSSL/BoringSSL inside the executable" no
fi
echo 'int main(void){return 0;}' > s.c
if cc -static -o s_static s.c 2>/dev/null; then
    prog=s_static; doc ./s_static
    applies "statically linked" yes "LD_PRELOAD never loads"; line "verdict: NOT capturable: statically linked"
fi

L="$(dirname "$(gcc -print-file-name=libssl.a)")"
if [ -f "$L/libssl.a" ]; then
    src="$ROOT/tests/progs/tls_static_client.c"
    cc -O2 -rdynamic -o c_dyn "$src" "$L/libssl.a" "$L/libcrypto.a" -ldl -lpthread || fail build
    cc -O2 -o c_sym "$src" "$L/libssl.a" "$L/libcrypto.a" -ldl -lpthread || fail build
    cc -O2 -s -o c_strip "$src" "$L/libssl.a" "$L/libcrypto.a" -ldl -lpthread || fail build
    prog=c_dyn; doc ./c_dyn; applies "OpenSSL/BoringSSL inside the executable" yes "exported"
    prog=c_sym; doc ./c_sym; applies "OpenSSL/BoringSSL inside the executable" yes ".symtab"
    prog=c_strip; doc ./c_strip; applies "OpenSSL/BoringSSL inside the executable" yes "stripped"
    line "verdict: NOT capturable over HTTPS: OpenSSL is inside a stripped executable"
    doc --json ./c_strip
    "$PY" - doc.out <<'PY' || fail "doctor --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["executable_ssl"] == "stripped" and d["capturable"] is False and d["dynamic"] is True, d
assert any(p["path"].startswith("OpenSSL") and p["applies"] for p in d["paths"]), d
PY
    # --run: the .symtab build is captured through the patch; with patching off the library
    # sees a TLS socket that no hook decrypted.
    start_mock
    printf '%s' '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' > b.json
    export PROMPTLOG_DATABASE="$PL_DB" PROMPTLOG_LIB="$PL_LIB"
    # The command inherits doctor's environment: under ASan the sanitizer runtime goes first
    # (doctor appends the library) and leak checks stay off for the host, as in run_pre.
    [ "$PL_ASAN" = 1 ] && export LD_PRELOAD="${PL_PRELOAD% *}"
    docrun() { timeout -k 5 60 "$PL_CLI" doctor "$@"; }
    prog=run; docrun --json --run -- ./c_sym "$MOCK_HTTPS_PORT" "$MOCK_CA" /v1/chat/completions b.json > doc.out 2> doc.err
    "$PY" - doc.out <<'PY' || fail "doctor --run (patched)"
import json, sys
r = json.load(open(sys.argv[1]))["run"]
assert r["exit"] == 0 and r["captured"]["openssl"] == 1 and r["tls_sessions"]["openssl"] == 1, r
assert r["patched_entries"] >= 4 and r["tls_sockets_undecrypted"] == 0, r
PY
    assert_contains doc.err "HTTP/1.1 200" "the command's stdout went to stderr"
    PROMPTLOG_PATCH=0 docrun --run -- ./c_sym "$MOCK_HTTPS_PORT" "$MOCK_CA" /v1/chat/completions b.json > doc.out 2>/dev/null
    line "LLM calls captured: 0"
    line "sockets that carried TLS no hook decrypted: 1"
    unset PROMPTLOG_DATABASE PROMPTLOG_LIB LD_PRELOAD
fi

if command -v go >/dev/null; then
    cat > g.go <<'GO'
package main

import (
	"fmt"
	"net/http"
)

func main() { _, err := http.Get("https://127.0.0.1:1/"); fmt.Println(err != nil) }
GO
    export GOCACHE="${GOCACHE:-$BUILD/go-cache}" GOFLAGS=-mod=mod GO111MODULE=off
    if CGO_ENABLED=0 go build -o g_static g.go 2>go.err && CGO_ENABLED=1 go build -o g_dyn g.go 2>>go.err; then
        prog=g_static; doc ./g_static; applies "statically linked" yes "statically linked Go: not capturable with LD_PRELOAD"
        prog=g_dyn; doc ./g_dyn; applies "Go crypto/tls" yes "$(go env GOVERSION), dynamically linked: crypto/tls.(*Conn).Write/Read/Close are patched"
        line "verdict: capturable over HTTPS"
    else
        note "go build failed: $(head -3 go.err)"
    fi
fi
pl_cli doctor > /dev/null 2>&1; assert_eq "$?" 2 "doctor without PROGRAM is a usage error"
pl_cli doctor /nonexistent/prog > /dev/null 2>&1; assert_eq "$?" 1 "a missing program"
