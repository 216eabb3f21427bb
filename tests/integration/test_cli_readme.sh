#!/usr/bin/env bash
# test_cli_readme.sh — the README's commands can be pasted as they are, after `make`: every line of
# its sh blocks that runs build/prompt-logger or queries prompts.db is run from a directory laid
# out like the repository's root, against the mock server (api.openai.com and 127.0.0.1:8443
# replaced by the mock's address, its CA given through SSL_CERT_FILE / the demo-certs path), and
# must succeed. No line may use an undefined $MOCK, a bare ca.pem or a bare libpromptlog.so.
. "$(dirname "$0")/lib.sh"
need curl sqlite3
skip_under_asan "the README's lines run Debian's curl"
start_mock --delay-ms 0
awk '/^```sh/{f=1;next}/^```/{f=0}f' "$ROOT/README.md" > blocks.txt
assert_not_contains blocks.txt '$MOCK' "no undefined \$MOCK"
grep -nE '(^|[ =])ca\.pem' blocks.txt && fail "a bare ca.pem in the README"
grep -nE 'LD_PRELOAD=libpromptlog|/path/to/' blocks.txt && fail "a bare library path in the README"
grep -E '^(build/prompt-logger|sqlite3 prompts\.db .select id)' blocks.txt | sed 's/  *# .*$//' > lines.txt
[ "$(grep -c . lines.txt)" -ge 8 ] || fail "the README shows prompt-logger lines: $(cat lines.txt)"

mkdir -p root/build/demo-certs
ln -s "$BUILD/prompt-logger" "$BUILD/libpromptlog.so" root/build/
ln -s "$ROOT/examples" root/examples
cp "$MOCK_CA" root/build/demo-certs/ca.pem
cd root
export SSL_CERT_FILE="$MOCK_CA"
n=0
while IFS= read -r line; do
    cmd="${line//https:\/\/api.openai.com\/v1/$MOCK_HTTPS/v1}"
    cmd="${cmd//https:\/\/127.0.0.1:8443/$MOCK_HTTPS}"
    note "$cmd"
    eval "$cmd" > "$T/line$n.out" 2> "$T/line$n.err" < /dev/null
    rc=$?
    [ "$rc" = 0 ] || { cat "$T/line$n.err" >&2; fail "README line exited $rc: $line"; }
    n=$((n + 1))
done < "$T/lines.txt"
assert_file prompts.db "the first README lines captured into prompts.db"
assert_file demo.db "the demo-server lines captured into demo.db"
assert_eq "$(sqlite3 prompts.db "select count(*) from calls where namespace='my-agent'")" 1 "run -n my-agent"
assert_contains prompts.jsonl '"namespace":"my-agent"' "the last export"
