// The entity API (DESIGN §2): an entity type is two pure functions over Protobuf messages,
//   decide(state, inbound, effects) — validate, then record events / sends / timers / reply;
//   apply(state, event)             — total, used live and on recovery.
// No I/O happens in either: the runtime persists the events, outgoing envelopes and timers
// of a step in one transaction, and only then sends, replies and arms timers.
// `entity_logic` is the runtime's type-erased view; `entity_definition<State, Event>` is
// what domain code writes.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/message.h>

#include "envelope.pb.h"

namespace sagaforge {

using pb_message = google::protobuf::Message;

template <class T>
const std::string& type_name_of() {
  return T::descriptor()->full_name();
}

/// What decide sees of an incoming message.
class inbound {
public:
  inbound(std::string type, std::string payload, std::string sender, std::string envelope_id,
          std::string correlation_id, bool wants_reply)
    : type_(std::move(type)), payload_(std::move(payload)), sender_(std::move(sender)),
      envelope_id_(std::move(envelope_id)), correlation_id_(std::move(correlation_id)),
      wants_reply_(wants_reply) {}

  /// Reads straight from a delivered envelope (shared and immutable: nothing is copied).
  explicit inbound(std::shared_ptr<const Envelope> env)
    : env_(std::move(env)), wants_reply_(env_->wants_reply()) {}

  template <class T>
  static inbound of(const T& msg, std::string sender = "client/test", bool wants_reply = true) {
    return inbound{type_name_of<T>(), msg.SerializeAsString(), std::move(sender), "", "",
                   wants_reply};
  }

  const std::string& type() const { return env_ ? env_->type() : type_; }
  const std::string& payload() const { return env_ ? env_->payload() : payload_; }
  /// Ref of the sending entity, "client/<name>", or "" for runtime-internal inputs.
  const std::string& sender() const { return env_ ? env_->sender() : sender_; }
  const std::string& envelope_id() const { return env_ ? env_->id() : envelope_id_; }
  const std::string& correlation_id() const {
    return env_ ? env_->correlation_id() : correlation_id_;
  }
  bool wants_reply() const { return wants_reply_; }
  /// The envelope this input arrived in; null for timers and other internal inputs.
  const std::shared_ptr<const Envelope>& envelope() const { return env_; }

  template <class T>
  bool is() const {
    return type() == type_name_of<T>();
  }

  /// Parses the payload as T; false when the type differs or the bytes are corrupt.
  template <class T>
  bool parse(T& out) const {
    return is<T>() && out.ParseFromString(payload());
  }

private:
  std::shared_ptr<const Envelope> env_;
  std::string type_;
  std::string payload_;
  std::string sender_;
  std::string envelope_id_;
  std::string correlation_id_;
  bool wants_reply_;
};

/// A serialized message to send, reply with, or deliver on a timer.
struct typed_bytes {
  std::string type;
  std::string payload;

  template <class T>
  static typed_bytes of(const T& msg) {
    return {type_name_of<T>(), msg.SerializeAsString()};
  }
};

struct outgoing {
  std::string to;
  typed_bytes msg;
  std::string correlation_id;
};

struct timer_request {
  std::string name;
  int64_t delay_ms;
  typed_bytes msg;
};

/// The effects of one decide, events still as messages (the runtime serializes them).
struct effects {
  std::vector<std::unique_ptr<pb_message>> events;
  std::vector<outgoing> sends;
  std::optional<typed_bytes> reply;
  std::optional<std::string> rejection;
  std::vector<timer_request> timers_set;
  std::vector<std::string> timers_cancelled;
  bool passivate = false;
};

/// Inputs decide may read besides state and message: time is a parameter, never the wall.
/// Lives for one decide call only: `self` refers to the entity's own ref (not copied per step).
struct decide_env {
  const std::string& self;
  int64_t now_ms = 0;
  /// True while a send of this entity to the given ref waits for its ack: the receiver has
  /// not durably taken it yet (unreachable, restarting, or behind). Null: nothing waits.
  const std::function<bool(const std::string&)>* unacked_to = nullptr;
};

/// Whether the receiver may or may not have taken a dead-lettered message: the sender gave up
/// waiting for its ack (max_age, max_attempts). Not so for poison or undeliverable, which the
/// receiver's side decided: sending those again fails the same way.
inline bool outcome_unknown(const DeliveryFailed& df) {
  return df.reason() == "max_age" || df.reason() == "max_attempts";
}

/// Type-erased entity logic, as the runtime drives it.
class entity_logic {
public:
  virtual ~entity_logic() = default;
  virtual const std::string& type_name() const = 0;
  virtual std::unique_ptr<pb_message> new_state() const = 0;
  virtual std::unique_ptr<pb_message> new_event() const = 0;
  /// May throw: the runtime treats a throw as a crash of the entity (supervision).
  virtual void decide(const pb_message& state, const inbound& in, const decide_env& env,
                      effects& out) const = 0;
  virtual void apply(pb_message& state, const pb_message& event) const = 0;
  virtual uint32_t snapshot_every() const = 0;
};

using entity_logic_ptr = std::shared_ptr<const entity_logic>;

/// The typed face of `effects` that decide functions write to.
template <class Event>
class decide_context {
public:
  decide_context(effects& out, const decide_env& env) : out_(out), env_(env) {}

