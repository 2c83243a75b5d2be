// cluster saga benchmark (`sagaforge-bench saga --nodes N`, issue 14): the node's own demo
// workload (orders, redemptions) driven by a client node through a cluster of N real member
// processes on loopback, then through a cluster of 1 member, in the same run; orders/s,
// redemptions/s and their latencies in both, the data plane's frames/s, items per frame and
// bytes per item from the nodes' /metrics, and the ratios N members / 1 member (target:
// throughput >= 0.5x). Both configurations go through a client node, so they measure the
// same way (in a cluster the demo learns outcomes by polling: see docs/performance.md).
#pragma once

#include <cstdint>
#include <string>

namespace sagaforge::bench {

struct cluster_saga_options {
  int64_t nodes = 3;            // members of the first cluster (the second has 1)
  std::string mode = "both";    // order | redemption | both
  int64_t orders = 2000;        // the demo's --node.demo-orders (modes order, both)
  int64_t redemptions = 2000;   // --node.demo-redemptions (modes redemption, both)
  std::string durability = "fsync";  // the members' store (the client keeps nothing)
  int64_t shards = 64;          // SAGAFORGE_SHARDS
  int64_t port_base = 4000;     // SAGAFORGE_PORT_BASE of the first cluster; the second +100
  int64_t etcd_port = 27000;    // SAGAFORGE_ETCD_PORT of the first cluster; the second +10
  int64_t timeout_s = 300;      // the demo's deadline per phase (--node.demo-timeout-s)
  std::string node_bin;         // sagaforge-node
  std::string script;           // cluster/local
  std::string node_args;        // extra options for every node (SAGAFORGE_NODE_ARGS)
  bool json = false;
  bool keep_data = false;       // keep the clusters' temp folders (logs, data)
  bool no_probe = false;
};

/// Exit code: 0 when both configurations ran and every demo invariant held, 1 otherwise,
/// 2 for a bad option, 130 after Ctrl-C (the clusters stopped first).
int run_cluster_saga_bench(const cluster_saga_options& o);

/// Built-in defaults: the node binary and the script of the build this bench comes from.
std::string default_node_bin();
std::string default_cluster_script();

} // namespace sagaforge::bench
