#!/usr/bin/env bash
# fuzz.sh — runs the libFuzzer harnesses built by `make fuzz` (build-fuzz/fuzz/fuzz_*), one at a
# time so the fuzzing never takes more than one core, or replays their corpora and regression inputs.
#
#   scripts/fuzz.sh run [harness...]      fuzz each for FUZZ_SECONDS (default 60)
#   scripts/fuzz.sh regress [harness...]  run every file of tests/fuzz/{corpus,regress}/<harness> once
#
# Seeds come from tests/fuzz/corpus/<harness>; new corpus units go to build-fuzz/corpus/<harness>
# (the committed seed corpora stay small). A crash leaves its input in build-fuzz/artifacts/<harness>/:
# fix the bug, then copy the input to tests/fuzz/regress/<harness>/ so every `make unit` replays it.
set -u
cd "$(dirname "$0")/.."

build="${BUILD:-build-fuzz}"
seconds="${FUZZ_SECONDS:-60}"
mode="${1:-run}"
[ $# -gt 0 ] && shift
harnesses="$*"
if [ -z "$harnesses" ]; then
  for f in tests/fuzz/fuzz_*.c; do
    b=$(basename "$f" .c)
    harnesses="$harnesses ${b#fuzz_}"
  done
fi

fail=0
for h in $harnesses; do
  bin="$build/fuzz/fuzz_$h"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin missing (run make fuzz)" >&2
    fail=1
    continue
  fi
  seeds="tests/fuzz/corpus/$h"
  regress="tests/fuzz/regress/$h"
  case "$mode" in
  run)
    work="$build/corpus/$h"
    art="$build/artifacts/$h"
    log="$build/logs/$h.log"
    mkdir -p "$work" "$art" "$(dirname "$log")"
    dict=""
    [ -f "tests/fuzz/$h.dict" ] && dict="-dict=tests/fuzz/$h.dict"
    dirs="$work"
    [ -d "$seeds" ] && dirs="$dirs $seeds"
    [ -d "$regress" ] && dirs="$dirs $regress"
    start=$(date +%s)
    # shellcheck disable=SC2086
    # FUZZ_SEED fixes libFuzzer's mutation sequence (CI sets it, so its short pass is repeatable:
    # a red CI means a real, reproducible finding rather than a lucky draw).
    seed=""
    [ -n "${FUZZ_SEED:-}" ] && seed="-seed=$FUZZ_SEED"
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$art/" $seed $dict $dirs >"$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    if [ "$rc" = 0 ]; then
      echo "fuzz $h: ok, ${took}s, ${execs:-?} runs, ${cov:-cov: ?}"
    else
      echo "fuzz $h: FAILED (exit $rc) after ${took}s; see $log; inputs in $art/" >&2
      grep -m3 -E 'ERROR:|fuzz check failed|runtime error' "$log" >&2
      fail=1
    fi
    ;;
  regress)
    files=$(find "$seeds" "$regress" -type f 2>/dev/null | sort)
    if [ -z "$files" ]; then
      echo "fuzz $h: no inputs"
      continue
    fi
    # shellcheck disable=SC2086
    if "$bin" -runs=1 $files >"$build/regress-$h.log" 2>&1; then
      echo "fuzz $h: $(echo "$files" | wc -l) inputs replayed, ok"
    else
      echo "fuzz $h: FAILED, see $build/regress-$h.log" >&2
      grep -m3 -E 'ERROR:|fuzz check failed|runtime error' "$build/regress-$h.log" >&2
      fail=1
    fi
    ;;
  *)
    echo "usage: $0 run|regress [harness...]" >&2
    exit 2
    ;;
  esac
done
exit $fail
