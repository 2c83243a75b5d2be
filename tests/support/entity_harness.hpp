// The entity test harness (STYLE §8): run one command through an entity's decide and apply
// without any actor, and get the reply, events and new state — every event and the state
// round-tripped through Protobuf, so a field that does not survive serialization fails here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/util/message_differencer.h>

#include "runtime/entity_logic.hpp"

namespace sagaforge::testing {

template <class State, class Event>
struct harness_result {
  State state;
  std::vector<Event> events;
  std::optional<typed_bytes> reply;
  std::optional<std::string> rejection;
  std::vector<outgoing> sends;
  std::vector<timer_request> timers_set;
  std::vector<std::string> timers_cancelled;
  bool round_trip_ok = true;
  std::string round_trip_error;

  template <class T>
  std::optional<T> reply_as() const {
    if (!reply || reply->type != type_name_of<T>())
      return std::nullopt;
    T out;
    if (!out.ParseFromString(reply->payload))
      return std::nullopt;
    return out;
  }
};

template <class State, class Event>
harness_result<State, Event> run_command(const entity_logic& logic, const State& state,
                                         const inbound& in, int64_t now_ms = 1000,
                                         const std::string& self = "test/self",
                                         const std::function<bool(const std::string&)>*
                                           unacked_to = nullptr) {
  harness_result<State, Event> out;
  effects fx;
  decide_env env{self, now_ms, unacked_to};
  logic.decide(state, in, env, fx);
  State next = state;
  for (auto& ev : fx.events) {
    // Compared field by field: map fields serialize in no fixed order.
    Event copy;
    if (!copy.ParseFromString(ev->SerializeAsString())
        || !google::protobuf::util::MessageDifferencer::Equals(copy, *ev)) {
      out.round_trip_ok = false;
      out.round_trip_error = "event does not round-trip: " + ev->ShortDebugString();
    }
    logic.apply(next, copy);
    out.events.push_back(std::move(copy));
  }
  State reparsed;
  if (!reparsed.ParseFromString(next.SerializeAsString())
      || !google::protobuf::util::MessageDifferencer::Equals(reparsed, next)) {
    out.round_trip_ok = false;
    out.round_trip_error = "state does not round-trip: " + next.ShortDebugString();
  }
  out.state = std::move(reparsed);
  out.reply = fx.reply;
  out.rejection = fx.rejection;
  out.sends = fx.sends;
  out.timers_set = fx.timers_set;
  out.timers_cancelled = fx.timers_cancelled;
  return out;
}

} // namespace sagaforge::testing
