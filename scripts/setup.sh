#!/usr/bin/env bash
# Installs the Debian packages sagaforge needs (only those missing) and builds it.
# Usage: [BUILD_TARGETS="t1 t2"] scripts/setup.sh [build-dir] [extra cmake args...]
# BUILD_TARGETS builds only those targets (and what they need); default: everything.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ make pkg-config libcaf-dev libprotobuf-dev protobuf-compiler liblmdb-dev
          libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libssl-dev
          libgoogle-perftools-dev zlib1g-dev libcpp-httplib-dev prometheus-cpp-dev
          libedit-dev curl etcd-server)
# curl: tests and cluster/local; etcd-server: the cluster's control plane (cluster/local and
# the tests start their own etcd); libedit-dev: the console's prompt.
# What only the tests use (promtool; tmux and chromium drive the console and the web view):
# installed for a full build, not for the main command's (BUILD_TARGETS) build.
[ -n "${BUILD_TARGETS:-}" ] || packages+=(prometheus tmux chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

build_dir=${1:-build}
shift || true
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
targets=()
for t in ${BUILD_TARGETS:-}; do targets+=(--target "$t"); done
echo "setup: building in $build_dir${BUILD_TARGETS:+ ($BUILD_TARGETS)}"
cmake --build "$build_dir" -j"$(nproc)" "${targets[@]}" 2>&1 \
  | grep -E "error:|warning:|Built target sagaforge-node" || true
# grep hides progress lines; fail loudly if the build did not complete.
cmake --build "$build_dir" -j"$(nproc)" "${targets[@]}" >/dev/null
