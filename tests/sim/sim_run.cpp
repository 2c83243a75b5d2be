// One seed's simulation (see sim_run.hpp). The loop: send the client's commands that are
// due, maybe crash, then pick at random one runnable thing — an actor's next message (CAF's
// job queue) or a pooled network message that is due — and run it; when nothing is runnable,
// move virtual time to the next timer, held message, command or client resend (or, by a fault,
// much further: a pause). A crash restarts the node, maybe with its wall clock stepped. Faults
// act only inside the seed's fault window (elapsed virtual time); after it the run heals and
// must settle: the checker then reads the final state.
#include "tests/sim/sim_run.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <chrono>
#include <memory>
#include <optional>

#include "actors/counter/counter.hpp"
#include "actors/fulfillment/fulfillment_config.hpp"
#include "actors/redemption/loyalty_config.hpp"
#include "actors/redemption/redemption.hpp"
#include "caf/scheduled_actor.hpp"
#include "runtime/errors.hpp"
#include "runtime/lmdb_store.hpp"
#include "tests/sim/sim_flaky.hpp"
#include "tests/sim/sim_store.hpp"

namespace sagaforge::sim {

namespace {

using namespace std::chrono;

constexpr int64_t start_ms = 1'000'000'000;
constexpr int64_t horizon_ms = 3 * 3600 * 1000;    // virtual time a run may take to settle
constexpr int64_t client_resend_ms = 3000;         // the client's patience per command
constexpr int64_t max_crashes = 5;

uint64_t runs_in_process = 0;  // for the planted nondeterminism only

struct seed_faults {
  net_faults net;
  int64_t crash_ppm = 0;      // per scheduling step, inside the window
  int64_t jump_permille = 0;  // pauses per advance of virtual time; also steps at restarts
  int64_t window_ms = 0;
  int64_t gateway_error_permille = 0, gateway_timeout_permille = 0;
  int64_t shipment_failure_permille = 0, gateway_latency_ms = 0, gateway_jitter_ms = 0;
  int64_t decide_crash_permille = 0;  // envelopes whose first decide throws (sim_flaky.hpp)
  std::string poison_type;            // a saga command every decide throws on ("" = none)

