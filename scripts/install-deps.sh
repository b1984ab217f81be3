#!/usr/bin/env bash
# Installs every Debian package that rollway's build, tests and benchmarks need.
# Skips what is already installed; runs apt-get only when something is missing.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build pkg-config ccache
  libasio-dev node-llhttp libnghttp2-dev libssl-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libsqlite3-dev libexpected-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler golang-etcd-server-dev
)
# iproute2 and etcd-client: the cluster tests' network-namespace hosts and etcdctl (tests/cluster);
# python3-kubernetes: the schema check of `rollway export kubernetes` (tests/tools/k8s_validate.py).
TEST_PKGS=(curl procps wrk prometheus openssl python3 etcd-server etcd-client iproute2 python3-kubernetes)
BENCH_PKGS=(nginx-light haproxy)
# make fuzz: clang 14 and its libFuzzer/sanitizer runtimes (libclang_rt.fuzzer-x86_64.a).
FUZZ_PKGS=(clang libclang-rt-14-dev)

want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
case "${1:-}" in
  --bench) want+=("${BENCH_PKGS[@]}") ;;
  --fuzz) want+=("${FUZZ_PKGS[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--bench|--fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
