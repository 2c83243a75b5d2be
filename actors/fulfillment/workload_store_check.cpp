// The order workload's store-wide checks: every invariant over everything the store holds,
// not only this run's orders, so a run that follows a killed one re-verifies what the killed
// run left (its sagas finish after the restart). Before the run it waits until every stored
// saga is terminal (a baseline read while a killed run's sagas still hold reservations
// would make the per-run check cry wolf); after it, the store-wide invariants:
//   - every stored fulfillment saga terminal; no SKU holds a reservation;
//   - per SKU: available + reserved + shipped = received, nothing negative, and shipped = the
//     units of every CONFIRMED order the store holds;
//   - per order: charged at most once and refunded at most once; CONFIRMED = charged its
//     total; CANCELLED = refunded what was charged;
//   - the gateway's ledger (captured - voided - refunded, all shards) = the payments' net.
#include <cstdio>
#include <map>

#include "actors/fulfillment/workload_internal.hpp"
#include "runtime/entity_await.hpp"
#include "fulfillment.pb.h"
#include "payment.pb.h"

namespace sagaforge::fulfillment::workload {

namespace {

bool terminal(const SagaState& s) {
  return s.status() == SagaState::COMPLETED || s.status() == SagaState::COMPENSATED
         || s.status() == SagaState::COMPENSATION_FAILED
         || s.status() == SagaState::COMPENSATED_WITH_SKIPS;
}

void violate(order_workload_result& out, std::string what, bool* which) {
  out.invariants_ok = false;
  *which = false;
  if (out.violations.size() < 20)
    out.violations.push_back("store-wide: " + std::move(what));
}

std::string id_of(const std::string& ref) {
  return ref.substr(ref.find('/') + 1);
}

} // namespace

bool wait_sagas_terminal(node_runtime& node, clock_type::time_point deadline, const char* when) {
  auto open = await_entities(
    node, "fulfillment",
    [](const EntityReport& rep) {
      SagaState s;
      return s.ParseFromString(rep.state()) && terminal(s);
    },
    deadline);
  if (open.empty())
    return true;
  std::printf("orders: %s: %zu stored sagas are not terminal%s (e.g. %s)\n", when, open.size(),
              node.context().pipeline().healthy() ? " by the deadline" : " (the store failed)",
              open.front().c_str());
  return false;
}

void check_store(node_runtime& node, const fulfillment_config& cfg, order_workload_result& out) {
  std::map<std::string, int64_t> confirmed_units;
  int64_t payments_net = 0;
  for (auto& ref : node.known_refs("order")) {
    ++out.store_orders_checked;
    order::OrderState o;
    if (std::string why; !read_entity_state(node, ref, o, std::chrono::seconds{5}, &why)) {
      violate(out, "cannot read " + ref + ": " + why, &out.payments_ok);
      continue;
    }
    if (o.status().empty())
      continue;  // never created (a rejected create)
    if (o.status() == "CONFIRMED")
      for (auto& l : o.lines())
        confirmed_units[l.sku()] += l.quantity();
    payment::PaymentState p;
    if (std::string why;
        !read_entity_state(node, payment_ref(id_of(ref)), p, std::chrono::seconds{5}, &why)) {
      violate(out, "cannot read the payment of " + ref + ": " + why, &out.payments_ok);
      continue;
    }
    payments_net += p.charged_cents() - p.refunded_cents();
    if (p.charges() > 1 || p.refunds() > 1)
      violate(out, ref + ": charged " + std::to_string(p.charges()) + " times, refunded "
                     + std::to_string(p.refunds()) + " times", &out.payments_ok);
    if (o.status() == "CONFIRMED" && p.charged_cents() != o.total_cents())
      violate(out, ref + " is CONFIRMED but charged " + std::to_string(p.charged_cents())
                     + " of " + std::to_string(o.total_cents()) + " cents", &out.payments_ok);
    if (o.status() == "CANCELLED" && p.charged_cents() != p.refunded_cents())
      violate(out, ref + " is CANCELLED but keeps "
                     + std::to_string(p.charged_cents() - p.refunded_cents()) + " cents",
              &out.payments_ok);
  }
  int64_t gateway_net = 0;
  for (int64_t g = 0; g < cfg.gateway_shards; ++g) {
    payment::GatewayState s;
    if (read_entity_state(node, "gateway/g-" + std::to_string(g), s))
      gateway_net += s.captured_cents() - s.voided_cents() - s.refunded_cents();
  }
  if (gateway_net != payments_net)
    violate(out, "the gateways' ledgers hold " + std::to_string(gateway_net)
                   + " cents, the stored payments " + std::to_string(payments_net),
            &out.payments_ok);
  for (auto& ref : node.known_refs("inventory")) {
    ++out.store_skus_checked;
    inventory::InventoryState s;
    if (std::string why; !read_entity_state(node, ref, s, std::chrono::seconds{5}, &why)) {
      violate(out, "cannot read " + ref + ": " + why, &out.stock_ok);
      continue;
    }
    auto sku = id_of(ref);
    if (s.available() < 0 || s.reserved() != 0 || s.shipped() < 0
        || s.available() + s.reserved() + s.shipped() != s.received())
      violate(out, ref + " (every saga terminal): " + s.ShortDebugString().substr(0, 160),
              &out.stock_ok);
    if (s.shipped() != confirmed_units[sku])
      violate(out, ref + " shipped " + std::to_string(s.shipped())
                     + " units, the CONFIRMED orders in the store hold "
                     + std::to_string(confirmed_units[sku]),
              &out.stock_ok);
  }
}

} // namespace sagaforge::fulfillment::workload
