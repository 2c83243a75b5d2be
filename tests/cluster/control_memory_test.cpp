// cluster.control.memory: the control plane's contract (control_contract.inc) over the
// in-memory kv (memory_kv): several simulated nodes, each with its own client of one store;
// an outage or restart is the store's availability switch (which, like an etcd restart,
// gives every lease its full TTL again when it comes back).
#define CAF_SUITE cluster.control.memory
#include "caf/test/unit_test.hpp"

#include <optional>

#include "cluster/control/memory_kv.hpp"
#include "tests/cluster/control_contract.hpp"

namespace {

struct memory_backend {
  sagaforge::cluster::memory_kv_store store;

  sagaforge::cluster::kv_ptr connect() {
    return store.connect();
  }
  void outage_begin() {
    store.set_available(false);
  }
  void stop() {
    store.set_available(false);
  }
  void outage_end() {
    store.set_available(true);
  }
};

using backend_fixture = sagaforge::testing::contract_fixture<memory_backend>;

} // namespace

#include "tests/cluster/control_contract.inc"
