// sim_network implementation (see sim_network.hpp).
#include "tests/sim/sim_network.hpp"

#include <memory>

#include "envelope.pb.h"
#include "runtime/durable_mailbox.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/invariant.hpp"
#include "runtime/local_envelope.hpp"
#include "runtime/messages.hpp"

namespace sagaforge::sim {

namespace {

class pooling_router : public router {
public:
  explicit pooling_router(sim_network& net) : net_(net) {}
  bool route(const std::string& to, const caf::message& msg, bool activate) override {
    return net_.accept(to, msg, activate);
  }

private:
  sim_network& net_;
};

const Envelope* envelope_in(const caf::message& msg) {
  if (msg.match_elements<deliver_atom, envelope_ptr>())
    return msg.get_as<envelope_ptr>(1).get();
  return nullptr;
}

bool is_ack(const caf::message& msg) {
  return msg.match_elements<acked_atom, std::string, uint64_t>()
         || msg.match_elements<ack_atom, std::string>();
}

std::string short_type(const std::string& t) {
  auto dot = t.rfind('.');
  return dot == std::string::npos ? t : t.substr(dot + 1);
}

/// The undo commands of both sagas: what `swallow_compensations` loses.
bool is_compensation(const std::string& type) {
  return type == "sagaforge.inventory.Release" || type == "sagaforge.payment.Refund"
         || type == "sagaforge.points.RefundPoints"
         || type == "sagaforge.reward.ReleaseRewardInventory";
}

} // namespace

std::string describe_message(const caf::message& msg) {
  if (auto* env = envelope_in(msg))
    return env->id() + " " + short_type(env->type()) + " a" + std::to_string(env->attempt());
  if (msg.match_elements<deliver_atom, std::string>()) {
    Envelope env;
    if (env.ParseFromString(msg.get_as<std::string>(1)))
      return env.id() + " " + short_type(env.type());
    return "unparsable bytes";
  }
  if (msg.match_elements<acked_atom, std::string, uint64_t>())
    return "acked by " + msg.get_as<std::string>(1) + "#"
           + std::to_string(msg.get_as<uint64_t>(2));
  if (msg.match_elements<ack_atom, std::string>()) {
    Ack a;
    a.ParseFromString(msg.get_as<std::string>(1));
    return "ack by " + a.receiver() + "#" + std::to_string(a.channel_seq())
           + (a.failed() ? " failed" : "");
  }
  if (msg.size() > 0 && msg.match_element<caf::atom_value>(0))
    return caf::to_string(msg.get_as<caf::atom_value>(0));
  return "message";
}

void sim_network::attach(runtime_context& ctx) {
  ctx_ = &ctx;
  ctx.set_router(std::make_unique<pooling_router>(*this));
}

bool sim_network::accept(const std::string& to, const caf::message& msg, bool activate) {
  auto now = ctx_->now_ms();
  auto* env = envelope_in(msg);
  if (plants_.swallow_compensations && env && !is_client_ref(env->sender())
      && is_compensation(env->type())) {
    // The planted bug: the undo is acknowledged as if processed, and never arrives.
    ++planted;
    trace_.add("PLANT swallow " + describe_message(msg));
    push(env->sender(), caf::make_message(acked_atom::value, to, env->channel_seq()), false, now);
    return true;
  }
  if (!faults_.active) {
    push(to, msg, activate, now);
    return true;
  }
  bool droppable = env != nullptr || is_ack(msg);
  if (droppable && rng_.chance(faults_.drop_permille)) {
    ++drops;
    trace_.add("drop -> " + to + " " + describe_message(msg));
    return true;
  }
  auto due = now;
  if (rng_.chance(faults_.delay_permille)) {
    ++delays;
    due += rng_.range(1, faults_.max_delay_ms);
  }
  push(to, msg, activate, due);
  bool duplicable =
    env != nullptr || is_ack(msg) || msg.match_elements<deliver_atom, std::string>();
  if (duplicable && rng_.chance(faults_.duplicate_permille)) {
    ++duplicates;
    auto again = now + rng_.range(0, std::max<int64_t>(1, faults_.max_delay_ms));
    if (plants_.fresh_id_duplicates && env) {
      ++planted;
      push(to, ghost_of(to, msg), activate, again);
    } else {
      push(to, msg, activate, again);
    }
  }
  return true;
}

caf::message sim_network::ghost_of(const std::string& to, const caf::message& msg) {
  // The planted bug: the same payload under a sender and seq the receiver has never seen, so
  // the runtime's de-duplication (by channel watermark) cannot recognise it.
  auto copy = std::make_shared<Envelope>(*envelope_in(msg));
  auto seq = ++ghost_seqs_[to];
  copy->set_sender("client/ghost");
  copy->set_id(envelope_id("client/ghost", to, seq));
  copy->set_channel_seq(seq);
  copy->set_channel_floor(0);
  copy->set_acks_seq(0);
  copy->set_wants_reply(false);
  trace_.add("PLANT ghost of " + describe_message(msg));
  return caf::make_message(deliver_atom::value, envelope_ptr{std::move(copy)});
}

void sim_network::push(const std::string& to, const caf::message& msg, bool activate,
                       int64_t due_ms) {
  pool_.push_back(pooled{to, msg, activate, due_ms});
}

size_t sim_network::eligible(int64_t now_ms) const {
  size_t n = 0;
  for (auto& p : pool_)
    n += p.due_ms <= now_ms ? 1 : 0;
  return n;
}

void sim_network::deliver(size_t k, int64_t now_ms) {
  for (auto i = pool_.begin(); i != pool_.end(); ++i) {
    if (i->due_ms > now_ms)
      continue;
    if (k-- > 0)
      continue;
    auto p = std::move(*i);
    pool_.erase(i);
    trace_.add("net -> " + p.to + " " + describe_message(p.msg));
    ctx_->dir().deliver(p.to, p.msg, p.activate);
    return;
  }
  SAGAFORGE_UNREACHABLE("k is beyond the deliverable messages");
}

int64_t sim_network::next_due() const {
  int64_t out = -1;
  for (auto& p : pool_)
    if (out < 0 || p.due_ms < out)
      out = p.due_ms;
  return out;
}

} // namespace sagaforge::sim
