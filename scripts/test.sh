#!/usr/bin/env bash
# Sets everything up and runs every test: a normal build that runs the suites needing optimised
# binaries (the cluster's fault cases, the simulation), then an ASan+UBSan build that runs every
# suite. SKIP_SANITIZERS=1 instead runs every suite in the normal build (a quick local run).
# Tests labelled `long` are left out: `scripts/setup.sh build -DSAGAFORGE_TESTS=all` then
# `ctest --test-dir build -L long` runs them. The cluster's process fault cases (label nosan) run
# in the normal pass only; the ASan pass runs their healthy case (label sanonly) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SKIP_SANITIZERS:-0}" = 1 ]; then
  scripts/setup.sh build -DSAGAFORGE_TESTS=all
  echo "test: ctest (RelWithDebInfo, every suite)"
  ctest --test-dir build --output-on-failure -j2 --timeout 600 -LE 'long|sanonly'
else
  # The sanitizer pass below runs every suite; this pass builds the release binaries (node,
  # console, bench) and runs only what needs them at speed: the cluster's fault cases and the
  # simulator's seeds (tests/CMakeLists.txt, SAGAFORGE_TESTS=speed).
  scripts/setup.sh build -DSAGAFORGE_TESTS=speed
  echo "test: ctest (RelWithDebInfo: cluster fault cases and simulation)"
  ctest --test-dir build --output-on-failure -j2 --timeout 600 -L 'nosan|sim' -LE long
fi
if [ "${SKIP_SANITIZERS:-0}" != 1 ]; then
  # -O1 (ASan's advice) and line tables only: half the compile time of -O2 -g; asserts on.
  scripts/setup.sh build-asan -DSAGAFORGE_SANITIZE=ON -DSAGAFORGE_BENCH=OFF \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1"
  echo "test: ctest (ASan + UBSan)"
  # tests/lsan.supp: a shutdown cycle inside CAF's middleman (third-party), nothing of ours.
  LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    SAGAFORGE_SANITIZED=1 ctest --test-dir build-asan --output-on-failure -j2 --timeout 900 -LE 'long|nosan'
fi
