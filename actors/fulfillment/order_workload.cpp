// The order workload's driver: the outcome tap around the notification entity, and the
// closed- or open-loop send loop (see order_workload.hpp).
#include "actors/fulfillment/order_workload.hpp"

#include "runtime/entity_await.hpp"

#include <cstdio>
#include <mutex>

#include "caf/all.hpp"

#include "actors/fulfillment/workload_internal.hpp"
#include "order.pb.h"
#include "order_events.pb.h"
#include "runtime/client_actor.hpp"

namespace sagaforge::fulfillment {

namespace {

using outcome_atom = caf::atom_constant<caf::atom("outcome")>;
using workload::clock_type;

/// Where the tap reports outcomes: the driver's scoped actor while a run is on.
struct tap_target {
  std::mutex mtx;
  caf::actor listener;

  void notify(const order::OrderOutcome& o) {
    std::lock_guard<std::mutex> guard{mtx};
    if (listener)
      caf::anon_send(listener, outcome_atom::value, o.order_id(), o.status(), o.reason());
  }
};

/// The notification logic, unchanged, plus a report of each outcome it records. Reporting
/// from decide is instrumentation only: a step re-run after a crash may report twice, and
/// the driver keeps the first report of each order.
class outcome_tap : public entity_logic {
public:
  outcome_tap(entity_logic_ptr inner, std::shared_ptr<tap_target> target)
    : inner_(std::move(inner)), target_(std::move(target)) {}
  const std::string& type_name() const override { return inner_->type_name(); }
  std::unique_ptr<pb_message> new_state() const override { return inner_->new_state(); }
  std::unique_ptr<pb_message> new_event() const override { return inner_->new_event(); }
  uint32_t snapshot_every() const override { return inner_->snapshot_every(); }
  void apply(pb_message& state, const pb_message& event) const override {
    inner_->apply(state, event);
  }
  void decide(const pb_message& state, const inbound& in, const decide_env& env,
              effects& out) const override {
    inner_->decide(state, in, env, out);
    order::OrderOutcome o;
    if (!out.events.empty() && in.parse(o))
      target_->notify(o);
  }

private:
  entity_logic_ptr inner_;
  std::shared_ptr<tap_target> target_;
};

} // namespace

struct order_workload::impl {
  std::shared_ptr<tap_target> tap = std::make_shared<tap_target>();
  workload::catalog_split catalog;
  std::vector<workload::planned_order> plan;
  std::unordered_map<std::string, size_t> index;

