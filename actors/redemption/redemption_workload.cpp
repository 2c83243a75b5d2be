// The redemption workload's driver. Seeding goes through the node's client from a scoped
// actor; the run is one event-based actor that issues StartRedemption through the client
// (closed or open loop) and learns each saga's outcome from the runtime's committed-state
// observer (a slow inspect poll stays as a fallback). Latency is the saga's own settle time
// minus the issue time, both on the runtime clock (ms resolution).
#include "actors/redemption/redemption_workload.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <queue>
#include <random>
#include <unordered_map>

#include "caf/all.hpp"

#include "actors/redemption/redemption.hpp"
#include "actors/redemption/redemption_workload_parts.hpp"
#include "envelope.pb.h"
#include "points.pb.h"
#include "reward.pb.h"
#include "runtime/client_actor.hpp"
#include "runtime/errors.hpp"
#include "runtime/messages.hpp"
#include "runtime_records.pb.h"

namespace sagaforge::redemption {

namespace {

using namespace workload;
using steady = std::chrono::steady_clock;
using tick_atom = caf::atom_constant<caf::atom("rdm_tick")>;
using run_atom = caf::atom_constant<caf::atom("rdm_run")>;
using settled_atom = caf::atom_constant<caf::atom("rdm_done")>;


// -- seeding --

caf::error seed(node_runtime& node, const workload_options& o, const std::string& run) {
  auto deadline = steady::now() + std::chrono::milliseconds{o.deadline_ms};
  std::vector<std::pair<std::string, typed_bytes>> cmds;
  for (int64_t i = 0; i < o.customers; ++i) {
    points::EarnPoints earn;
    earn.set_transaction_id("seed-" + run);
    earn.set_points(o.points_per_customer);
    earn.set_reason("workload seed");
    cmds.emplace_back("points/" + customer_id(run, i), typed_bytes::of(earn));
  }
  for (int64_t i = 0; i < o.rewards; ++i) {
    reward::DefineReward def;
    def.set_name("reward " + std::to_string(i));
    def.set_points_cost(o.reward_cost_points);
    def.set_active(o.inactive_reward_every <= 0 || (i + 1) % o.inactive_reward_every != 0);
    def.set_stock(o.reward_stock);
    cmds.emplace_back("reward/" + reward_id(run, i), typed_bytes::of(def));
  }
  caf::scoped_actor self{node.context().system()};
  size_t next = 0, answered = 0;
  caf::error failure;
  while (answered < cmds.size()) {
    if (!node.context().pipeline().healthy())
      return make_runtime_error(runtime_errc::store_failed, "seeding: the store failed");
    if (steady::now() > deadline)
      return make_runtime_error(runtime_errc::timeout, "seeding did not finish by the deadline");
    while (next < cmds.size() && next - answered < static_cast<size_t>(o.seed_window)) {
      auto& [to, msg] = cmds[next++];
      self->send(node.client(), send_atom::value, to, msg.type, msg.payload, "seed-" + run);
    }
    self->receive(
      [&](const std::string& bytes) {
        ++answered;
        Ack ack;
        if (ack.ParseFromString(bytes) && !ack.reply_error().empty() && !failure)
          failure = make_runtime_error(runtime_errc::rejected, "seeding " + ack.receiver()
                                                                 + ": " + ack.reply_error());
      },
      [&](caf::error& err) {
        ++answered;
        if (!failure)
          failure = err;
      },
      caf::after(std::chrono::milliseconds{500}) >> [] {});
  }
  return failure;
}

// -- the driver actor --

struct poll_item {
  steady::time_point at;
  size_t index;
  bool operator>(const poll_item& other) const { return at > other.at; }
};

/// The run's data: built by the caller, owned by the driver actor while it runs, read by
/// the caller again after the driver answered (the answer orders the accesses).
struct driver_state {
  std::vector<saga_record> sagas;
  std::unordered_map<std::string, size_t> index_of;  // saga ref -> index
  std::vector<std::pair<std::string, std::string>> plan;  // (customer, reward) per saga
  std::vector<int64_t> issued_ms;
  std::priority_queue<poll_item, std::vector<poll_item>, std::greater<>> polls;
  size_t next_issue = 0;
  int64_t in_flight = 0;
  size_t finished = 0;  // settled or rejected
  uint64_t polls_sent = 0;
  steady::time_point start, last_settled;
  double cpu_start_s = 0, cpu_last_settled_s = 0;  // process CPU time at those points
  caf::response_promise done;
  bool delivered = false;
};

struct driver_actor {
  caf::event_based_actor* self;
  driver_state& state;
  caf::event_based_actor* operator->() const { return self; }
};

struct driver_env {
  node_runtime* node;
  workload_options opts;
  std::shared_ptr<driver_state> data;
};

/// CPU time of the whole process (every thread), seconds.
double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void finish_one(driver_actor self) {
  auto& st = self.state;
  st.finished++;
  st.in_flight--;
  st.last_settled = steady::now();
  st.cpu_last_settled_s = process_cpu_s();
}

/// A saga the observer has not reported settled is polled every poll_interval_ms.
void schedule_poll(driver_actor self, const driver_env& env, size_t i) {
  auto& st = self.state;
  if (st.sagas[i].settled)
    return;
  auto at = steady::now() + std::chrono::milliseconds{env.opts.poll_interval_ms};
  st.polls.push(poll_item{at, i});
}

void settled(driver_actor self, size_t i, RedemptionState s) {
  auto& rec = self.state.sagas[i];
  if (rec.settled || rec.rejected)
    return;  // the observer and a fallback poll both saw it
  rec.settled = true;
  rec.state = std::move(s);
  finish_one(self);
}

void poll(driver_actor self, const driver_env& env, size_t i) {
  if (self.state.sagas[i].settled)
    return;  // the observer reported it meanwhile
  auto ref = "redemption/" + self.state.sagas[i].id;
  auto& ctx = env.node->context();
  self.state.polls_sent++;
  // In a cluster the saga may run on another node: ask that node's gateway, which takes the
  // ref along (a local entity actor is asked without it).
  auto* remote = ctx.remote();
  bool here = remote == nullptr || remote->is_local(ref);
  auto handle = here ? ctx.dir().lookup(ref, true) : remote->inspector_for(ref);
  if (!handle)
    return schedule_poll(self, env, i);
  auto request = here ? self->request(handle, std::chrono::seconds{10}, inspect_atom::value)
                      : self->request(handle, std::chrono::seconds{10}, inspect_atom::value, ref);
  std::move(request)
    .then(
      [=](const std::string& bytes) {
        EntityReport rep;
        RedemptionState s;
        // A report of another ref: the saga passivated after the lookup and its actor was
        // recycled (directory::recycle); poll again.
        if (!rep.ParseFromString(bytes) || rep.ref() != ref || !s.ParseFromString(rep.state())
            || !is_settled(s))
          return schedule_poll(self, env, i);
        settled(self, i, std::move(s));
      },
      [=](caf::error&) { schedule_poll(self, env, i); });
}

void issue(driver_actor self, const driver_env& env) {
  auto& st = self.state;
  auto i = st.next_issue++;
  st.in_flight++;
  StartRedemption start;
  start.set_customer_id(st.plan[i].first);
  start.set_reward_id(st.plan[i].second);
  start.set_expected_cost(env.opts.reward_cost_points);
  st.issued_ms[i] = env.node->context().now_ms();
  auto msg = typed_bytes::of(start);
  self->request(env.node->client(), caf::infinite, send_atom::value,
                "redemption/" + st.sagas[i].id, msg.type, msg.payload, st.sagas[i].id)
    .then(
      [=](const std::string& bytes) {
        Ack ack;
        if (ack.ParseFromString(bytes) && ack.reply_error().empty())
          return schedule_poll(self, env, i);
        self.state.sagas[i].rejected = true;
        finish_one(self);
      },
      [=](caf::error&) {
        self.state.sagas[i].rejected = true;
        finish_one(self);
      });
}

void issue_due(driver_actor self, const driver_env& env) {
  auto& st = self.state;
  size_t target = st.sagas.size();
  int64_t cap = env.opts.concurrency;
  if (env.opts.rate_per_s > 0) {
    double secs = std::chrono::duration<double>(steady::now() - st.start).count();
    target = std::min(target, static_cast<size_t>(secs * env.opts.rate_per_s) + 1);
    cap = env.opts.in_flight_max;
  }
  while (st.next_issue < target && st.in_flight < cap)
    issue(self, env);
}

void on_tick(driver_actor self, const driver_env& env) {
  auto& st = self.state;
  auto now = steady::now();
  while (!st.polls.empty() && st.polls.top().at <= now) {
    auto i = st.polls.top().index;
    st.polls.pop();
    poll(self, env, i);
  }
  issue_due(self, env);
  bool all = st.finished == st.sagas.size();
  bool late = now - st.start > std::chrono::milliseconds{env.opts.deadline_ms}
              || !env.node->context().pipeline().healthy();
  if ((all || late) && !st.delivered) {
    st.delivered = true;
    st.done.deliver(true);
    self->quit();
    return;
  }
  // Open loop: a 1 ms tick paces the offered rate. Closed loop: a finished saga issues the
  // next one at once (settled_atom), so the tick only runs polls and the deadline; ticking
  // every 1 ms there cost a clock-thread wake-up per ms (~5 % of the process's CPU).
  auto tick = std::chrono::milliseconds{env.opts.rate_per_s > 0 ? 1 : 10};
  self->delayed_send(self.self, tick, tick_atom::value);
}

caf::behavior driver(caf::event_based_actor* ptr, driver_env env) {
  driver_actor self{ptr, *env.data};
  return {
    [=](run_atom) -> caf::result<bool> {
      auto& st = self.state;
      st.start = st.last_settled = steady::now();
      st.cpu_start_s = st.cpu_last_settled_s = process_cpu_s();
      st.done = self->make_response_promise();
      issue_due(self, env);
      self->send(self.self, tick_atom::value);
      return st.done;
    },
    [=](tick_atom) { on_tick(self, env); },
    [=](settled_atom, const std::string& ref, const std::string& bytes) {
      auto& st = self.state;
      auto it = st.index_of.find(ref);
      RedemptionState s;
      if (it != st.index_of.end() && s.ParseFromString(bytes))
        settled(self, it->second, std::move(s));
      if (env.opts.rate_per_s <= 0)
        issue_due(self, env);  // closed loop: keep `concurrency` sagas in flight
    },
  };
}

void summarize(const driver_state& st, workload_result& r) {
  std::vector<int64_t> lat;
  for (size_t i = 0; i < st.sagas.size(); ++i) {
    auto& rec = st.sagas[i];
    if (rec.rejected)
      r.rejected++;
    else if (!rec.settled)
      r.unsettled++;
    else {
      r.by_status[status_name(rec.state.status())]++;
      lat.push_back(rec.state.finished_at_ms() - st.issued_ms[i]);
    }
  }
  r.issued = static_cast<int64_t>(st.next_issue);
  r.polls_per_saga = r.issued > 0 ? static_cast<double>(st.polls_sent) / r.issued : 0;
  r.seconds = std::chrono::duration<double>(st.last_settled - st.start).count();
  r.cpu_seconds = st.cpu_last_settled_s - st.cpu_start_s;
  r.redemptions_per_s = r.seconds > 0 ? static_cast<double>(lat.size()) / r.seconds : 0;
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    if (lat.empty())
      return 0.0;
    auto k = static_cast<size_t>(p * static_cast<double>(lat.size() - 1) + 0.5);
    return static_cast<double>(lat[std::min(k, lat.size() - 1)]);
  };
  r.p50_ms = pct(0.50);
  r.p99_ms = pct(0.99);
  r.p999_ms = pct(0.999);
}

} // namespace