  std::string describe() const {
    return "dup " + std::to_string(net.duplicate_permille) + "‰ delay "
           + std::to_string(net.delay_permille) + "‰ (<= " + std::to_string(net.max_delay_ms)
           + " ms) drop " + std::to_string(net.drop_permille) + "‰ crash "
           + std::to_string(crash_ppm) + " ppm/step pause " + std::to_string(jump_permille)
           + "‰/idle window " + std::to_string(window_ms) + " ms; gateway error "
           + std::to_string(gateway_error_permille) + "‰ timeout "
           + std::to_string(gateway_timeout_permille) + "‰ latency "
           + std::to_string(gateway_latency_ms) + "±" + std::to_string(gateway_jitter_ms)
           + " ms; shipment failure " + std::to_string(shipment_failure_permille)
           + "‰; decide crash " + std::to_string(decide_crash_permille) + "‰; poison '"
           + poison_type + "'";
  }
};

seed_faults choose_faults(sim_rng& rng) {
  seed_faults f;
  f.net.active = true;
  f.net.duplicate_permille = rng.chance(700) ? rng.range(10, 150) : 0;
  f.net.delay_permille = rng.chance(700) ? rng.range(10, 300) : 0;
  f.net.max_delay_ms = rng.range(10, 8000);
  f.net.drop_permille = rng.chance(500) ? rng.range(5, 80) : 0;
  f.crash_ppm = rng.chance(600) ? rng.range(100, 1500) : 0;
  f.jump_permille = rng.chance(400) ? rng.range(20, 200) : 0;
  f.window_ms = rng.range(10000, 40000);
  f.gateway_error_permille = rng.chance(500) ? rng.range(50, 300) : 0;
  f.gateway_timeout_permille = rng.chance(400) ? rng.range(20, 150) : 0;
  f.shipment_failure_permille = rng.chance(500) ? rng.range(50, 400) : 0;
  f.gateway_latency_ms = rng.range(0, 300);
  f.gateway_jitter_ms = rng.range(0, 200);
  f.decide_crash_permille = rng.chance(400) ? rng.range(5, 80) : 0;
  static const char* const poisonable[] = {
    "sagaforge.inventory.Reserve", "sagaforge.payment.Charge", "sagaforge.shipment.Schedule",
    "sagaforge.points.DeductPoints", "sagaforge.reward.AllocateRewardInventory"};
  if (rng.chance(150))
    f.poison_type = poisonable[rng.below(std::size(poisonable))];
  return f;
}

/// A planted bug needs its trigger in every seed: duplicates for fresh-id duplicates, crashes
/// for lost unsynced writes. (Applied after the draws, so a seed's other choices stay.)
seed_faults with_plants(seed_faults f, const sim_options& opts) {
  if (opts.plants.fresh_id_duplicates)
    f.net.duplicate_permille = std::max<int64_t>(f.net.duplicate_permille, 50);
  if (opts.plant_lose_unsynced || opts.plant_forget_dedup)
    f.crash_ppm = std::max<int64_t>(f.crash_ppm, 500);
  return f;
}

/// Each fault class, and how to switch it off in a seed's settings.
struct fault_class {
  const char* name;
  bool (*on)(const seed_faults&);
  void (*off)(seed_faults&);
};

const std::vector<fault_class>& classes() {
  static const std::vector<fault_class> all{
    {"dup", [](const seed_faults& f) { return f.net.duplicate_permille > 0; },
     [](seed_faults& f) { f.net.duplicate_permille = 0; }},
    {"delay", [](const seed_faults& f) { return f.net.delay_permille > 0; },
     [](seed_faults& f) { f.net.delay_permille = 0; }},
    {"drop", [](const seed_faults& f) { return f.net.drop_permille > 0; },
     [](seed_faults& f) { f.net.drop_permille = 0; }},
    {"crash", [](const seed_faults& f) { return f.crash_ppm > 0; },
     [](seed_faults& f) { f.crash_ppm = 0; }},
    {"pause", [](const seed_faults& f) { return f.jump_permille > 0; },
     [](seed_faults& f) { f.jump_permille = 0; }},
    {"gateway-error", [](const seed_faults& f) { return f.gateway_error_permille > 0; },
     [](seed_faults& f) { f.gateway_error_permille = 0; }},
    {"gateway-timeout", [](const seed_faults& f) { return f.gateway_timeout_permille > 0; },
     [](seed_faults& f) { f.gateway_timeout_permille = 0; }},
    {"shipment-failure", [](const seed_faults& f) { return f.shipment_failure_permille > 0; },
     [](seed_faults& f) { f.shipment_failure_permille = 0; }},
    {"decide-crash", [](const seed_faults& f) { return f.decide_crash_permille > 0; },
     [](seed_faults& f) { f.decide_crash_permille = 0; }},
    {"poison", [](const seed_faults& f) { return !f.poison_type.empty(); },
     [](seed_faults& f) { f.poison_type.clear(); }},
  };
  return all;
}

seed_faults without_classes(seed_faults f, const sim_options& opts) {
  for (auto& c : classes())
    if (opts.without.count(c.name) > 0)
      c.off(f);
  return f;
}

std::vector<entity_logic_ptr> node_types(const seed_faults& f, uint64_t seed) {
  fulfillment::fulfillment_config fc;
  fc.catalog = fulfillment::make_catalog(4);
  fc.gateway_shards = 1;
  fc.points_type = "points";  // confirmed orders credit the loyalty accounts
  fc.snapshot_every = 5;      // recovery from snapshot + tail, at every crash
  fc.gateway_error_permille = f.gateway_error_permille;
  fc.gateway_timeout_permille = f.gateway_timeout_permille;
  fc.gateway_latency_ms = f.gateway_latency_ms;
  fc.gateway_latency_jitter_ms = f.gateway_jitter_ms;
  fc.shipment_failure_permille = f.shipment_failure_permille;
  auto err = fulfillment::validate_config(fc);
  SAGAFORGE_ASSERT(err.empty(), err);
  loyalty::loyalty_config lc;
  lc.saga_timeout_ms = 30000;
  lc.compensation_backoff_initial_ms = 100;
  lc.compensation_backoff_max_ms = 1000;
  lc.points_snapshot_every = 5;
  lc.reward_snapshot_every = 5;
  lc.redemption_snapshot_every = 3;
  auto types = fulfillment::make_fulfillment_logics(fc);
  for (auto& t : loyalty::make_loyalty_logic(lc))
    types.push_back(t);
  types.push_back(counter::make_counter_logic(5));
  if (f.decide_crash_permille > 0 || !f.poison_type.empty()) {
    auto thrown = std::make_shared<flaky_logic::thrown_set>();  // outlives node restarts
    for (auto& t : types)
      t = std::make_shared<flaky_logic>(t, seed, f.decide_crash_permille, thrown, f.poison_type);
  }
  return types;
}

runtime_settings node_settings() {
  auto s = testing::test_settings();
  // Delays and crashes cost attempts: keep the retry policy from dead-lettering what a
  // healed network would still deliver (dead letters are legal, but end the counters' sums).
  s.retry_max_attempts = 60;
  s.retry_max_age_ms = 600000;
  s.dedup_retention_ms = 1200000;
  return s;
}

/// The one seed's world: store, node incarnation, network, client, trace.
class world {
public:
  explicit world(const sim_options& opts)
    : opts_(opts), rng_(opts.seed), trace_(opts.trace_keep),
      rng_noise_(opts.plant_nondeterminism ? ++runs_in_process : 0),
      faults_(without_classes(with_plants(choose_faults(rng_), opts), opts)),
      plan_(make_plan(rng_)), types_(node_types(faults_, opts.seed)), settings_(node_settings()),
      mem_(opts.lmdb_dir.empty() ? std::make_shared<sim_store>(opts.plant_lose_unsynced ? 20 : 0,
                                                               opts.plant_forget_dedup)
                                 : nullptr),
      net_(rng_, trace_, faults_.net, opts.plants) {
    trace_.add("faults: " + faults_.describe());
    start(start_ms);
  }

