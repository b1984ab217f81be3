#!/usr/bin/env bash
# bench/per_request.sh — what one proxied keep-alive request costs rollway, in numbers
# that do not depend on the machine's load: instructions (valgrind callgrind), heap
# allocations (valgrind memcheck's heap summary) and syscalls (strace -c), each as the
# difference between a run with N requests and a run with none, divided by N.
#
#   bench/per_request.sh [--requests N] BUILD_DIR [BASELINE_BUILD_DIR]
#
# With a baseline build dir (e.g. a worktree of the previous commit) both are measured
# the same way and the ratios printed. One demo-app upstream, 127.0.0.1 only, every
# process stopped by PID. Needs valgrind, strace, /usr/bin/python3.
set -euo pipefail
N=2000
if [[ ${1:-} == --requests ]]; then N=$2; shift 2; fi
[[ $# -ge 1 ]] || { sed -n 2,10p "$0"; exit 2; }
for t in valgrind strace /usr/bin/python3; do command -v "$t" >/dev/null || { echo "need $t" >&2; exit 1; }; done
BUILDS=("$@")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rollway-per-request.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

"${BUILDS[0]}/demo-app" --port 0 --version v1 >"$TMP/up.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do UP=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$TMP/up.out" | head -1); [[ -n $UP ]] && break; sleep 0.1; done
[[ -n ${UP:-} ]] || { echo "demo-app did not start" >&2; exit 1; }

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# load PORT N: N keep-alive GETs on one connection; fails on any non-200.
load() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import http.client, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
deadline = time.time() + 30
while True:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30); c.connect(); break
    except OSError:
        if time.time() > deadline: raise
        time.sleep(0.2)
for i in range(n):
    c.request("GET", "/healthz"); r = c.getresponse(); r.read()
    if r.status != 200: sys.exit("status %d" % r.status)
PY
}

# measure TOOL BIN N: runs the proxy under TOOL, sends N requests (plus one to know it is
# up), stops it with SIGTERM, prints the tool's total.
measure() {
  local tool=$1 bin=$2 n=$3 port out=$TMP/m.$RANDOM
  port=$(free_port)
  local cmd=("$bin" proxy --listen "127.0.0.1:$port" --upstream "127.0.0.1:$UP" --workers 1 --log-level warn --drain-timeout 1s)
  case $tool in
    ir)     valgrind --tool=callgrind --callgrind-out-file="$out.cg" "${cmd[@]}" >"$out.out" 2>"$out.err" & ;;
    allocs) valgrind --tool=memcheck --leak-check=no "${cmd[@]}" >"$out.out" 2>"$out.err" & ;;
    sys)    strace -f -c -o "$out.st" "${cmd[@]}" >"$out.out" 2>"$out.err" & ;;
  esac
  local pid=$! target
  PIDS+=("$pid")
  target=$pid
  if [[ $tool == sys ]]; then  # SIGTERM to strace would detach it: signal the proxy itself
    for _ in $(seq 100); do target=$(pgrep -P "$pid" | head -n 1) && [[ -n $target ]] && break; sleep 0.1; done
    PIDS+=("$target")
  fi
  local rc=0
  load "$port" $((n + 1)) >/dev/null || rc=$?
  kill -TERM "$target" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$target" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  (( rc == 0 )) || { echo "load through $bin failed" >&2; return 1; }
  case $tool in
    ir)     sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out.cg" | head -1 ;;
    allocs) sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$out.err" | tr -d , | head -1 ;;
    sys)    awk '$NF == "total" { print $4 }' "$out.st" ;;
  esac
}

declare -A R
for b in "${BUILDS[@]}"; do
  bin=$b/rollway
  [[ -x $bin ]] || { echo "$bin missing" >&2; exit 1; }
  for tool in ir allocs sys; do
    zero=$(measure "$tool" "$bin" 0)
    many=$(measure "$tool" "$bin" "$N")
    R[$b,$tool]=$(awk -v a="$many" -v z="$zero" -v n="$N" 'BEGIN { printf "%.1f", (a - z) / n }')
  done
  printf '%-40s instructions/request %10s   allocations/request %6s   syscalls/request %5s\n' \
    "$b" "${R[$b,ir]}" "${R[$b,allocs]}" "${R[$b,sys]}"
done
if [[ ${#BUILDS[@]} -ge 2 ]]; then
  a=${BUILDS[0]} b=${BUILDS[1]}
  printf 'ratio %s / %s: instructions %s  allocations %s  syscalls %s\n' "$(basename "$(dirname "$a")")" "$(basename "$(dirname "$b")")" \
    "$(awk -v x="${R[$a,ir]}" -v y="${R[$b,ir]}" 'BEGIN { printf "%.3f", x / y }')" \
    "$(awk -v x="${R[$a,allocs]}" -v y="${R[$b,allocs]}" 'BEGIN { printf (y > 0 ? "%.3f" : "-"), (y > 0 ? x / y : 0) }')" \
    "$(awk -v x="${R[$a,sys]}" -v y="${R[$b,sys]}" 'BEGIN { printf "%.3f", x / y }')"
fi
