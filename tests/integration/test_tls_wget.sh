#!/usr/bin/env bash
# test_tls_wget.sh — wget (GnuTLS on Debian) under the preload: `wget --post-data` to a chat
# endpoint is recorded once through the GnuTLS hooks with what wget saved; a plain GET is not.
. "$(dirname "$0")/lib.sh"
if [ "$PL_ASAN" = 1 ]; then
    # Debian's wget cannot run under ASan (lib.sh, _pl_asan_check_host): the host is a small
    # GnuTLS client taking the same options (tests/progs/wget_gnutls.c), built with the sanitizers.
    need cc pkg-config
    cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
        -o "$T/wget_gnutls" "$ROOT/tests/progs/wget_gnutls.c" $(pkg-config --cflags --libs gnutls) ||
        fail "cannot build wget_gnutls"
    WGET=("$T/wget_gnutls")
else
    need wget
    ldd "$(command -v wget)" | grep libgnutls >/dev/null || skip "this wget does not use GnuTLS"
    WGET=(wget)
fi
start_mock
req='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}],"max_tokens":16}'
run_both "${WGET[@]}" -q -O - --ca-certificate="$MOCK_CA" --header='Content-Type: application/json' \
    --header='Authorization: Bearer sk-test-wget-secret' --post-data="$req" "$MOCK_HTTPS/v1/chat/completions"
assert_rc 0
cp "$OUT" chat.out
assert_contains chat.out '"This is a test."'

# A streamed answer, and a non-LLM download in the same run (two URLs, one connection).
sreq='{"model":"gpt-4","stream":true,"messages":[{"role":"user","content":"Say this is a test"}]}'
run_both "${WGET[@]}" -q -O - --ca-certificate="$MOCK_CA" --post-data="$sreq" "$MOCK_HTTPS/v1/chat/completions"
assert_rc 0
cp "$OUT" stream.out
run_both "${WGET[@]}" -q -O - --ca-certificate="$MOCK_CA" "$MOCK_HTTPS/other" "$MOCK_HTTPS/v1/models"
assert_rc 0

export_prompts > prompts.jsonl
assert_lines prompts.jsonl 2 "the two chat calls only"
check chat prompts.jsonl --index 0 --request-json "$req" --response chat.out --no-stream
check chat prompts.jsonl --index 1 --request-json "$sreq" --response stream.out --stream
assert_eq "$(db_query "select source, status, incomplete from calls order by id")" \
    "$(printf 'gnutls|200|0\ngnutls|200|0')"
assert_not_contains "$PL_DB" "sk-test-wget-secret"