  void persist(Event ev) {
    out_.events.push_back(std::make_unique<Event>(std::move(ev)));
  }

  template <class T>
  void send(std::string to, const T& msg, std::string correlation_id = {}) {
    out_.sends.push_back(outgoing{std::move(to), typed_bytes::of(msg), std::move(correlation_id)});
  }

  /// Sends again, as a new message, what a DeliveryFailed handed back (same receiver, type
  /// and payload). Only for a message whose receiver is idempotent by its content: the
  /// transport's de-dup record of the first send may have expired (docs/semantics.md).
  void resend(const DeliveryFailed& df, std::string correlation_id = {}) {
    out_.sends.push_back(
      outgoing{df.receiver(), typed_bytes{df.type(), df.payload()}, std::move(correlation_id)});
  }

  /// Answers the sender: a client gets it with the ack; an entity gets a durable message.
  template <class T>
  void reply(const T& msg) {
    out_.reply = typed_bytes::of(msg);
  }

  /// Refuses the command: no events may be recorded with a rejection.
  void reject(std::string reason) {
    out_.rejection = std::move(reason);
  }

  template <class T>
  void set_timer(std::string name, int64_t delay_ms, const T& msg) {
    out_.timers_set.push_back(timer_request{std::move(name), delay_ms, typed_bytes::of(msg)});
  }

  void cancel_timer(std::string name) {
    out_.timers_cancelled.push_back(std::move(name));
  }

  /// Asks the runtime to passivate the entity after this step: once its commit is durable and
  /// its outbox has drained (acked or dead-lettered). A later step that does not ask again
  /// withdraws the request.
  void passivate() {
    out_.passivate = true;
  }

  int64_t now_ms() const { return env_.now_ms; }
  const std::string& self() const { return env_.self; }
  /// Whether an earlier send to `receiver` still waits for its ack. A timeout that measures
  /// how long a participant takes to answer can stop counting while its command has not
  /// even reached it (a cluster member down: the runtime holds the send and resends it).
  bool awaiting_ack(const std::string& receiver) const {
    return env_.unacked_to != nullptr && (*env_.unacked_to)(receiver);
  }

private:
  effects& out_;
  const decide_env& env_;
};

/// What domain code writes: a name, a snapshot interval and the two functions.
template <class State, class Event>
class entity_definition : public entity_logic {
public:
  using decide_fn =
    std::function<void(const State&, const inbound&, decide_context<Event>&)>;
  using apply_fn = std::function<void(State&, const Event&)>;

  entity_definition(std::string name, decide_fn d, apply_fn a, uint32_t snapshot_every = 100)
    : name_(std::move(name)), decide_(std::move(d)), apply_(std::move(a)),
      snapshot_every_(snapshot_every) {}

  const std::string& type_name() const override { return name_; }
  std::unique_ptr<pb_message> new_state() const override { return std::make_unique<State>(); }
  std::unique_ptr<pb_message> new_event() const override { return std::make_unique<Event>(); }
  uint32_t snapshot_every() const override { return snapshot_every_; }

  void decide(const pb_message& state, const inbound& in, const decide_env& env,
              effects& out) const override {
    decide_context<Event> ctx{out, env};
    decide_(static_cast<const State&>(state), in, ctx);
  }

  void apply(pb_message& state, const pb_message& event) const override {
    apply_(static_cast<State&>(state), static_cast<const Event&>(event));
  }

private:
  std::string name_;
  decide_fn decide_;
  apply_fn apply_;
  uint32_t snapshot_every_;
};

} // namespace sagaforge