  void issue(caf::scoped_actor& self, node_runtime& node, size_t i, clock_type::time_point start);
  void on_ack(const std::string& bytes, size_t& finished);
  void on_outcome(const std::string& id, const std::string& status, const std::string& reason,
                  size_t& finished);
  void drive(node_runtime& node, const order_workload_options& opts);
  void poll(node_runtime& node, size_t issued, size_t& finished, size_t& cursor);
};

void order_workload::impl::poll(node_runtime& node, size_t issued, size_t& finished,
                                size_t& cursor) {
  // Round-robin over the issued orders not finished, a bounded number per call so that the
  // driver keeps issuing: every inspect may be a round trip to another node.
  constexpr size_t per_call = 128;
  size_t looked = 0;
  for (size_t n = 0; n < issued && looked < per_call; ++n) {
    cursor = (cursor + 1) % issued;
    auto& p = plan[cursor];
    if (p.finished)
      continue;
    ++looked;
    order::OrderState st;
    if (!read_entity_state(node, order_ref(p.create.order_id()), st, std::chrono::seconds{2}))
      continue;
    if (st.status() == "CONFIRMED" || st.status() == "CANCELLED")
      on_outcome(p.create.order_id(), st.status(), st.reason(), finished);
  }
}

void order_workload::impl::issue(caf::scoped_actor& self, node_runtime& node, size_t i,
                                 clock_type::time_point start) {
  auto& p = plan[i];
  p.start = start;
  self->send(node.client(), send_atom::value, order_ref(p.create.order_id()),
             type_name_of<order::CreateOrder>(), p.create.SerializeAsString(), p.create.order_id());
}

void order_workload::impl::on_ack(const std::string& bytes, size_t& finished) {
  Ack a;
  if (!a.ParseFromString(bytes) || (a.reply_error().empty() && !a.failed()))
    return;  // created: the outcome comes from the tap
  std::string id{a.receiver().substr(a.receiver().find('/') + 1)};
  auto i = index.find(id);
  if (i == index.end() || plan[i->second].finished)
    return;
  auto& p = plan[i->second];
  p.finished = true;
  p.status = a.failed() ? "ERROR" : "REJECTED";
  p.reason = a.failed() ? a.error() : a.reply_error();
  ++finished;
}

void order_workload::impl::on_outcome(const std::string& id, const std::string& status,
                                      const std::string& reason, size_t& finished) {
  auto i = index.find(id);
  if (i == index.end() || plan[i->second].finished)
    return;
  auto& p = plan[i->second];
  p.finished = true;
  p.status = status;
  p.reason = reason;
  p.latency_ms = std::chrono::duration<double, std::milli>(clock_type::now() - p.start).count();
  ++finished;
}

void order_workload::impl::drive(node_runtime& node, const order_workload_options& opts) {
  caf::scoped_actor self{node.context().system()};
  {
    std::lock_guard<std::mutex> guard{tap->mtx};
    tap->listener = caf::actor_cast<caf::actor>(self);
  }
  size_t issued = 0, finished = 0;
  auto t0 = clock_type::now();
  auto deadline = t0 + std::chrono::seconds{opts.timeout_s};
  auto last_print = t0;
  auto last_poll = t0;
  size_t cursor = 0;
  auto interval = opts.rate_per_s > 0 ? std::chrono::duration<double>(1.0 / opts.rate_per_s)
                                      : std::chrono::duration<double>(0);
  while (finished < plan.size() && clock_type::now() < deadline
         && node.context().pipeline().healthy()) {
    auto now = clock_type::now();
    if (opts.rate_per_s > 0) {
      for (; issued < plan.size(); ++issued) {
        auto due = t0 + std::chrono::duration_cast<clock_type::duration>(interval * issued);
        if (due > now)
          break;
        issue(self, node, issued, due);
      }
    } else {
      for (; issued < plan.size() && issued - finished < static_cast<size_t>(opts.concurrency);
           ++issued)
        issue(self, node, issued, now);
    }
    auto wait = opts.rate_per_s > 0 ? std::chrono::milliseconds{1} : std::chrono::milliseconds{100};
    self->receive(
      [&](outcome_atom, const std::string& id, const std::string& status,
          const std::string& reason) { on_outcome(id, status, reason, finished); },
      [&](const std::string& bytes) { on_ack(bytes, finished); },
      [&](caf::error&) {},  // a client error: the order stays unfinished, counted as such
      caf::after(wait) >> [] {});
    if (opts.poll_outcomes && issued > 0
        && clock_type::now() - last_poll > std::chrono::milliseconds{100}) {
      poll(node, issued, finished, cursor);
      last_poll = clock_type::now();
    }
    if (opts.print && clock_type::now() - last_print > std::chrono::seconds{1}) {
      last_print = clock_type::now();
      std::printf("  ... %zu of %zu orders finished\n", finished, plan.size());
      std::fflush(stdout);
    }
  }
  std::lock_guard<std::mutex> guard{tap->mtx};
  tap->listener = caf::actor{};
}

order_workload::order_workload(fulfillment_config cfg, order_workload_options opts)
  : cfg_(std::move(cfg)), opts_(std::move(opts)), impl_(std::make_unique<impl>()) {
  impl_->catalog = workload::split_catalog(opts_.skus);
  for (auto* v : {&impl_->catalog.stocked, &impl_->catalog.empty})
    cfg_.catalog.insert(cfg_.catalog.end(), v->begin(), v->end());
  cfg_.prepare();
}

order_workload::~order_workload() = default;

std::vector<entity_logic_ptr> order_workload::entity_types() {
  auto types = make_fulfillment_logics(cfg_);
  for (auto& t : types)
    if (t->type_name() == "notification")
      t = std::make_shared<outcome_tap>(t, impl_->tap);
  return types;
}

order_workload_result order_workload::run(node_runtime& node) {
  auto run_id = opts_.run_id;
  if (run_id.empty())
    run_id = "W"
             + std::to_string(std::chrono::system_clock::now().time_since_epoch().count() / 1000000
                              % 100000000);
  order_workload_result out;
  if (auto err = validate_config(cfg_); !err.empty()) {
    out.invariants_ok = false;
    out.violations.push_back("invalid fulfillment config: " + err);
    return out;
  }
  impl_->plan = workload::make_plan(opts_, impl_->catalog, run_id, cfg_);
  impl_->index.clear();
  for (size_t i = 0; i < impl_->plan.size(); ++i)
    impl_->index[impl_->plan[i].create.order_id()] = i;
  auto deadline = clock_type::now() + std::chrono::seconds{opts_.timeout_s};
  // A baseline read while an earlier (killed) run's sagas still hold stock would be off.
  if (opts_.check_invariants
      && !workload::wait_sagas_terminal(node, deadline, "cannot take a baseline")) {
    out.invariants_ok = false;
    out.violations.push_back("no baseline: earlier sagas did not finish (see above)");
    if (opts_.print)
      print(out);
    return out;
  }
  if (!workload::restock(node, impl_->plan, impl_->catalog, deadline))
    out.violations.push_back("restocking the catalog failed");
  auto before = workload::read_baseline(node, impl_->catalog, cfg_);
  auto steps0 = node.context().counters().steps.load();
  auto commits0 = node.context().pipeline().stats().commits;
  if (opts_.print)
    std::printf("orders: %zu orders of %lld lines over %zu SKUs, %s\n", impl_->plan.size(),
                static_cast<long long>(opts_.lines_per_order), cfg_.catalog.size(),
                opts_.rate_per_s > 0
                  ? ("open loop at " + std::to_string(opts_.rate_per_s) + " orders/s").c_str()
                  : ("closed loop, " + std::to_string(opts_.concurrency) + " in flight").c_str());
  auto t0 = clock_type::now();
  impl_->drive(node, opts_);
  out.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  workload::settle(node, opts_.settle_timeout_ms);
  workload::summarize(impl_->plan, out);
  auto done = out.orders - out.unfinished;
  out.sagas_per_s = out.seconds > 0 ? static_cast<double>(done) / out.seconds : 0;
  out.commits = node.context().pipeline().stats().commits - commits0;
  out.steps_per_saga = done > 0
                         ? static_cast<double>(node.context().counters().steps.load() - steps0)
                             / static_cast<double>(done)
                         : 0;
  if (!node.context().pipeline().healthy()) {
    out.invariants_ok = false;
    out.violations.push_back("the store failed, nothing was checked: "
                             + node.context().pipeline().failure());
  } else if (opts_.check_invariants) {
    workload::check_invariants(node, cfg_, impl_->plan, impl_->catalog, before, out);
    if (workload::wait_sagas_terminal(node, deadline, "cannot check the store"))
      workload::check_store(node, cfg_, out);
    else
      out.violations.push_back("store-wide check skipped: sagas did not finish (see above)");
  }
  if (opts_.print)
    print(out);
  return out;
}

int order_workload_result::exit_code() const {
  return unfinished == 0 && request_errors == 0 && invariants_ok && violations.empty() ? 0 : 1;
}

} // namespace sagaforge::fulfillment
