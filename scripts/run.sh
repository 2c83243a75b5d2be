#!/usr/bin/env bash
# Sets everything up and runs the main job: a local cluster of three sagaforge-node members
# (etcd for membership and the shard map, mutual TLS between nodes, LMDB stores under
# ./local-cluster), the demo workload driven through it by a client node, and what happened
# printed (exit code = the invariants' verdict). The cluster is stopped afterwards unless
# --keep is given (then: cluster/local status | down).
#   scripts/run.sh [--keep] [--nodes N] [node options, e.g. --node.demo-orders=2000]
#   scripts/run.sh --single [node options]   one node on ./data, no etcd
set -euo pipefail
cd "$(dirname "$0")/.."
single=0 keep=0 nodes=3 args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --single) single=1 ;;
    --keep) keep=1 ;;
    --nodes) nodes=${2:?--nodes N}; shift ;;
    *) args+=("$1") ;;
  esac
  shift
done
BUILD_TARGETS=sagaforge-node scripts/setup.sh build
if [ "$single" = 1 ]; then
  mkdir -p data
  exec build/cluster/sagaforge-node --config-file=config/node.conf --node.demo "${args[@]}"
fi

export SAGAFORGE_LOCAL=${SAGAFORGE_LOCAL:-$PWD/local-cluster}
if [ "$keep" = 0 ]; then
  trap 'echo; echo "run: stopping the local cluster (--keep leaves it running)"; cluster/local down' EXIT
fi
echo "run: a local cluster of $nodes members in $SAGAFORGE_LOCAL"
cluster/local up "$nodes"
echo
echo "run: the demo, driven through the cluster by the client node c1"
rc=0
cluster/local client c1 --node.demo "${args[@]}" || rc=$?
echo
cluster/local status
echo "run: each member's HTTP face is listed above (http://127.0.0.1:PORT; tokens in config/node.conf)"
exit "$rc"
