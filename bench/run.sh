#!/usr/bin/env bash
# bench/run.sh — rollway's reverse proxy against nginx and HAProxy, in one run, on
# one machine, on 127.0.0.1 only. See bench/README.md for what is measured and how
# to read the result. Needs: wrk, nginx, haproxy, curl, taskset, getconf, awk, and
# the rollway + demo-app binaries (make bench builds them).
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/run.sh [options]
  --duration S       measured seconds per target (default 10)
  --warmup S         warm-up seconds before each measured window (default 2)
  --connections N    wrk connections (default 64)
  --threads N        wrk threads (default 1)
  --rounds N         repeat the whole comparison N times, alternating the order (default 3)
  --scenario S       keepalive | newconn | all (default keepalive)
  --targets LIST     comma-separated subset of direct,nginx,haproxy,rollway (default all)
  --path P           request path (default /healthz)
  --build-dir DIR    where rollway and demo-app are (default <repo>/build, or $BUILD)
  --baseline-build D another build of rollway (e.g. of the previous commit) measured as
                     target "baseline" in the same interleaved rounds: before/after ratios
  --save             also copy the JSON to bench/results/latest.json
  --keep-tmp         keep the temp dir's logs and configs (kept anyway when errors are seen)
  -h, --help         this text
The results (results.json, results.txt, raw.tsv, errors.txt) stay in a mktemp dir
whose path is printed at the end.
EOF
}

DURATION=10 WARMUP=2 CONNECTIONS=64 THREADS=1 ROUNDS=3 SCENARIO_ARG=keepalive
TARGETS_ARG=direct,nginx,haproxy,rollway BENCH_PATH=/healthz SAVE=0 KEEP_TMP=0 BASELINE_DIR=
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD:-$ROOT/build}

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

need_arg() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration)    need_arg "$@"; DURATION=$2; shift 2 ;;
    --warmup)      need_arg "$@"; WARMUP=$2; shift 2 ;;
    --connections) need_arg "$@"; CONNECTIONS=$2; shift 2 ;;
    --threads)     need_arg "$@"; THREADS=$2; shift 2 ;;
    --rounds)      need_arg "$@"; ROUNDS=$2; shift 2 ;;
    --scenario)    need_arg "$@"; SCENARIO_ARG=$2; shift 2 ;;
    --targets)     need_arg "$@"; TARGETS_ARG=$2; shift 2 ;;
    --path)        need_arg "$@"; BENCH_PATH=$2; shift 2 ;;
    --build-dir)   need_arg "$@"; BUILD_DIR=$2; shift 2 ;;
    --baseline-build) need_arg "$@"; BASELINE_DIR=$2; shift 2 ;;
    --save)        SAVE=1; shift ;;
    --keep-tmp)    KEEP_TMP=1; shift ;;
    -h|--help)     usage; exit 0 ;;
    *)             usage >&2; exit 2 ;;
  esac
done

