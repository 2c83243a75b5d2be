#!/usr/bin/env bash
# Sets everything up and runs the main job: one node on an embedded LMDB store under ./data,
# driving the demo workload and printing what happened (exit code = the invariant's verdict).
# Extra arguments go to sagaforge-node (e.g. --node.demo-commands=100000).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_TARGETS=sagaforge-node scripts/setup.sh build
mkdir -p data
exec build/cluster/sagaforge-node --config-file=config/node.conf --node.demo "$@"
