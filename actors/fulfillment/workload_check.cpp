// The order workload's summary (counts by outcome, latency quantiles), its invariant checks
// (stock conserved, no oversell, no leaked reservation, charged at most once, refunded iff
// cancelled, gateway ledger = payments) and its report.
#include <algorithm>
#include <cstdio>

#include "actors/fulfillment/workload_internal.hpp"
#include "payment.pb.h"

namespace sagaforge::fulfillment::workload {

namespace {

bool contains(const std::string& s, const char* what) {
  return s.find(what) != std::string::npos;
}

double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty())
    return 0;
  auto rank = static_cast<size_t>(q * static_cast<double>(sorted.size()));
  return sorted[std::min(rank, sorted.size() - 1)];
}

void violate(order_workload_result& out, std::string what, bool* which = nullptr) {
  out.invariants_ok = false;
  if (which)
    *which = false;
  if (out.violations.size() < 20)
    out.violations.push_back(std::move(what));
}

void check_stock(node_runtime& node, const std::vector<planned_order>& plan,
                 const catalog_split& cat, const baseline& before, order_workload_result& out) {
  std::map<std::string, int64_t> shipped;
  for (auto& p : plan)
    if (p.status == "CONFIRMED")
      for (auto& l : p.create.lines())
        shipped[l.sku()] += l.quantity();
  for (auto* v : {&cat.stocked, &cat.empty})
    for (auto& sku : *v) {
      inventory::InventoryState s;
      auto rep = node.inspect(inventory_ref(sku));
      if (!rep || !s.ParseFromString(rep->state())) {
        violate(out, "cannot read inventory/" + sku, &out.stock_ok);
        continue;
      }
      auto& b = before.stock.at(sku);
      if (s.available() < 0 || s.reserved() < 0 || s.shipped() < 0
          || s.available() + s.reserved() + s.shipped() != s.received())
        violate(out, sku + ": stock not conserved: " + s.ShortDebugString().substr(0, 200),
                &out.stock_ok);
      if (s.shipped() - b.shipped() != shipped[sku])
        violate(out,
                sku + ": shipped " + std::to_string(s.shipped() - b.shipped())
                  + " units in this run, confirmed orders hold " + std::to_string(shipped[sku]),
                &out.stock_ok);
      if (s.reserved() != b.reserved())
        violate(out,
                sku + ": " + std::to_string(s.reserved() - b.reserved())
                  + " units left reserved after every order finished",
                &out.stock_ok);
    }
}

int64_t check_payments(node_runtime& node, const std::vector<planned_order>& plan,
                       order_workload_result& out) {
  int64_t net = 0;
  for (auto& p : plan) {
    if (p.status != "CONFIRMED" && p.status != "CANCELLED")
      continue;
    auto& id = p.create.order_id();
    payment::PaymentState s;
    auto rep = node.inspect(payment_ref(id));
    if (!rep || !s.ParseFromString(rep->state())) {
      violate(out, "cannot read payment/" + id, &out.payments_ok);
      continue;
    }
    net += s.charged_cents() - s.refunded_cents();
    if (s.charges() > 1 || s.refunds() > 1)
      violate(out,
              id + ": charged " + std::to_string(s.charges()) + " times, refunded "
                + std::to_string(s.refunds()) + " times",
              &out.payments_ok);
    int64_t total = 0;
    for (auto& l : p.create.lines())
      total += l.quantity() * l.unit_price_cents();
    if (p.status == "CONFIRMED"
        && (s.status() != payment::PaymentState::CHARGED || s.charged_cents() != total))
      violate(out, id + " is CONFIRMED but its payment is " + s.ShortDebugString().substr(0, 200),
              &out.payments_ok);
    if (p.status == "CANCELLED" && s.charged_cents() != s.refunded_cents())
      violate(out,
              id + " is CANCELLED but keeps "
                + std::to_string(s.charged_cents() - s.refunded_cents()) + " cents charged",
              &out.payments_ok);
  }
  return net;
}

} // namespace

