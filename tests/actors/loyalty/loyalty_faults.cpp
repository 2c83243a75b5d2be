// Fault doubles of the loyalty suites: a participant that answers one message type late
// (or never), one that crashes on a message type while a flag is set, and a router that
// delivers everything twice. They wrap the real entity logic; nothing in actors/ knows them.
#include <stdexcept>

#include "envelope.pb.h"
#include "runtime/entity_ref.hpp"
#include "tests/actors/loyalty/loyalty_fixture.hpp"

namespace sagaforge::loyalty::testing {

namespace {

/// Delegates everything to the inner logic except what the subclass intercepts.
class wrapping_logic : public entity_logic {
public:
  explicit wrapping_logic(entity_logic_ptr inner) : inner_(std::move(inner)) {}
  const std::string& type_name() const override { return inner_->type_name(); }
  std::unique_ptr<pb_message> new_state() const override { return inner_->new_state(); }
  std::unique_ptr<pb_message> new_event() const override { return inner_->new_event(); }
  void apply(pb_message& state, const pb_message& event) const override {
    inner_->apply(state, event);
  }
  uint32_t snapshot_every() const override { return inner_->snapshot_every(); }

protected:
  entity_logic_ptr inner_;
};

class holding : public wrapping_logic {
public:
  holding(entity_logic_ptr inner, std::string type, int64_t delay_ms)
    : wrapping_logic(std::move(inner)), type_(std::move(type)), delay_ms_(delay_ms) {}

  void decide(const pb_message& state, const inbound& in, const decide_env& env,
              effects& out) const override {
    bool from_entity = !in.sender().empty() && !is_client_ref(in.sender());
    if (in.type() == type_ && from_entity) {
      if (delay_ms_ < 0)
        return;  // never answered
      TimerFired held;  // carries the original sender, type and payload
      held.set_name(in.sender());
      held.set_type(in.type());
      held.set_payload(in.payload());
      out.timers_set.push_back(
        timer_request{"held:" + in.envelope_id(), delay_ms_, typed_bytes::of(held)});
      return;
    }
    TimerFired held;
    if (in.sender().empty() && in.parse(held)) {
      inbound late{held.type(), held.payload(), held.name(), "late", "", false};
      effects fx;
      inner_->decide(state, late, env, fx);
      for (auto& ev : fx.events)
        out.events.push_back(std::move(ev));
      for (auto& s : fx.sends)
        out.sends.push_back(std::move(s));
      if (fx.reply)
        out.sends.push_back(outgoing{held.name(), *fx.reply, ""});
      return;
    }
    inner_->decide(state, in, env, out);
  }

private:
  std::string type_;
  int64_t delay_ms_;
};

class throwing : public wrapping_logic {
public:
  throwing(entity_logic_ptr inner, std::string type, std::shared_ptr<std::atomic<bool>> broken)
    : wrapping_logic(std::move(inner)), type_(std::move(type)), broken_(std::move(broken)) {}

  void decide(const pb_message& state, const inbound& in, const decide_env& env,
              effects& out) const override {
    if (in.type() == type_ && broken_->load())
      throw std::runtime_error("injected failure on " + type_);
    inner_->decide(state, in, env, out);
  }

private:
  std::string type_;
  std::shared_ptr<std::atomic<bool>> broken_;
};

class twice_router : public router {
public:
  explicit twice_router(directory& dir) : dir_(dir) {}
  bool route(const std::string& to, const caf::message& msg, bool activate) override {
    bool ok = dir_.deliver(to, msg, activate);
    dir_.deliver(to, msg, activate);
    return ok;
  }

private:
  directory& dir_;
};

} // namespace

entity_logic_ptr holding_logic(entity_logic_ptr inner, std::string held_type, int64_t delay_ms) {
  return std::make_shared<holding>(std::move(inner), std::move(held_type), delay_ms);
}

entity_logic_ptr throwing_logic(entity_logic_ptr inner, std::string type,
                                std::shared_ptr<std::atomic<bool>> broken) {
  return std::make_shared<throwing>(std::move(inner), std::move(type), std::move(broken));
}

void deliver_everything_twice(test_node& node) {
  auto& ctx = node.runtime().context();
  ctx.set_router(std::make_unique<twice_router>(ctx.dir()));
}

} // namespace sagaforge::loyalty::testing
