#!/bin/sh
# Runs the torture test (tests/e2e/torture_test.cc) for SEEDS sequences, one after the
# other, each with its own seed: fresh random ones, or FIRST, FIRST+1, ... when FIRST is
# given. Prints one line per seed and a summary; every run's output is kept in
# BUILD/torture/seed-N.log. Exit 1 when any seed failed.
#   scripts/torture.sh BUILD SEEDS [FIRST]
set -u
build=${1:?usage: scripts/torture.sh BUILD SEEDS [FIRST]}
seeds=${2:?usage: scripts/torture.sh BUILD SEEDS [FIRST]}
first=${3:-}
test_bin="$build/tests/e2e_torture_test"
[ -x "$test_bin" ] || { echo "torture: $test_bin is not built (make torture builds it)" >&2; exit 2; }
logs="$build/torture"
mkdir -p "$logs"
src=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
failed_seeds=""
i=0
while [ "$i" -lt "$seeds" ]; do
  if [ -n "$first" ]; then
    seed=$((first + i))
  else
    seed=$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')
  fi
  i=$((i + 1))
  log="$logs/seed-$seed.log"
  start=$(date +%s)
  if ROLLWAY_TORTURE_SEED=$seed ROLLWAY_BUILD_DIR="$build" ROLLWAY_SOURCE_DIR="$src" ROLLWAY_TORTURE_LOG_DIR="$logs" \
      timeout 300 "$test_bin" --gtest_filter='TortureTest.*' >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "[$i/$seeds] seed $seed passed in $(($(date +%s) - start)) s"
  else
    failed=$((failed + 1))
    failed_seeds="$failed_seeds $seed"
    reason=$(grep -m1 'FAILED:' "$log" | cut -c1-200)
    echo "[$i/$seeds] seed $seed FAILED in $(($(date +%s) - start)) s: ${reason:-see the log} (log: $log)"
  fi
done
echo "torture: $seeds sequences, $passed passed, $failed failed${failed_seeds:+ (seeds:$failed_seeds)}"
[ "$failed" -eq 0 ]
