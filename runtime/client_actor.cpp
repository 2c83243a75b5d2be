// Client endpoint implementation.
#include "runtime/client_actor.hpp"

#include <map>
#include <random>
#include <unordered_map>

#include "caf/all.hpp"

#include "envelope.pb.h"
#include "runtime/durable_mailbox.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/local_envelope.hpp"
#include "runtime/messages.hpp"
#include "runtime/runtime_context.hpp"

namespace sagaforge {

namespace {

struct pending_request {
  caf::response_promise promise;
  std::shared_ptr<Envelope> env;  // shared with the receiver: copied before a resend changes it
  int64_t next_attempt_ms = 0;
};

/// Seqs per receiver only while requests to it are pending: a client that starts a saga
/// per request would otherwise keep a counter for every receiver it ever addressed. A new
/// run of requests to a receiver starts above every seq this client has used, with the run's
/// first seq as the channel floor, so the receiver treats the seqs below as settled
/// (durable_mailbox::classify); within a run the seqs are contiguous.
struct client_state {
  static inline const char* name = "sagaforge.client";
  std::string ref;
  uint64_t last_seq = 0;                                // highest seq used, any receiver
  std::unordered_map<std::string, uint64_t> run_last;   // receivers with requests pending
  std::map<std::pair<std::string, uint64_t>, pending_request> pending;
  bool tick_armed = false;

  uint64_t next_seq(const std::string& to) {
    auto i = run_last.find(to);
    auto seq = i != run_last.end() ? ++i->second : (run_last[to] = last_seq + 1);
    last_seq = std::max(last_seq, seq);
    return seq;
  }

  /// Lowest seq pending to `to`: everything below it on the channel is settled.
  uint64_t floor_of(const std::string& to) const {
    auto i = pending.lower_bound({to, 0});
    return i != pending.end() && i->first.first == to ? i->first.second : last_seq;
  }

  /// Removes a finished request; ends the receiver's run when it was the last one.
  void finish(std::map<std::pair<std::string, uint64_t>, pending_request>::iterator& i) {
    auto to = i->first.first;
    i = pending.erase(i);
    auto j = pending.lower_bound({to, 0});
    if (j == pending.end() || j->first.first != to)
      run_last.erase(to);
  }
};

caf::behavior client_behavior(caf::stateful_actor<client_state>* self, runtime_context* rt,
                              std::string ref, size_t max_in_flight) {
  self->state.ref = ref;
  rt->dir().register_client(ref, caf::actor_cast<caf::actor>(self));
  self->attach_functor([dir = rt->dir_weak(), ref] {
    if (auto d = dir.lock())
      d->unregister_client(ref);
  });
  auto arm = [=] {
    if (!self->state.tick_armed) {
      self->state.tick_armed = true;
      self->delayed_send(self, std::chrono::milliseconds{rt->settings().retry_initial_backoff_ms},
                         resend_atom::value);
    }
  };
  return {
    [=](send_atom, const std::string& to, const std::string& type, const std::string& payload,
        const std::string& correlation) -> caf::result<std::string> {
      if (auto err = validate_ref(to); err || is_client_ref(to))
        return err ? err : make_runtime_error(runtime_errc::invalid_ref, "cannot send to a client");
      if (type.empty() || type.size() > 256)
        return make_runtime_error(runtime_errc::invalid_envelope,
                                  "a message type name of 1 to 256 characters is required");
      if (static_cast<int64_t>(payload.size()) > rt->settings().max_payload_bytes)
        return make_runtime_error(runtime_errc::too_large,
                                  "payload of " + std::to_string(payload.size()) + " bytes");
      if (self->state.pending.size() >= max_in_flight)
        return make_runtime_error(runtime_errc::overloaded,
                                  std::to_string(max_in_flight) + " requests already in flight");
      auto& st = self->state;
      auto seq = st.next_seq(to);
      auto env = std::make_shared<Envelope>();
      env->set_id(envelope_id(st.ref, to, seq));
      env->set_correlation_id(correlation);
      env->set_sender(st.ref);
      env->set_receiver(to);
      env->set_type(type);
      env->set_payload(payload);
      env->set_attempt(1);
      env->set_created_at_ms(rt->now_ms());
      env->set_channel_seq(seq);
      env->set_wants_reply(true);
      auto& p = st.pending[{to, seq}];
      p.promise = self->make_response_promise();
      p.next_attempt_ms = rt->now_ms() + rt->settings().retry_initial_backoff_ms;
      env->set_channel_floor(st.floor_of(to));
      // The entities are local: the envelope goes as a shared object (local_envelope.hpp),
      // validated by the receiver exactly like bytes from outside.
      rt->route(to, caf::make_message(deliver_atom::value, envelope_ptr{env}), true);
      p.env = std::move(env);
      arm();
      return p.promise;
    },
    [=](ack_atom, const std::string& bytes) {
      Ack ack;
      if (!ack.ParseFromString(bytes))
        return;
      auto i = self->state.pending.find({ack.receiver(), ack.channel_seq()});
      if (i == self->state.pending.end())
        return;
      i->second.promise.deliver(bytes);
      self->state.finish(i);
    },
    [=](resend_atom) {
      auto& st = self->state;
      st.tick_armed = false;
      auto now = rt->now_ms();
      for (auto i = st.pending.begin(); i != st.pending.end();) {
        auto& p = i->second;
        if (static_cast<int64_t>(p.env->attempt()) >= rt->settings().retry_max_attempts
            || now - p.env->created_at_ms() >= rt->settings().retry_max_age_ms) {
          p.promise.deliver(make_runtime_error(runtime_errc::dead_lettered,
                                               "no ack from " + i->first.first + " after "
                                                 + std::to_string(p.env->attempt()) + " sends"));
          st.finish(i);
          continue;
        }
        auto& key = i->first;
        ++i;
        if (p.next_attempt_ms > now)
          continue;
        auto next = std::make_shared<Envelope>(*p.env);  // the receiver may hold the last one
        next->set_attempt(p.env->attempt() + 1);
        next->set_channel_floor(st.floor_of(key.first));
        if (!rt->route(key.first, caf::make_message(deliver_atom::value, envelope_ptr{next}),
                       true)) {
          // Held (the receiver's node is unreachable): not an attempt, see send_entry.
          rt->counters().held_sends++;
          p.next_attempt_ms = now + rt->settings().cluster_held_recheck_ms;
          continue;
        }
        p.env = std::move(next);
        p.next_attempt_ms = now + rt->settings().retry_initial_backoff_ms
                                    * std::min<int64_t>(p.env->attempt(), 8);
        rt->counters().resends++;
      }
      if (!st.pending.empty())
        arm();
    },
  };
}

} // namespace

caf::actor spawn_client(runtime_context& rt, const std::string& name, size_t max_in_flight) {
  // Unique per process start: the clock in ms plus randomness, so a restarted client never
  // reuses channel seqs a receiver still remembers.
  std::random_device rd;
  auto incarnation = std::to_string(rt.now_ms()) + "." + std::to_string(rd() % 1000000u);
  return rt.system().spawn(client_behavior, &rt, "client/" + name + "-" + incarnation,
                           max_in_flight);
}

} // namespace sagaforge
