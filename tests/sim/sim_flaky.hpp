// sim_flaky: the entity-crash fault. Wraps an entity type so that its decide throws on a
// seed-chosen share of the envelopes it gets, once per envelope: the runtime restarts the
// entity in place from its last committed state and redelivers (semantics.md, "Poison"), so
// the step must take effect once all the same. Once per envelope keeps it below the poison
// threshold (supervision.max-restarts): these are crashes, not poison messages. A seed may
// also name one saga command type as poison: its decide throws every time, so the runtime
// dead-letters it (reason "poison") and the saga is told, and must compensate.
#pragma once

#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include "runtime/entity_logic.hpp"

namespace sagaforge::sim {

class flaky_logic : public entity_logic {
public:
  using thrown_set = std::set<std::string>;

  flaky_logic(entity_logic_ptr inner, uint64_t seed, int64_t permille,
              std::shared_ptr<thrown_set> thrown, std::string poison_type)
    : inner_(std::move(inner)), seed_(seed), permille_(permille), thrown_(std::move(thrown)),
      poison_type_(std::move(poison_type)) {}

  const std::string& type_name() const override { return inner_->type_name(); }
  std::unique_ptr<pb_message> new_state() const override { return inner_->new_state(); }
  std::unique_ptr<pb_message> new_event() const override { return inner_->new_event(); }
  void apply(pb_message& state, const pb_message& event) const override {
    inner_->apply(state, event);
  }
  uint32_t snapshot_every() const override { return inner_->snapshot_every(); }

  void decide(const pb_message& state, const inbound& in, const decide_env& env,
              effects& out) const override {
    auto& id = in.envelope_id();
    if (!poison_type_.empty() && in.type() == poison_type_)
      throw std::runtime_error("sim: poison " + poison_type_ + " at " + env.self);
    // Decided by a hash of the seed and the envelope id, not by the run's PRNG: decide may
    // run again for the same input after a crash, and must choose the same.
    if (!id.empty() && hash(id) % 1000 < static_cast<uint64_t>(permille_)
        && thrown_->insert(env.self + " " + id).second)
      throw std::runtime_error("sim: injected crash in decide of " + env.self + " on " + id);
    inner_->decide(state, in, env, out);
  }

private:
  uint64_t hash(const std::string& s) const {
    uint64_t h = 0xCBF29CE484222325ull ^ seed_;
    for (unsigned char c : s)
      h = (h ^ c) * 0x100000001B3ull;
    return h ^ (h >> 29);
  }

  entity_logic_ptr inner_;
  uint64_t seed_;
  int64_t permille_;
  std::shared_ptr<thrown_set> thrown_;
  std::string poison_type_;
};

} // namespace sagaforge::sim