for v in DURATION CONNECTIONS THREADS ROUNDS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--${v,,} must be a positive integer (got '${!v}')"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "--warmup must be a non-negative integer"
(( THREADS <= CONNECTIONS )) || die "--threads must not exceed --connections"
[[ $BENCH_PATH == /* ]] || die "--path must start with /"
case $SCENARIO_ARG in
  keepalive|newconn) SCENARIOS=("$SCENARIO_ARG") ;;
  all)               SCENARIOS=(keepalive newconn) ;;
  *)                 die "--scenario must be keepalive, newconn or all" ;;
esac
IFS=, read -r -a TARGETS <<<"$TARGETS_ARG"
for t in "${TARGETS[@]}"; do
  case $t in direct|nginx|haproxy|rollway) ;; *) die "unknown target '$t'" ;; esac
done
[[ -z $BASELINE_DIR ]] || TARGETS+=(baseline)

# ---- tools -------------------------------------------------------------------
PATH=$PATH:/usr/sbin:/sbin
for tool in wrk curl getconf awk timeout; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh --bench)"
done
for t in "${TARGETS[@]}"; do
  case $t in
    nginx|haproxy) command -v "$t" >/dev/null || die "$t not found (scripts/install-deps.sh --bench)" ;;
  esac
done
BUILD_DIR=$(cd "$BUILD_DIR" 2>/dev/null && pwd) || die "build dir not found (make bench builds it)"
ROLLWAY=$BUILD_DIR/rollway
DEMO_APP=$BUILD_DIR/demo-app
[[ -x $DEMO_APP ]] || die "$DEMO_APP missing: cmake --build $BUILD_DIR --target demo-app"
[[ -x $ROLLWAY ]] || die "$ROLLWAY missing: cmake --build $BUILD_DIR --target rollway"
PROXY_DIR=$ROOT/bench/proxy
CLK_TCK=$(getconf CLK_TCK)

# Pinning: the proxy under test gets core 0 to itself; wrk and the upstream share core 1.
NPROC=$(getconf _NPROCESSORS_ONLN)
if command -v taskset >/dev/null && (( NPROC >= 2 )); then
  PROXY_CPU=0 LOAD_CPU=1
  PROXY_PIN=(taskset -c "$PROXY_CPU") LOAD_PIN=(taskset -c "$LOAD_CPU")
else
  log "warning: no taskset or fewer than 2 cores: running unpinned, figures are even noisier"
  PROXY_CPU=none LOAD_CPU=none PROXY_PIN=() LOAD_PIN=()
fi

# ---- temp dir, process bookkeeping, cleanup -------------------------------------
OUT=$(mktemp -d "${TMPDIR:-/tmp}/rollway-bench.XXXXXX")
WORK=$OUT/work
mkdir -p "$WORK"
RAW=$OUT/raw.tsv ERRORS=$OUT/errors.txt
: >"$ERRORS"
printf 'round\tscenario\ttarget\trps\trequests\tp50_ms\tp99_ms\tproxy_cpu_s\tproxy_cpu_100k\tproxy_core_pct\tupstream_cpu_100k\tnon2xx\tsock_errors\tsock_detail\tstatus\tproxy_core_busy_pct\tload_core_busy_pct\tsteal_pct\n' >"$RAW"

PIDS=()   # every long-running process this script started and has not stopped yet

children_of() { cat /proc/"$1"/task/*/children 2>/dev/null || true; }

forget_pid() {
  local p keep=()
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# stop_pid PID: SIGTERM, up to 5 s to exit, then SIGKILL (and its children). Returns 0.
stop_pid() {
  local pid=$1 kids i p
  kids=$(children_of "$pid")
  if kill -TERM "$pid" 2>/dev/null; then
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not exit on SIGTERM within 5 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  # Stray children (an nginx worker whose master was killed) go too, by their own PIDs.
  for p in $kids; do kill -KILL "$p" 2>/dev/null || true; done
  forget_pid "$pid"
}

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  rm -rf "${WORK:?}/bin"
  if (( KEEP_TMP == 0 )) && [[ ! -s $ERRORS ]] && (( rc == 0 )); then
    rm -rf "$WORK"
  else
    log "logs and configs kept in $WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Snapshot the binaries: others may rebuild build/ while the benchmark runs, and every
# round must measure the same rollway.
mkdir -p "$WORK/bin"
cp "$ROLLWAY" "$DEMO_APP" "$WORK/bin/" || die "cannot copy the binaries from $BUILD_DIR (being rebuilt? retry)"
BASELINE=""
if [[ -n $BASELINE_DIR ]]; then
  [[ -x $BASELINE_DIR/rollway ]] || die "$BASELINE_DIR/rollway missing (--baseline-build)"
  cp "$BASELINE_DIR/rollway" "$WORK/bin/rollway-baseline" || die "cannot copy $BASELINE_DIR/rollway"
  BASELINE=$WORK/bin/rollway-baseline
  "$BASELINE" proxy --help >/dev/null 2>&1 || die "$BASELINE_DIR/rollway does not run"
fi
ROLLWAY_SRC=$ROLLWAY
ROLLWAY=$WORK/bin/rollway DEMO_APP=$WORK/bin/demo-app
ROLLWAY_SUM=$(sha256sum "$ROLLWAY" | cut -c1-12)
if ! "$ROLLWAY" proxy --help >/dev/null 2>&1 || ! "$DEMO_APP" --help >/dev/null 2>&1; then
  die "the binaries in $BUILD_DIR do not run (being rebuilt? retry in a minute)"
fi

cd "$WORK"   # anything a process writes relative to its cwd lands in the temp dir

# ---- helpers -----------------------------------------------------------------------
# A port with nothing listening on it, below the default ephemeral range (32768+) so
# that it cannot collide with the load generator's own source ports.
pick_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# wait_http URL PID: poll until URL answers 2xx, for at most 10 s, failing early if PID dies.
wait_http() {
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$2" 2>/dev/null || return 1
    curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# ticks PID...: utime+stime (clock ticks) summed over the PIDs; fails if one is gone.
ticks() {
  local pid stat rest sum=0
  local -a f
  for pid in "$@"; do
    # The builtin read: no fork, no command substitution; retried once on a transient failure.
    if ! read -r stat <"/proc/$pid/stat" 2>/dev/null; then
      sleep 0.05
      read -r stat <"/proc/$pid/stat" || { log "cannot read /proc/$pid/stat"; return 1; }
    fi
    rest=${stat##*) }          # comm may contain spaces: cut after its closing paren
    read -r -a f <<<"$rest"    # f[0] is field 3 (state): utime is field 14, stime 15
    sum=$((sum + f[11] + f[12]))
  done
  echo "$sum"
}

# core_times: "busy total steal" jiffies of the proxy core and of the load core, from
# /proc/stat (the aggregate line for both when running unpinned).
core_times() {
  awk -v a="cpu$PROXY_CPU" -v b="cpu$LOAD_CPU" '
    function out(k) { if (!(k in busy)) k = "cpu"; printf "%s %s %s ", busy[k], total[k], steal[k] }
    /^cpu/ { busy[$1] = $2 + $3 + $4 + $7 + $8; total[$1] = $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; steal[$1] = $9 }
    END { out(a); out(b); print "" }' /proc/stat
}

fill_template() { # template out key=value...
  local tmpl=$1 out=$2 expr=() kv
  shift 2
  for kv in "$@"; do expr+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${expr[@]}" "$tmpl" >"$out"
}

# start_target TARGET TAG: starts the proxy under test pinned to the proxy core and waits
# until a request goes through it. Sets TGT_URL, TGT_PID (the process to stop) and
# TGT_CPU_PIDS (whose CPU time is counted). Retries with another port if the port was taken.
start_target() {
  local target=$1 tag=$2 attempt port dir
  TGT_CPU_PIDS=()
  if [[ $target == direct ]]; then
    TGT_URL=http://127.0.0.1:$UP_PORT$BENCH_PATH TGT_PID=""
    return 0
  fi
  local maxconn=$((CONNECTIONS * 4 > 1024 ? CONNECTIONS * 4 : 1024))
  for attempt in 1 2 3; do
    port=$(pick_port) || die "no free port found"
    dir=$WORK/$tag.$attempt
    mkdir -p "$dir"
    case $target in
      nginx)
        fill_template "$PROXY_DIR/nginx.conf.tmpl" "$dir/nginx.conf" \
          PREFIX="$dir" PORT="$port" UPSTREAM="127.0.0.1:$UP_PORT" \
          UPSTREAM_KEEPALIVE="$CONNECTIONS" MAXCONN="$maxconn"
        TGT_CMD=(nginx -p "$dir" -e "$dir/nginx-error.log" -c "$dir/nginx.conf" -g 'daemon off;')
        ;;
      haproxy)
        fill_template "$PROXY_DIR/haproxy.cfg.tmpl" "$dir/haproxy.cfg" \
          PORT="$port" UPSTREAM="127.0.0.1:$UP_PORT" MAXCONN="$maxconn"
        TGT_CMD=(haproxy -db -f "$dir/haproxy.cfg")
        ;;
      rollway|baseline)
        local bin=$ROLLWAY
        [[ $target == baseline ]] && bin=$BASELINE
        TGT_CMD=("$bin" proxy --listen "127.0.0.1:$port" --upstream "127.0.0.1:$UP_PORT"
                 --workers 1 --log-level warn --drain-timeout 2s)
        ;;
    esac
    printf '%q ' "${PROXY_PIN[@]}" "${TGT_CMD[@]}" >"$dir/command"
    (cd "$dir" && exec "${PROXY_PIN[@]}" "${TGT_CMD[@]}") >"$dir/stdout" 2>"$dir/stderr" </dev/null &
    TGT_PID=$!
    PIDS+=("$TGT_PID")
    TGT_URL=http://127.0.0.1:$port$BENCH_PATH
    if wait_http "$TGT_URL" "$TGT_PID"; then
      # The measured processes: the main one and its children (nginx: master + worker).
      read -r -a TGT_CPU_PIDS <<<"$TGT_PID $(children_of "$TGT_PID" | tr '\n' ' ')"
      return 0
    fi
    log "$target did not come up on port $port (attempt $attempt); stderr:"
    tail -n 5 "$dir/stderr" >&2 || true
    stop_pid "$TGT_PID"
  done
  die "$target failed to start 3 times; see $WORK"
}

# run_wrk URL SECONDS OUTFILE: the load generator, pinned to the load core, bounded.
run_wrk() {
  local extra=()
  [[ $SCENARIO == newconn ]] && extra=(-H "Connection: close")
  WRK_CMD=("${LOAD_PIN[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2s" --latency --timeout 5s "${extra[@]}" "$1")
  timeout -k 5 $(($2 + 30)) "${WRK_CMD[@]}" >"$3" 2>&1
}

record_error() { echo "$*" >>"$ERRORS"; log "ERROR: $*"; }

# measure ROUND TARGET: one warm-up + one measured window; appends a row to raw.tsv.
measure() {
  local round=$1 target=$2 tag=$1-$SCENARIO-$2 t0 t1 u0 u1 rc=0 status=ok
  local rps req p50 p99 non2xx sock detail cpu_s cpu100k core up100k c0 c1
  start_target "$target" "$tag"
  if (( WARMUP > 0 )); then
    run_wrk "$TGT_URL" "$WARMUP" "$WORK/$tag.warmup.txt" || true
  fi
  t0=0 t1=0
  if [[ -n $TGT_PID ]]; then t0=$(ticks "${TGT_CPU_PIDS[@]}") || status=failed; fi
  u0=$(ticks "$UP_PID") || die "upstream died (see $WORK/upstream.stderr)"
  c0=$(core_times)
  run_wrk "$TGT_URL" "$DURATION" "$WORK/$tag.wrk.txt" || rc=$?
  if [[ -n $TGT_PID ]]; then t1=$(ticks "${TGT_CPU_PIDS[@]}") || status=failed; fi
  c1=$(core_times)
  u1=$(ticks "$UP_PID") || die "upstream died (see $WORK/upstream.stderr)"
  local cmd_str pbusy lbusy steal
  read -r pbusy lbusy steal < <(echo "$c0 $c1" | awk '{
      pt = $8 - $2; lt = $11 - $5
      printf "%.1f %.1f %.1f\n", (pt > 0 ? ($7 - $1) / pt * 100 : 0), (lt > 0 ? ($10 - $4) / lt * 100 : 0),
        (pt + lt > 0 ? ($9 - $3 + $12 - $6) / (pt + lt) * 100 : 0) }')
  cmd_str=$(printf '%q ' "${WRK_CMD[@]}")

  IFS=$'\t' read -r rps req p50 p99 non2xx sock detail < <(awk -f "$PROXY_DIR/parse_wrk.awk" "$WORK/$tag.wrk.txt")
  if (( rc != 0 )) || [[ $rps == NA ]]; then
    status=failed
    record_error "round $round $SCENARIO $target: wrk exited $rc / no result: $cmd_str (output: $WORK/$tag.wrk.txt)"
  fi
  if [[ -n $TGT_PID ]] && ! kill -0 "$TGT_PID" 2>/dev/null; then
    status=failed
    local prc=0
    wait "$TGT_PID" 2>/dev/null || prc=$?
    forget_pid "$TGT_PID"
    record_error "round $round $SCENARIO $target: the proxy process died during the run (wait status $prc); command: $(cat "$WORK/$tag".*/command 2>/dev/null | tail -n 1); stderr tail: $(tail -n 3 "$WORK/$tag".*/stderr 2>/dev/null | tr '\n' ' ')"
  fi
  if [[ $status == ok ]] && (( non2xx > 0 || sock > 0 )); then
    status=errors
    record_error "round $round $SCENARIO $target: $non2xx non-2xx responses, socket errors: ${detail//_/ }; load: $cmd_str"
  fi
  if [[ -n $TGT_PID ]]; then stop_pid "$TGT_PID"; fi

  cpu_s=NA cpu100k=NA core=NA up100k=NA
  if [[ $req != NA && $req -gt 0 ]]; then
    up100k=$(awk -v d=$((u1 - u0)) -v hz="$CLK_TCK" -v n="$req" 'BEGIN { printf "%.4f", d / hz * 100000 / n }')
    if [[ -n $TGT_PID && $status != failed ]]; then
      read -r cpu_s cpu100k core < <(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$req" -v w="$DURATION" \
        'BEGIN { s = d / hz; printf "%.2f %.4f %.1f\n", s, s * 100000 / n, s / w * 100 }')
    fi
  fi
  if [[ $status == failed ]]; then rps=NA p50=NA p99=NA; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$SCENARIO" "$target" \
    "$rps" "$req" "$p50" "$p99" "$cpu_s" "$cpu100k" "$core" "$up100k" "$non2xx" "$sock" "$detail" "$status" "$pbusy" "$lbusy" "$steal" >>"$RAW"
  printf 'bench:   %-8s %9s req/s  p50 %6s ms  p99 %7s ms  proxy cpu-s %s, per 100k req %s  busy%% proxy core %s load core %s  steal %s%%  (%s)\n' \
    "$target" "$rps" "$p50" "$p99" "$cpu_s" "$cpu100k" "$pbusy" "$lbusy" "$steal" "$status" >&2
}

# ---- the run -----------------------------------------------------------------------
log "results in $OUT"
log "config: ${ROUNDS} rounds x ${SCENARIOS[*]} x ${TARGETS[*]}; wrk -t$THREADS -c$CONNECTIONS, ${WARMUP}s warm-up + ${DURATION}s measured; path $BENCH_PATH; proxy on cpu $PROXY_CPU, wrk + upstream on cpu $LOAD_CPU"

# One upstream for the whole run; --port 0 lets the kernel pick, demo-app prints it.
(exec "${LOAD_PIN[@]}" "$DEMO_APP" --port 0 --version v1) >"$WORK/upstream.stdout" 2>"$WORK/upstream.stderr" </dev/null &
UP_PID=$!
PIDS+=("$UP_PID")
UP_PORT=""
for ((i = 0; i < 100; i++)); do
  UP_PORT=$(sed -n 's/.*listening on [0-9.]*:\([0-9][0-9]*\).*/\1/p' "$WORK/upstream.stdout" 2>/dev/null | head -n 1) || true
  [[ -n $UP_PORT ]] && break
  kill -0 "$UP_PID" 2>/dev/null || die "demo-app exited at start: $(cat "$WORK/upstream.stderr")"
  sleep 0.1
done
[[ -n $UP_PORT ]] || die "demo-app did not report its port within 10 s"
wait_http "http://127.0.0.1:$UP_PORT$BENCH_PATH" "$UP_PID" || die "demo-app does not answer $BENCH_PATH"
log "upstream demo-app pid $UP_PID on 127.0.0.1:$UP_PORT"

for ((round = 1; round <= ROUNDS; round++)); do
  order=("${TARGETS[@]}")
  if (( round % 2 == 0 )); then   # alternate the order: drift and warm caches hit everyone alike
    order=()
    for ((i = ${#TARGETS[@]} - 1; i >= 0; i--)); do order+=("${TARGETS[i]}"); done
  fi
  for SCENARIO in "${SCENARIOS[@]}"; do
    log "round $round/$ROUNDS, scenario $SCENARIO: ${order[*]}"
    for target in "${order[@]}"; do measure "$round" "$target"; done
  done
done

# ---- report --------------------------------------------------------------------------
v_rollway="commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (working tree may differ), $ROLLWAY_SRC sha256 $ROLLWAY_SUM"
[[ -z $BASELINE ]] || v_rollway="$v_rollway; baseline $BASELINE_DIR/rollway sha256 $(sha256sum "$BASELINE" | cut -c1-12)"
v_nginx=$( (nginx -v 2>&1 || true) | head -n 1)
v_haproxy=$( (haproxy -v 2>/dev/null || true) | head -n 1)
v_wrk=$( (wrk --version 2>&1 || true) | head -n 1)
report() {
  awk -v mode="$1" -v rounds="$ROUNDS" -v generated="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -v nproc="$NPROC" -v kernel="$(uname -sr)" -v duration="$DURATION" -v warmup="$WARMUP" \
    -v connections="$CONNECTIONS" -v threads="$THREADS" -v path="$BENCH_PATH" \
    -v proxy_cpu="$PROXY_CPU" -v load_cpu="$LOAD_CPU" \
    -v v_rollway="$v_rollway" -v v_nginx="$v_nginx" -v v_haproxy="$v_haproxy" -v v_wrk="$v_wrk" \
    -f "$PROXY_DIR/report.awk" "$RAW" "$ERRORS"
}
report table >"$OUT/results.txt"
report json >"$OUT/results.json"
cat "$OUT/results.txt"
echo
if [[ -s $ERRORS ]]; then
  echo "errors seen (also in $ERRORS):"
  sed 's/^/  /' "$ERRORS"
  echo
fi
echo "results: $OUT/results.json (table: $OUT/results.txt, per-run rows: $RAW)"
if (( SAVE )); then
  mkdir -p "$ROOT/bench/results"
  cp "$OUT/results.json" "$ROOT/bench/results/latest.json"
  echo "saved:   $ROOT/bench/results/latest.json"
fi
