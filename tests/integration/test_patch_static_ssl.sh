#!/usr/bin/env bash
# test_patch_static_ssl.sh — OpenSSL linked into the executable (Debian's libssl.a/libcrypto.a,
# built here): no PLT slot reaches SSL_read/SSL_write, so only entry patching can capture it.
# Three builds: -rdynamic (exported), .symtab only, stripped (must run unchanged, uncaptured).
# Also PROMPTLOG_PATCH=0 and a prologue the patcher refuses: byte-identical and uncaptured.
. "$(dirname "$0")/lib.sh"
need cc
L="$(dirname "$(gcc -print-file-name=libssl.a)")"
[ -f "$L/libssl.a" ] && [ -f "$L/libcrypto.a" ] || skip "needs libssl.a/libcrypto.a (libssl-dev)"
src="$ROOT/tests/progs/tls_static_client.c"
cc -O2 -rdynamic -o c_dyn "$src" "$L/libssl.a" "$L/libcrypto.a" -ldl -lpthread || fail "build c_dyn"
cc -O2 -o c_sym "$src" "$L/libssl.a" "$L/libcrypto.a" -ldl -lpthread || fail "build c_sym"
cc -O2 -s -o c_strip "$src" "$L/libssl.a" "$L/libcrypto.a" -ldl -lpthread || fail "build c_strip"
cc -O0 -o fake_ok "$ROOT/tests/progs/fake_tls.c" || fail "build fake_ok"
cc -O0 -DREFUSED -o fake_refused "$ROOT/tests/progs/fake_tls.c" || fail "build fake_refused"
for b in c_dyn c_sym c_strip; do
    case "$(ldd ./$b)" in *libssl*) fail "$b links a shared libssl" ;; esac
done

start_mock
# body_of RAW: the response body of a raw HTTP/1.1 response (chunked framing removed).
body_of() {
    "$PY" - "$1" <<'PY'
import sys
raw = open(sys.argv[1], "rb").read()
head, _, body = raw.partition(b"\r\n\r\n")
if b"transfer-encoding: chunked" in head.lower():
    out, rest = b"", body
    while rest:
        size, _, rest = rest.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            break
        out, rest = out + rest[:n], rest[n + 2:]
    body = out
sys.stdout.buffer.write(body)
PY
}
plain_req='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}],"max_tokens":16}'
stream_req='{"model":"gpt-4","messages":[{"role":"user","content":"Say this is a test"}],"stream":true,"stream_options":{"include_usage":true}}'
printf '%s' "$plain_req" > plain.req
printf '%s' "$stream_req" > stream.req

n=0
for b in c_dyn c_sym; do
    for mode in "" ex; do
        for kind in plain stream; do
            run_both ./$b "$MOCK_HTTPS_PORT" "$MOCK_CA" /v1/chat/completions $kind.req $mode
            assert_rc 0
            assert_contains "$OUT" "HTTP/1.1 200" "$b $mode $kind got an answer"
            body_of "$OUT" > "resp$n.body"
            echo "$kind" >> kinds
            n=$((n + 1))
        done
    done
done
export_prompts > prompts.jsonl
assert_lines prompts.jsonl "$n" "one record per call"
i=0
while read -r kind; do
    if [ "$kind" = stream ]; then
        check chat prompts.jsonl --index $i --request-json "$stream_req" --response "resp$i.body" --stream
    else
        check chat prompts.jsonl --index $i --request-json "$plain_req" --response "resp$i.body" --no-stream
    fi
    i=$((i + 1))
done < kinds
assert_eq "$(db_query "select count(*) from calls where source='openssl' and status=200 and incomplete=0")" "$n"
assert_not_contains "$PL_DB" "sk-static-secret" "the API key is not stored"

# Which path captured it: the entry patch, not a shared libssl (none is loaded, checked above).
for b in c_dyn:exported c_sym:".symtab only"; do
    PROMPTLOG_DEBUG=1 PROMPTLOG_DATABASE="$T/dbg.db" LD_PRELOAD="$PL_PRELOAD" \
        ./"${b%%:*}" "$MOCK_HTTPS_PORT" "$MOCK_CA" /v1/chat/completions plain.req >/dev/null 2>dbg.err
    assert_contains dbg.err "patch: entry-patched in the executable (${b#*:}): SSL_write SSL_write_ex SSL_read SSL_read_ex"
done

# Stripped: nothing to find, runs unchanged, no record (and no database).
rm -f "$PL_DB"
run_both ./c_strip "$MOCK_HTTPS_PORT" "$MOCK_CA" /v1/chat/completions plain.req
assert_rc 0
assert_contains "$OUT" "HTTP/1.1 200"
assert_no_file "$PL_DB" "a stripped executable is not captured"
# PROMPTLOG_PATCH=0: the same program that is captured above is left alone.
run_both PROMPTLOG_PATCH=0 ./c_sym "$MOCK_HTTPS_PORT" "$MOCK_CA" /v1/chat/completions stream.req
assert_rc 0
assert_no_file "$PL_DB" "PROMPTLOG_PATCH=0 turns patching off"

# A prologue the patcher refuses (a jump into the first 5 bytes): left alone, byte-identical.
F="$ROOT/tests/fixtures/openai_chat_nonstream.json"
printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
    "${#plain_req}" "$plain_req" > fake.req
{ printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n' "$(stat -c %s "$F")"; cat "$F"; } > fake.resp
run_both ./fake_refused fake.req fake.resp
assert_rc 0
assert_file_eq "$OUT" fake.resp
assert_no_file "$PL_DB" "a refused prologue is not captured"
PROMPTLOG_DEBUG=1 PROMPTLOG_DATABASE="$T/dbg2.db" LD_PRELOAD="$PL_PRELOAD" ./fake_refused fake.req fake.resp >/dev/null 2>dbg.err
assert_contains dbg.err "patch: SSL_write left alone: a branch lands inside the patched bytes"
assert_not_contains dbg.err "entry-patched"
# The control, same program with an ordinary prologue: captured.
run_both ./fake_ok fake.req fake.resp
assert_rc 0
export_prompts > fake.jsonl
assert_lines fake.jsonl 1 "the control is captured"
check chat fake.jsonl --request-json "$plain_req" --response "$F" --no-stream
