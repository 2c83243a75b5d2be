// test_node implementation.
#include "tests/support/test_node.hpp"

#include "runtime/durable_mailbox.hpp"
#include "runtime/errors.hpp"
#include "runtime/messages.hpp"

namespace sagaforge::testing {

runtime_settings test_settings() {
  runtime_settings s;
  s.durability_name = "memory";
  s.shard_count = 8;
  s.retry_initial_backoff_ms = 100;
  s.retry_max_backoff_ms = 1000;
  s.retry_max_attempts = 5;
  s.retry_max_age_ms = 60000;
  s.dedup_retention_ms = 120000;
  s.channel_window = 8;
  s.timer_granularity_ms = 1;  // timers fire exactly when advance() reaches them
  return s;
}

test_node::test_node(store_ptr st, std::vector<entity_logic_ptr> types, runtime_settings settings,
                     int64_t start_ms) {
  cfg_ = std::make_unique<caf::actor_system_config>();
  cfg_->set("scheduler.policy", caf::atom("testing"));
  cfg_->set("logger.file-verbosity", caf::atom("quiet"));
  cfg_->set("logger.console", caf::atom("none"));
  sys_ = std::make_unique<caf::actor_system>(*cfg_);
  sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
  node_runtime::options opts;
  opts.settings = settings;
  opts.given_store = std::move(st);
  opts.threaded_commit = false;
  opts.run_sweeper = false;
  using namespace std::chrono;
  opts.clock_base_ms =
    start_ms - duration_cast<milliseconds>(sys_->clock().now().time_since_epoch()).count();
  auto rt = node_runtime::start(*sys_, opts, std::move(types));
  if (!rt)
    throw std::runtime_error("node start failed: " + describe(rt.error()));
  rt_ = std::move(*rt);
  // Spawned with an argument: CAF 0.17 dereferences an empty argument tuple when a
  // function is spawned without one (UBSan reports it as a null reference binding).
  collector_ = sys_->spawn(
    [](caf::event_based_actor*, std::vector<Ack>* sink) -> caf::behavior {
      return {[sink](ack_atom, const std::string& bytes) {
        Ack a;
        if (a.ParseFromString(bytes))
          sink->push_back(a);
      }};
    },
    &acks);
  rt_->context().dir().register_client("client/test", collector_);
  run();
}

namespace {

/// After a crash nothing leaves the node: sends, acks and replies are dropped.
class severed_router : public router {
public:
  bool route(const std::string&, const caf::message&, bool) override {
    return false;
  }
};

} // namespace

test_node::~test_node() {
  rt_->context().set_router(std::make_unique<severed_router>());
  rt_->shutdown();
  caf::anon_send_exit(collector_, caf::exit_reason::user_shutdown);
  run();
  rt_.reset();
  run();
}

void test_node::run() {
  sched_->run();
}

bool test_node::run_once() {
  return sched_->try_run_once();
}

void test_node::advance(std::chrono::milliseconds d) {
  sched_->clock().advance_time(d);
  run();
  while (sched_->clock().trigger_expired_timeouts() > 0)
    run();
}

int64_t test_node::now_ms() {
  return rt_->context().now_ms();
}

uint64_t test_node::send_raw(const std::string& to, const typed_bytes& msg,
                             const std::string& sender) {
  auto seq = ++seqs_[sender + ">" + to];
  send_with_seq(to, msg, seq, sender);
  return seq;
}

void test_node::send_with_seq(const std::string& to, const typed_bytes& msg, uint64_t seq,
                              const std::string& sender) {
  Envelope env;
  env.set_id(envelope_id(sender, to, seq));
  env.set_sender(sender);
  env.set_receiver(to);
  env.set_type(msg.type);
  env.set_payload(msg.payload);
  env.set_attempt(1);
  env.set_created_at_ms(now_ms());
  env.set_channel_seq(seq);
  env.set_wants_reply(true);
  deliver_bytes(to, env.SerializeAsString());
}

void test_node::deliver_bytes(const std::string& to, std::string bytes) {
  rt_->context().route(to, caf::make_message(deliver_atom::value, std::move(bytes)), true);
}

EntityReport test_node::report(const std::string& ref) {
  EntityReport out;
  for (int attempt = 0; attempt < 3; ++attempt) {  // as node_runtime::inspect: see there
    auto target = rt_->context().dir().lookup(ref, true);
    caf::scoped_actor self{*sys_, true};
    auto h = self->request(target, caf::infinite, inspect_atom::value);
    run();
    out.Clear();
    h.receive([&](const std::string& bytes) { out.ParseFromString(bytes); },
              [&](caf::error& err) { out.set_error(caf::to_string(err)); });
    if (!out.error().empty() || out.ref() == ref)
      break;
  }
  return out;
}

const Ack* test_node::ack_for(const std::string& receiver, uint64_t seq) const {
  const Ack* out = nullptr;
  for (auto& a : acks)
    if (a.receiver() == receiver && a.channel_seq() == seq)
      out = &a;
  return out;
}

} // namespace sagaforge::testing
