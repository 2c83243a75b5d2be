// sim_store: the memory store of a simulated node, which outlives every node incarnation (a
// crash keeps what was written). For the `lose-unsynced` planted bug it can also forget: it
// keeps an undo log of the writes since the last "sync" (every `sync_every` writes) and a
// power loss rolls them back — acknowledged work lost, as a `nosync` store on power loss,
// which the checker must notice. With sync_every = 0 every write is durable (the default).
#pragma once

#include <vector>

#include "runtime/invariant.hpp"
#include "runtime/memory_store.hpp"

namespace sagaforge::sim {

class sim_store : public memory_store {
public:
  explicit sim_store(int64_t sync_every = 0) : sync_every_(sync_every) {}

  caf::error write(const std::vector<mutation>& batch) override {
    if (sync_every_ > 0) {
      std::vector<mutation> undo;  // in reverse: a key written twice in a batch undoes right
      for (auto i = batch.rbegin(); i != batch.rend(); ++i) {
        auto old = get(i->tbl, i->key);
        SAGAFORGE_ASSERT(static_cast<bool>(old), "the memory store cannot fail a read");
        undo.push_back(*old ? mutation{i->tbl, i->key, **old, false}
                            : mutation{i->tbl, i->key, {}, true});
      }
      unsynced_.push_back(std::move(undo));
      if (static_cast<int64_t>(unsynced_.size()) >= sync_every_)
        unsynced_.clear();  // synced
    }
    return memory_store::write(batch);
  }

  /// Rolls back the writes since the last sync; returns how many were lost.
  size_t power_loss() {
    auto n = unsynced_.size();
    for (auto i = unsynced_.rbegin(); i != unsynced_.rend(); ++i)
      memory_store::write(*i);
    unsynced_.clear();
    return n;
  }

private:
  int64_t sync_every_;
  std::vector<std::vector<mutation>> unsynced_;
};

} // namespace sagaforge::sim
