// sim_store: the memory store of a simulated node, which outlives every node incarnation (a
// crash keeps what was written). For the `lose-unsynced` planted bug it can also forget: it
// keeps an undo log of the writes since the last "sync" (every `sync_every` writes) and a
// power loss rolls them back — acknowledged work lost, as a `nosync` store on power loss,
// which the checker must notice. With sync_every = 0 every write is durable (the default).
// For the `forget-dedup` planted bug it hides the de-dup records from the runtime's reads:
// log records without their inbound channel and seq, snapshots without their in-channels, as
// if a store format lost them; a re-activated entity then takes resent envelopes again. The
// checker reads the true records (raw_scan).
#pragma once

#include <string>
#include <vector>

#include "runtime/invariant.hpp"
#include "runtime/memory_store.hpp"
#include "runtime/record_codec.hpp"

namespace sagaforge::sim {

class sim_store : public memory_store {
public:
  explicit sim_store(int64_t sync_every = 0, bool forget_dedup = false)
    : sync_every_(sync_every), forget_dedup_(forget_dedup) {}

  caf::expected<std::optional<std::string>> get(table t, std::string_view key) override {
    auto v = memory_store::get(t, key);
    if (forget_dedup_ && v && *v)
      **v = without_dedup(t, **v);
    return v;
  }

  caf::error scan(table t, std::string_view from, const visitor& f) override {
    if (!forget_dedup_)
      return memory_store::scan(t, from, f);
    return memory_store::scan(t, from, [&](std::string_view k, std::string_view v) {
      auto shown = without_dedup(t, v);
      return f(k, shown);
    });
  }

  /// What was really written, planted bug or not (the checker's view).
  caf::error raw_scan(table t, std::string_view from, const visitor& f) {
    return memory_store::scan(t, from, f);
  }

  caf::error write(const std::vector<mutation>& batch) override {
    if (sync_every_ > 0) {
      std::vector<mutation> undo;  // in reverse: a key written twice in a batch undoes right
      for (auto i = batch.rbegin(); i != batch.rend(); ++i) {
        auto old = memory_store::get(i->tbl, i->key);
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
  static std::string without_dedup(table t, std::string_view value) {
    if (t == table::log) {
      auto hdr = decode_log_header(value);
      StepRecord rec;
      if (!hdr || !rec.ParseFromString(std::string{hdr->body}))
        return std::string{value};  // unreadable stays unreadable
      rec.clear_inbound_sender();
      rec.clear_inbound_seq();
      return encode_log_value(hdr->work(), hdr->ref, rec);
    }
    if (t == table::snapshots) {
      auto hdr = decode_snapshot_header(value);
      EntitySnapshot snap;
      if (!hdr || !snap.ParseFromString(std::string{hdr->body}))
        return std::string{value};
      snap.clear_in_channels();
      return encode_snapshot_value(hdr->work(), snap);
    }
    return std::string{value};
  }

  int64_t sync_every_;
  bool forget_dedup_;
  std::vector<std::vector<mutation>> unsynced_;
};

} // namespace sagaforge::sim