  sim_result run();

private:
  testing::test_node& node() { return *node_; }
  caf::scheduler::test_coordinator& sched() { return node_->sched(); }

  void start(int64_t at_ms) {
    node_ = std::make_unique<testing::test_node>(open_store(), types_, settings_, at_ms);
    net_.attach(node_->runtime().context());
    client_.restarted();
  }

  /// The longest pause or forward clock step: below retry.max-age-ms unless long outages
  /// are asked for (then up to 40 minutes: past the retry and de-dup windows, where a
  /// delivery's outcome becomes "unknown" by contract — see docs/simulation.md).
  int64_t long_outage_ms() const {
    return opts_.long_outages ? 2400000 : settings_.retry_max_age_ms / 2;
  }

  /// The memory store (the same object across incarnations), or the LMDB environment in
  /// this seed's scratch folder, opened anew at each start: a crash closes it with the node.
  store_ptr open_store() {
    if (mem_)
      return mem_;
    auto st = lmdb_store::open(lmdb_dir(), durability::nosync, 64, false);
    SAGAFORGE_ASSERT(static_cast<bool>(st),
                     "the scratch LMDB store opens: " + describe(st.error()));
    return std::move(*st);
  }

  std::string lmdb_dir() const {
    return opts_.lmdb_dir + "/seed-" + std::to_string(opts_.seed);
  }

public:
  ~world() {
    node_.reset();
    if (!mem_)
      std::filesystem::remove_all(lmdb_dir());
  }

private:
  void crash();
  void run_job(size_t k);
  /// Moves virtual time to the next thing due; false when nothing is (quiet).
  bool advance(bool in_window);

