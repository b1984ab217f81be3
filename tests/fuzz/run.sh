#!/usr/bin/env bash
# Runs every libFuzzer target of a `make fuzz` tree for a bounded time, one at a time.
#   tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
# Inputs: tests/fuzz/corpus/<target>/ (read, never written). New inputs go to
# BUILD_DIR/fuzz-corpus/<target>/, crashes/leaks/timeouts to BUILD_DIR/fuzz-findings/<target>/.
# Exits 1 when any target found something (the files are listed), else 0.
set -uo pipefail
build=${1:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(http_request http_response spec_yaml spec_json condition snapshot_json api_body)

found=0
for t in "${targets[@]}"; do
  bin="$build/fuzz/${t}_fuzz"
  [ -x "$bin" ] || { echo "run.sh: $bin is missing (make fuzz builds it)" >&2; exit 2; }
  scratch="$build/fuzz-corpus/$t"
  findings="$build/fuzz-findings/$t"
  mkdir -p "$scratch" "$findings"
  echo "== $t: ${seconds}s (new inputs: $scratch, findings: $findings)"
  # The first corpus dir receives new inputs; the committed one is only read.
  # -timeout: one input taking 10 s is a finding (a hang), not a slow machine.
  nice -n 19 "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$scratch" "$here/corpus/$t" \
    >"$build/fuzz-findings/$t.log" 2>&1
  rc=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec)' "$build/fuzz-findings/$t.log" | tail -3
  if [ $rc -ne 0 ] || [ -n "$(ls -A "$findings")" ]; then
    echo "$t: FOUND SOMETHING (exit $rc); see $build/fuzz-findings/$t.log:" >&2
    ls -1 "$findings" >&2
    found=1
  fi
done
exit $found