void summarize(const std::vector<planned_order>& plan, order_workload_result& out) {
  std::vector<double> lat;
  out.orders = static_cast<int64_t>(plan.size());
  for (auto& p : plan) {
    bool oos = contains(p.reason, "out of stock");
    bool declined = contains(p.reason, "declined");
    if (!p.finished)
      ++out.unfinished;
    else if (p.status == "REJECTED")
      ++out.rejected;
    else if (p.status == "ERROR")
      ++out.request_errors;
    else if (p.status == "CONFIRMED")
      ++out.confirmed;
    else
      ++(oos        ? out.cancelled_out_of_stock
         : declined ? out.cancelled_declined
                    : out.cancelled_other);
    if (p.status == "CONFIRMED" || p.status == "CANCELLED")
      lat.push_back(p.latency_ms);
    bool as_planned = (p.kind == expect::success && p.status == "CONFIRMED")
                      || (p.kind == expect::out_of_stock && oos)
                      || (p.kind == expect::declined && declined);
    if (p.finished && !as_planned && ++out.unexpected <= 10) {
      const char* planned = p.kind == expect::success        ? "success"
                            : p.kind == expect::out_of_stock ? "out of stock"
                                                             : "declined";
      out.surprises.push_back(p.create.order_id() + " (planned " + planned + "): " + p.status + " "
                              + p.reason);
    }
  }
  std::sort(lat.begin(), lat.end());
  out.p50_ms = quantile(lat, 0.50);
  out.p99_ms = quantile(lat, 0.99);
  out.p999_ms = quantile(lat, 0.999);
}

void check_invariants(node_runtime& node, const fulfillment_config& cfg,
                      const std::vector<planned_order>& plan, const catalog_split& cat,
                      const baseline& before, order_workload_result& out) {
  out.invariants_checked = true;
  if (out.unfinished > 0)
    violate(out, std::to_string(out.unfinished) + " orders have no outcome");
  check_stock(node, plan, cat, before, out);
  auto net = check_payments(node, plan, out);
  auto after = read_baseline(node, catalog_split{}, cfg);
  if (after.gateway_net_cents - before.gateway_net_cents != net)
    violate(out,
            "the gateway's ledger moved "
              + std::to_string(after.gateway_net_cents - before.gateway_net_cents)
              + " cents, the payments hold " + std::to_string(net),
            &out.payments_ok);
}

} // namespace sagaforge::fulfillment::workload

namespace sagaforge::fulfillment {

void order_workload::print(const order_workload_result& r) {
  std::printf("orders: %lld finished in %.2f s: %lld confirmed, %lld cancelled out of stock, "
              "%lld cancelled declined, %lld cancelled otherwise, %lld rejected, %lld errors, "
              "%lld unfinished (%lld not as planned)\n",
              static_cast<long long>(r.orders - r.unfinished), r.seconds,
              static_cast<long long>(r.confirmed), static_cast<long long>(r.cancelled_out_of_stock),
              static_cast<long long>(r.cancelled_declined),
              static_cast<long long>(r.cancelled_other), static_cast<long long>(r.rejected),
              static_cast<long long>(r.request_errors), static_cast<long long>(r.unfinished),
              static_cast<long long>(r.unexpected));
  std::printf("orders: %.0f sagas/s, latency p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, "
              "%.1f durable steps per saga, %llu group commits\n",
              r.sagas_per_s, r.p50_ms, r.p99_ms, r.p999_ms, r.steps_per_saga,
              static_cast<unsigned long long>(r.commits));
  for (auto& s : r.surprises)
    std::printf("  not as planned: %s\n", s.c_str());
  if (!r.invariants_checked) {
    for (auto& v : r.violations)
      std::printf("  %s\n", v.c_str());
    std::printf("invariants: not checked\n");
    return;
  }
  for (auto& v : r.violations)
    std::printf("  violation: %s\n", v.c_str());
  std::printf("store-wide: %lld orders and %lld SKUs the store holds re-verified\n",
              static_cast<long long>(r.store_orders_checked),
              static_cast<long long>(r.store_skus_checked));
  std::printf("invariant: stock conserved per SKU (available + reserved + shipped = received), "
              "never oversold, no reservation leaked -> %s\n",
              r.stock_ok ? "OK" : "VIOLATED");
  std::printf("invariant: every order charged at most once, refunded iff cancelled, gateway "
              "ledger = payments -> %s\n",
              r.payments_ok ? "OK" : "VIOLATED");
}

} // namespace sagaforge::fulfillment
