// The redemption workload's checks and report. Invariants, each from two sources:
// - points conserved: per account, earned - spent + refunded - reversed = balance >= 0 in
//   the live state, and the balance recomputed from the account's journal (never below
//   zero at any event) equals it; the same sums in total;
// - points debited iff reward issued: per customer, spent - refunded = the costs of that
//   customer's Completed sagas;
// - stock conserved: per reward, stocked = in stock + held, and held = its Completed sagas;
// - the wallet read model (rebuilt from the saga journals) lists exactly the Completed ones.
#include <map>

#include "actors/redemption/redemption.hpp"
#include "actors/redemption/redemption_views.hpp"
#include "actors/redemption/redemption_workload_parts.hpp"
#include "points.pb.h"
#include "reward.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::redemption::workload {

namespace {

struct replayed {
  int64_t balance = 0;
  int64_t min_balance = 0;
};

/// Balances recomputed from the points journals of the run's accounts.
caf::expected<std::map<std::string, replayed>> replay_points(node_runtime& node,
                                                             const std::string& run) {
  std::map<std::string, replayed> out;
  auto prefix = "points/" + run + "-C";
  auto err = node.for_each_event("points", [&](const std::string& ref, uint64_t,
                                               const std::string& bytes, int64_t) {
    if (ref.compare(0, prefix.size(), prefix) != 0)
      return true;
    points::PointsEvent ev;
    ev.ParseFromString(bytes);
    auto& r = out[ref];
    r.balance += ev.earned().points() + ev.order_credited().points() - ev.deducted().points()
                 + ev.refunded().points() - ev.order_reversed().points();
    r.min_balance = std::min(r.min_balance, r.balance);
    return true;
  });
  if (err)
    return err;
  return out;
}

caf::error check_accounts(node_runtime& node, const workload_options& opts,
                          const std::map<std::string, int64_t>& completed_by_customer,
                          workload_result& r) {
  std::map<std::string, replayed> journal;
  if (opts.check_journals) {
    auto j = replay_points(node, r.run_id);
    if (!j)
      return j.error();
    journal = std::move(*j);
  }
  for (int64_t i = 0; i < opts.customers; ++i) {
    auto id = customer_id(r.run_id, i);
    auto rep = node.inspect("points/" + id);
    if (!rep)
      return rep.error();
    points::PointsState s;
    s.ParseFromString(rep->state());
    r.earned += s.earned();
    r.spent += s.spent();
    r.refunded += s.refunded();
    r.reversed += s.reversed();
    r.balance += s.balance();
    auto done = completed_by_customer.count(id) ? completed_by_customer.at(id) : 0;
    bool bad = s.earned() - s.spent() + s.refunded() - s.reversed() != s.balance()
               || s.balance() < 0 || s.spent() - s.refunded() != done;
    if (opts.check_journals) {
      auto& j = journal["points/" + id];
      bad = bad || j.balance != s.balance() || j.min_balance < 0;
    }
    r.accounts_violating += bad ? 1 : 0;
  }
  return {};
}

caf::error check_rewards(node_runtime& node, const workload_options& opts,
                         const std::map<std::string, int64_t>& completed_by_reward,
                         workload_result& r) {
  for (int64_t i = 0; i < opts.rewards; ++i) {
    auto id = reward_id(r.run_id, i);
    auto rep = node.inspect("reward/" + id);
    if (!rep)
      return rep.error();
    reward::RewardState s;
    s.ParseFromString(rep->state());
    int64_t held = 0;
    for (auto& a : s.allocations())
      held += a.status() == reward::ALLOCATION_HELD ? 1 : 0;
    r.stocked += s.stocked_total();
    r.in_stock += s.stock();
    r.held += held;
    auto done = completed_by_reward.count(id) ? completed_by_reward.at(id) : 0;
    r.rewards_violating += (s.stocked_total() != s.stock() + held || held != done) ? 1 : 0;
  }
  return {};
}

} // namespace

