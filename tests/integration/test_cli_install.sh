#!/usr/bin/env bash
# test_cli_install.sh — `make install PREFIX=... DESTDIR=...` puts the CLI, the preload library
# (lib/promptlog/), the man pages and the price table in place; the installed `prompt-logger run`
# finds the installed library (not the build tree's) and captures a real program; both man pages
# render with man -l without warnings; `make uninstall` removes every installed file.
. "$(dirname "$0")/lib.sh"
need man groff
skip_under_asan "installs the build directory's binaries, which the plain pass checks"
dest="$T/dest"
prefix=/opt/pl-test
make -s -C "$ROOT" BUILD="$BUILD" install PREFIX="$prefix" DESTDIR="$dest" > install.log 2>&1 ||
    { cat install.log >&2; fail "make install"; }
root="$dest$prefix"
for f in bin/prompt-logger lib/promptlog/libpromptlog.so share/man/man1/prompt-logger.1 \
         share/man/man7/promptlog.7 share/promptlog/prices.txt; do
    assert_file "$root/$f" "installed $f"
done
[ -x "$root/bin/prompt-logger" ] || fail "the CLI is executable"
if [ -e "$BUILD/promptlog.so" ]; then assert_file "$root/lib/promptlog/promptlog.so" "the sqlite3 extension"; fi

# the installed run finds the installed library, captures, and leaves the exit status alone
start_mock --delay-ms 0
"$root/bin/prompt-logger" run -d "sqlite:///$T/inst.db" -n installed -- sh -c 'printf "%s\n" "$LD_PRELOAD"' > pre.txt
assert_eq "$(cat pre.txt)" "$(readlink -f "$root/lib/promptlog/libpromptlog.so")" "the installed library is preloaded"
"$root/bin/prompt-logger" run -d "sqlite:///$T/inst.db" -n installed -- \
    "$PY" "$ROOT/examples/chat_urllib.py" "$MOCK_HTTPS/v1" --cafile "$MOCK_CA" > out.txt; RC=$?
assert_rc 0
assert_eq "$(sqlite3 "$T/inst.db" "select namespace from calls")" "installed" "captured by the installed library"
"$root/bin/prompt-logger" run -- sh -c 'exit 3'; RC=$?
assert_rc 3

# man pages render (man -l), with no groff warning, and cover what they must
for page in share/man/man1/prompt-logger.1 share/man/man7/promptlog.7; do
    MANWIDTH=80 man -l "$root/$page" > page.txt 2> page.err || fail "man -l $page"
    assert_empty page.err "man -l $page: no warnings"
    groff -man -Tutf8 -ww "$root/$page" 2>&1 >/dev/null | grep . && fail "groff warnings in $page"
    [ "$(wc -l < page.txt)" -gt 60 ] || fail "$page is rendered"
done
MANWIDTH=80 man -l "$root/share/man/man1/prompt-logger.1" > p1.txt
for c in run list show tail stats "export models" "export prompts" delete path prices diff NO_COLOR conversations prompts --conversation \
         --since --until --json --all-namespaces --vacuum --follow PROMPTLOG_PRICES "EXIT STATUS"; do
    assert_contains p1.txt "$c" "prompt-logger(1) covers $c"
done
MANWIDTH=80 man -l "$root/share/man/man7/promptlog.7" > p7.txt
for v in PROMPTLOG_DATABASE PROMPTLOG_NAMESPACE PROMPTLOG_DEBUG PROMPTLOG_MAX_BODY PROMPTLOG_BUSY_TIMEOUT_MS \
         PROMPTLOG_REDACT PROMPTLOG_ENDPOINTS PROMPTLOG_DISABLE SCHEMA LIMITS input_tokens user_version; do
    assert_contains p7.txt "$v" "promptlog(7) covers $v"
done

make -s -C "$ROOT" BUILD="$BUILD" uninstall PREFIX="$prefix" DESTDIR="$dest" > uninstall.log 2>&1 ||
    { cat uninstall.log >&2; fail "make uninstall"; }
left="$(find "$dest" -type f)"
assert_eq "$left" "" "make uninstall leaves no file"