  sim_options opts_;
  sim_rng rng_;
  sim_trace trace_;
  uint64_t rng_noise_;  // planted nondeterminism: differs between two runs of one seed
  seed_faults faults_;
  workload_plan plan_;
  std::vector<entity_logic_ptr> types_;
  runtime_settings settings_;
  std::shared_ptr<sim_store> mem_;  // the memory store, or null on LMDB
  sim_network net_;
  sim_client client_;
  std::unique_ptr<testing::test_node> node_;
  size_t next_cmd_ = 0;
  int crashes_ = 0, jumps_ = 0;  // jumps: pauses and clock steps at restarts
  int64_t elapsed_ms_ = 0;  // virtual time the run has taken (clock steps at restarts aside)
  uint64_t entity_crashes_ = 0;  // decide threw: counted by each node incarnation
};

void world::crash() {
  client_.harvest(node());
  entity_crashes_ += node().runtime().context().counters().crashes.load();
  auto last = node().now_ms();
  node_.reset();  // severs routing, drops every actor: what was not committed is gone
  net_.clear();
  ++crashes_;
  std::string lost;
  if (opts_.plant_lose_unsynced)
    lost = ", PLANT lost " + std::to_string(mem_->power_loss()) + " unsynced writes";
  auto down = rng_.range(1, 2000);
  elapsed_ms_ += down;
  auto restart = last + down;
  if (faults_.jump_permille > 0 && rng_.chance(300)) {
    // The wall clock was stepped while the node was down: mostly forward (rarely by a long
    // outage, see long_outage_ms), sometimes back by up to a minute (an NTP step).
    restart += rng_.chance(250) ? -rng_.range(1, 60000)
               : rng_.chance(100) ? rng_.range(120000, long_outage_ms())
                                  : rng_.range(1000, 120000);
    ++jumps_;
  }
  trace_.add("CRASH at " + std::to_string(last - start_ms) + " ms, restart at "
             + std::to_string(restart - start_ms) + " ms" + lost);
  start(restart);
  client_.resend(node(), 0, settings_.retry_max_age_ms);
}

void world::run_job(size_t k) {
  auto& jobs = sched().jobs;
  SAGAFORGE_ASSERT(k < jobs.size(), "the scheduler picks among the queued jobs");
  std::rotate(jobs.begin(), jobs.begin() + static_cast<std::ptrdiff_t>(k),
              jobs.begin() + static_cast<std::ptrdiff_t>(k) + 1);
  std::string what = "job";
  if (auto* a = dynamic_cast<caf::scheduled_actor*>(jobs.front())) {
    what = "actor " + std::to_string(a->id());
    if (auto* m = a->mailbox().peek())
      what += " " + describe_message(caf::message::copy(m->content()));
  }
  trace_.add(std::move(what));
  sched().try_run_once();
}

bool world::advance(bool in_window) {
  auto now = node().now_ms();
  std::optional<int64_t> next;
  auto consider = [&](int64_t t) {
    if (t >= 0 && (!next || t < *next))
      next = t;
  };
  auto& sch = sched().clock().schedule();
  if (!sch.empty())
    consider(now + std::max<int64_t>(
                     0, duration_cast<milliseconds>(sch.begin()->first - sched().clock().now())
                            .count() + 1));
  consider(net_.next_due());
  if (next_cmd_ < plan_.commands.size())
    consider(start_ms + plan_.commands[next_cmd_].at_ms);
  consider(client_.next_resend(client_resend_ms));
  if (!next)
    return false;
  if (in_window && faults_.jump_permille > 0 && rng_.chance(faults_.jump_permille)) {
    // A pause (a stopped process, a suspended VM): time moves on at once, for the runtime clock
    // and CAF's timers alike — both run on the monotonic clock, which never steps back within
    // a process (wall-clock steps reach the runtime only at a restart: see crash()).
    auto pause = rng_.chance(100) ? rng_.range(120000, long_outage_ms())
                                  : rng_.range(1000, 120000);
    ++jumps_;
    trace_.add("PAUSE " + std::to_string(pause) + " ms");
    sched().clock().advance_time(milliseconds{pause});
    elapsed_ms_ += pause;
    return true;
  }
  auto dt = std::max<int64_t>(0, *next - now);
  trace_.add("advance " + std::to_string(dt) + " ms");
  sched().clock().advance_time(milliseconds{dt});
  elapsed_ms_ += dt;
  return true;
}

sim_result world::run() {
  sim_result r;
  r.seed = opts_.seed;
  r.faults = faults_.describe();
  for (auto& c : classes())
    if (c.on(faults_))
      r.active_faults.push_back(c.name);
  bool quiet = false;
  std::string not_quiet;
  uint64_t steps = 0;
  for (;;) {
    auto now = node().now_ms();
    // Window and horizon in elapsed virtual time: a clock step at a restart must not end the
    // faults or the run.
    bool in_window = elapsed_ms_ < faults_.window_ms;
    if (!in_window)
      net_.heal();
    if (elapsed_ms_ > horizon_ms) {
      not_quiet = "3 hours of virtual time passed";
      break;
    }
    if (++steps > opts_.max_steps) {
      not_quiet = "step budget spent";
      break;
    }
    for (; next_cmd_ < plan_.commands.size() && start_ms + plan_.commands[next_cmd_].at_ms <= now;
         ++next_cmd_) {
      trace_.add("client " + plan_.commands[next_cmd_].what);
      client_.send(node(), plan_.commands[next_cmd_]);
    }
    client_.harvest(node());
    if (auto t = client_.next_resend(client_resend_ms); t >= 0 && t <= now) {
      trace_.add("client resends");
      client_.resend(node(), client_resend_ms, settings_.retry_max_age_ms);
    }
    if (in_window && crashes_ < max_crashes && faults_.crash_ppm > 0
        && static_cast<int64_t>(rng_.below(1'000'000)) < faults_.crash_ppm) {
      crash();
      continue;
    }
    auto jobs = sched().jobs.size();
    auto msgs = net_.eligible(now);
    if (jobs + msgs > 0) {
      auto k = (rng_.below(jobs + msgs) + (steps % 997 == 0 ? rng_noise_ : 0)) % (jobs + msgs);
      if (k < jobs)
        run_job(k);
      else
        net_.deliver(k - jobs, now);
      continue;
    }
    if (!advance(in_window)) {
      quiet = true;
      break;
    }
  }
  client_.harvest(node());
  if (quiet && !client_.all_acked()) {
    quiet = false;
    not_quiet = "unacknowledged client commands";
  }
  for (auto& ref : opts_.inspect)  // debugging a seed: the runtime's view of an entity
    std::printf("inspect %s: %s\n", ref.c_str(), node().report(ref).ShortDebugString().c_str());
  auto fin = read_final(node(), plan_);
  fin.quiet = quiet;
  fin.not_quiet = not_quiet;
  trace_.mix(digest(fin));
  r.violations = check_all(plan_, client_.history(), fin);
  r.trace_tail = trace_.tail();
  r.hash = trace_.hash();
  r.steps = trace_.steps();
  r.crashes = crashes_;
  r.clock_jumps = jumps_;
  r.duplicates = net_.duplicates;
  r.delays = net_.delays;
  r.drops = net_.drops;
  r.planted = net_.planted;
  r.virtual_ms = node().now_ms() - start_ms;
  r.commands = plan_.commands.size();
  for (auto& [id, o] : fin.orders)
    ++r.outcomes["order " + (o.status().empty() ? std::string{"NONE"} : o.status())];
  for (auto& [id, x] : fin.redemptions)
    ++r.outcomes[std::string{"redemption "} + redemption::status_name(x.status())];
  for (auto& d : fin.dead_letters)
    ++r.outcomes["dead letters " + d.reason()];
  r.outcomes["net duplicates"] += static_cast<int64_t>(net_.duplicates);
  r.outcomes["net delays"] += static_cast<int64_t>(net_.delays);
  r.outcomes["net drops"] += static_cast<int64_t>(net_.drops);
  r.outcomes["decide crashes"] += static_cast<int64_t>(
    entity_crashes_ + node().runtime().context().counters().crashes.load());
  return r;
}

} // namespace

sim_result run_seed(const sim_options& opts) {
  world w{opts};
  return w.run();
}

const std::vector<std::string>& fault_classes() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (auto& c : classes())
      out.push_back(c.name);
    return out;
  }();
  return names;
}

} // namespace sagaforge::sim