caf::expected<workload_result> run_redemption_workload(node_runtime& node,
                                                       const workload_options& opts) {
  if (opts.customers <= 0 || opts.rewards <= 0 || opts.redemptions < 0 || opts.concurrency <= 0)
    return make_runtime_error(runtime_errc::invalid_config,
                              "workload: customers, rewards and concurrency must be positive");
  // A killed earlier run's sagas finish after the restart; the checks need them settled.
  if (!wait_sagas_settled(node, opts.deadline_ms, "cannot take a baseline"))
    return make_runtime_error(runtime_errc::timeout,
                              "redemption sagas of an earlier run did not settle");
  workload_result r;
  r.run_id = opts.run_id.empty() ? "w" + std::to_string(node.context().now_ms() % 100000000)
                                 : opts.run_id;
  if (auto err = seed(node, opts, r.run_id))
    return err;
  auto& sys = node.context().system();
  // The plan is fixed before the run (seeded random customer and reward per saga).
  auto data = std::make_shared<driver_state>();
  std::mt19937_64 rng{opts.seed};
  auto n = static_cast<size_t>(opts.redemptions);
  data->sagas.resize(n);
  data->plan.resize(n);
  data->issued_ms.resize(n);
  auto pick = [&](int64_t count) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(count)); };
  for (size_t i = 0; i < n; ++i) {
    data->sagas[i].id = saga_id(r.run_id, static_cast<int64_t>(i));
    data->plan[i] = {customer_id(r.run_id, pick(opts.customers)),
                     reward_id(r.run_id, pick(opts.rewards))};
  }
  auto steps0 = node.context().counters().steps.load();
  auto commits0 = node.context().pipeline().stats();
  for (size_t i = 0; i < n; ++i)
    data->index_of.emplace("redemption/" + data->sagas[i].id, i);
  auto drv = sys.spawn(driver, driver_env{&node, opts, data});
  // Settled states reach the driver as they commit; the observer runs on entity threads and
  // only reads its arguments.
  auto watch = node.context().observe(
    std::string{"redemption"}, [drv](const std::string& ref, const pb_message& state) {
      auto& s = static_cast<const RedemptionState&>(state);
      if (is_settled(s))
        caf::anon_send(drv, settled_atom::value, ref, s.SerializeAsString());
    });
  caf::scoped_actor self{sys};
  bool ok = false;
  self->request(drv, caf::infinite, run_atom::value)
    .receive([&](bool b) { ok = b; }, [&](caf::error&) {});
  node.context().unobserve(watch);
  auto* st = data.get();
  summarize(*st, r);
  auto steps = node.context().counters().steps.load() - steps0;
  auto commits = node.context().pipeline().stats();
  auto settled = static_cast<double>(r.issued - r.rejected - r.unsettled);
  r.steps_per_saga = settled > 0 ? static_cast<double>(steps) / settled : 0;
  auto dc = commits.commits - commits0.commits;
  r.steps_per_commit = dc > 0 ? static_cast<double>(commits.steps - commits0.steps) / dc : 0;
  if (!node.context().pipeline().healthy())
    return make_runtime_error(runtime_errc::store_failed,
                              "the store failed, nothing was checked: "
                                + node.context().pipeline().failure());
  if (auto err = check_invariants(node, opts, st->sagas, r))
    return err;
  std::vector<RedemptionState> stored;
  if (wait_sagas_settled(node, opts.deadline_ms, "cannot check the store", &stored))
    check_store(node, stored, r);
  else
    r.store_violations.push_back("store-wide check skipped: sagas did not settle (see above)");
  r.ok = r.ok && ok && r.unsettled == 0 && r.rejected == 0 && r.store_violations.empty();
  return r;
}

} // namespace sagaforge::redemption
