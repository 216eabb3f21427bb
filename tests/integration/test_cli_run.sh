#!/usr/bin/env bash
# test_cli_run.sh — `prompt-logger run`: finds the library next to the binary, preloads it (after
# an LD_PRELOAD already set, never twice), sets -n/-d for the command, captures a real Python
# program's call, and returns the command's own exit status (0, 3, 130 from SIGINT, 127 when the
# command does not exist); its own usage errors exit 2, a missing library exits 1.
. "$(dirname "$0")/lib.sh"
start_mock --delay-ms 0

# `run` execs the program, which inherits the CLI's environment: under ASan, pl_cli's leak checking
# would then judge the host's (Python's) leaks. The run lines use lib.sh's host settings instead.
pl_cli() { "$PL_CLI" "$@"; }

# first: an existing preload stays first (the ASan runtime has to, under make asan)
if [ "$PL_ASAN" = 1 ]; then first="$(gcc -print-file-name=libasan.so)"; else first="$(gcc -print-file-name=libm.so.6)"; fi
[ -e "$first" ] || first="$(ldconfig -p | awk '/libm.so.6 /{print $NF; exit}')"
export LD_PRELOAD="$first"

# a real program captured into the database and namespace given on the command line
run_plain "$PY" "$ROOT/examples/chat_urllib.py" "$MOCK_HTTPS/v1" --cafile "$MOCK_CA"
assert_eq "$PLAIN_RC" 0 "the program alone"
pl_cli run -n run-ns -d "sqlite:///$T/run.db" -- "$PY" "$ROOT/examples/chat_urllib.py" "$MOCK_HTTPS/v1" --cafile "$MOCK_CA" \
    > run.out 2> run.err
RC=$?
assert_rc 0 "run's exit status is the program's"
assert_file_eq "$PLAIN_OUT" run.out "the program's output under run"
assert_empty run.err "nothing on stderr"
assert_eq "$(sqlite3 "$T/run.db" "select namespace || ' ' || (program like 'python%') || ' ' || model from calls")" "run-ns 1 gpt-4o-mini" \
    "captured into -d with namespace -n"

# the environment the command sees
pl_cli run -n envns -d sqlite:///x.db -- sh -c 'printf "%s\n" "$LD_PRELOAD" "$PROMPTLOG_NAMESPACE" "$PROMPTLOG_DATABASE"' > env.out
RC=$?
assert_rc 0
lib_real="$(readlink -f "$PL_LIB")"
assert_eq "$(sed -n 1p env.out)" "$first:$lib_real" "LD_PRELOAD: the library appended after the existing preload"
assert_eq "$(sed -n 2p env.out)" "envns"
assert_eq "$(sed -n 3p env.out)" "sqlite:///x.db"
LD_PRELOAD="$first:$lib_real" pl_cli run -- sh -c 'printf "%s\n" "$LD_PRELOAD"' > env2.out
assert_eq "$(cat env2.out)" "$first:$lib_real" "an already preloaded library is not added twice"
# without -n/-d the environment's values pass through untouched
PROMPTLOG_NAMESPACE=keep pl_cli run -- sh -c 'printf "%s\n" "$PROMPTLOG_NAMESPACE" "${PROMPTLOG_DATABASE-unset}"' > env3.out
assert_eq "$(tr '\n' ' ' < env3.out)" "keep unset " "no -n/-d: PROMPTLOG_* left as they were"

# exit statuses come back untouched; arguments after CMD are the command's, not ours
pl_cli run -- sh -c 'exit 3'; RC=$?
assert_rc 3 "exit 3"
pl_cli run -- sh -c 'kill -INT $$'; RC=$?
assert_rc 130 "killed by SIGINT (128 + 2)"
pl_cli run sh -c 'exit 0'; RC=$?
assert_rc 0 "exit 0, without --"
pl_cli run -- printf '%s\n' -n --help > args.out; RC=$?
assert_rc 0
assert_eq "$(tr '\n' ' ' < args.out)" "-n --help " "options after the command are the command's"

# errors: one line each
pl_cli run -- no-such-command-xyz > e.out 2> e.err; RC=$?
assert_rc 127 "a command that does not exist"
assert_lines e.err 1
assert_contains e.err "no-such-command-xyz: command not found"
pl_cli run > e.out 2> e.err; RC=$?
assert_rc 2 "no command"
assert_contains e.err "missing the command to run"
pl_cli run --bogus -- true > e.out 2> e.err; RC=$?
assert_rc 2 "unknown option"
assert_contains e.err "unknown option --bogus"
# a binary with no library beside it and no install prefix
mkdir -p alone/bin
cp "$PL_CLI" alone/bin/prompt-logger
alone/bin/prompt-logger run -- true > e.out 2> e.err; RC=$?
assert_rc 1 "no library to preload"
assert_lines e.err 1
assert_contains e.err "cannot find libpromptlog.so"