caf::error check_invariants(node_runtime& node, const workload_options& opts,
                            const std::vector<saga_record>& sagas, workload_result& r) {
  std::map<std::string, int64_t> by_customer, by_reward;
  int64_t completed = 0;
  for (auto& rec : sagas) {
    if (!rec.settled || rec.state.status() != COMPLETED)
      continue;
    ++completed;
    by_customer[rec.state.customer_id()] += rec.state.expected_cost();
    by_reward[rec.state.reward_id()] += 1;
    r.completed_points += rec.state.expected_cost();
  }
  if (auto err = check_accounts(node, opts, by_customer, r))
    return err;
  if (auto err = check_rewards(node, opts, by_reward, r))
    return err;
  if (opts.check_journals) {  // the read model is rebuilt from this node's journals
    auto views = rebuild_loyalty_views(node, r.run_id + "-");
    if (!views)
      return views.error();
    for (auto& [customer, entries] : views->wallets)
      r.wallet_entries += static_cast<int64_t>(entries.size());
  }
  r.points_conserved = r.accounts_violating == 0
                       && r.earned - r.spent + r.refunded - r.reversed == r.balance;
  r.debit_iff_issued = r.spent - r.refunded == r.completed_points;
  r.stock_conserved = r.rewards_violating == 0 && r.stocked == r.in_stock + r.held;
  r.wallet_ok = !opts.check_journals || r.wallet_entries == completed;
  r.wallet_checked = opts.check_journals;
  r.ok = r.points_conserved && r.debit_iff_issued && r.stock_conserved && r.wallet_ok;
  return {};
}

} // namespace sagaforge::redemption::workload

namespace sagaforge::redemption {

void print_workload_result(const workload_result& r, std::FILE* out) {
  auto ll = [](int64_t x) { return static_cast<long long>(x); };
  std::fprintf(out, "redemptions (run %s): %lld issued, %lld rejected, %lld unsettled\n",
               r.run_id.c_str(), ll(r.issued), ll(r.rejected), ll(r.unsettled));
  for (auto& [status, n] : r.by_status)
    std::fprintf(out, "  %-20s %lld\n", status.c_str(), ll(n));
  std::fprintf(out,
               "redemptions: %.2f s, %.0f redemptions/s, latency p50 %.0f ms, p99 %.0f ms, "
               "p99.9 %.0f ms, %.1f durable steps per saga, %.1f steps per commit, %.1f polls "
               "per saga\n",
               r.seconds, r.redemptions_per_s, r.p50_ms, r.p99_ms, r.p999_ms, r.steps_per_saga,
               r.steps_per_commit, r.polls_per_saga);
  std::fprintf(out,
               "invariant: points conserved: earned %lld - spent %lld + refunded %lld - "
               "reversed %lld = %lld, balance %lld, accounts violating %lld -> %s\n",
               ll(r.earned), ll(r.spent), ll(r.refunded), ll(r.reversed),
               ll(r.earned - r.spent + r.refunded - r.reversed), ll(r.balance),
               ll(r.accounts_violating), r.points_conserved ? "OK" : "VIOLATED");
  std::fprintf(out,
               "invariant: points debited iff reward issued: spent - refunded %lld, costs of "
               "completed redemptions %lld -> %s\n",
               ll(r.spent - r.refunded), ll(r.completed_points),
               r.debit_iff_issued ? "OK" : "VIOLATED");
  std::fprintf(out,
               "invariant: reward stock conserved: stocked %lld = in stock %lld + held %lld, "
               "rewards violating %lld -> %s\n",
               ll(r.stocked), ll(r.in_stock), ll(r.held), ll(r.rewards_violating),
               r.stock_conserved ? "OK" : "VIOLATED");
  if (r.wallet_checked)
    std::fprintf(out, "wallet read model: %lld rewards redeemed -> %s\n", ll(r.wallet_entries),
                 r.wallet_ok ? "OK" : "CHECK FAILED");
  else
    std::fprintf(out, "wallet read model and journal replay: not checked here (the journals "
                      "are on the nodes that own the entities)\n");
  for (auto& v : r.store_violations)
    std::fprintf(out, "  violation: store-wide: %s\n", v.c_str());
  std::fprintf(out,
               "store-wide: %lld sagas, %lld points accounts and %lld rewards the store holds "
               "re-verified -> %s\n",
               ll(r.store_sagas_checked), ll(r.store_accounts_checked),
               ll(r.store_rewards_checked), r.store_violations.empty() ? "OK" : "VIOLATED");
}

int run_redemption_demo(node_runtime& node, const workload_options& opts) {
  auto r = run_redemption_workload(node, opts);
  if (!r) {
    std::fprintf(stderr, "redemption workload failed: %s\n", describe(r.error()).c_str());
    return 1;
  }
  print_workload_result(*r);
  return r->ok ? 0 : 1;
}

} // namespace sagaforge::redemption
