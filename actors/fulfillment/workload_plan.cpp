// The order workload's plan (which orders, over which SKUs, expecting what), the restock of
// its demand, and the baselines read before the run.
#include <algorithm>
#include <random>
#include <thread>

#include "caf/all.hpp"

#include "actors/fulfillment/workload_internal.hpp"
#include "payment.pb.h"
#include "runtime/client_actor.hpp"

namespace sagaforge::fulfillment::workload {

catalog_split split_catalog(int64_t skus) {
  auto all = make_catalog(std::max<int64_t>(skus, 2));
  auto empty = std::max<int64_t>(1, static_cast<int64_t>(all.size()) / 100);
  catalog_split out;
  out.stocked.assign(all.begin(), all.end() - empty);
  out.empty.assign(all.end() - empty, all.end());
  return out;
}

std::vector<planned_order> make_plan(const order_workload_options& opts, const catalog_split& cat,
                                     const std::string& run_id, const fulfillment_config& cfg) {
  std::mt19937_64 rng{opts.seed};
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  auto lines = std::clamp<int64_t>(opts.lines_per_order, 1, 30);
  std::vector<planned_order> plan(static_cast<size_t>(std::max<int64_t>(opts.orders, 0)));
  for (size_t i = 0; i < plan.size(); ++i) {
    auto& p = plan[i];
    auto roll = static_cast<int64_t>(rng() % 100);
    p.kind = roll < opts.out_of_stock_percent                           ? expect::out_of_stock
             : roll < opts.out_of_stock_percent + opts.declined_percent ? expect::declined
                                                                        : expect::success;
    auto& c = p.create;
    c.set_order_id(run_id + "-" + std::to_string(i));
    c.set_customer_id(
      "CUST-"
      + std::to_string(rng() % static_cast<uint64_t>(std::max<int64_t>(opts.customers, 1))));
    c.set_card(p.kind == expect::declined ? cfg.declined_card : "tok_visa");
    auto empty_line = static_cast<int64_t>(rng() % static_cast<uint64_t>(lines));
    for (int64_t l = 0; l < lines; ++l) {
      auto* line = c.add_lines();
      bool oos = p.kind == expect::out_of_stock && l == empty_line;
      line->set_sku(oos ? pick(cat.empty) : pick(cat.stocked));
      line->set_quantity(static_cast<int64_t>(rng() % 3) + 1);
      line->set_unit_price_cents(static_cast<int64_t>(rng() % 9901) + 99);
    }
  }
  return plan;
}

bool restock(node_runtime& node, const std::vector<planned_order>& plan, const catalog_split& cat,
             clock_type::time_point deadline) {
  // Every line of a stocked SKU counts, those of out-of-stock orders too: they hold their
  // reservations until the empty line fails, and must not starve an order planned to succeed.
  std::map<std::string, int64_t> demand;
  for (auto& p : plan)
    for (auto& l : p.create.lines())
      if (!std::binary_search(cat.empty.begin(), cat.empty.end(), l.sku()))
        demand[l.sku()] += l.quantity();
  caf::scoped_actor self{node.context().system()};
  for (auto& [sku, n] : demand) {
    inventory::Restock r;
    r.set_quantity(n);
    self->send(node.client(), send_atom::value, inventory_ref(sku),
               type_name_of<inventory::Restock>(), r.SerializeAsString(), std::string{"restock"});
  }
  bool ok = true;
  for (size_t answered = 0; answered < demand.size();) {
    if (!node.context().pipeline().healthy() || clock_type::now() > deadline)
      return false;
    self->receive(
      [&](const std::string& bytes) {
        Ack a;
        ok = ok && a.ParseFromString(bytes) && !a.failed() && a.reply_error().empty();
        ++answered;
      },
      [&](caf::error&) {
        ok = false;
        ++answered;
      },
      caf::after(std::chrono::milliseconds{500}) >> [] {});
  }
  return ok;
}

baseline read_baseline(node_runtime& node, const catalog_split& cat,
                       const fulfillment_config& cfg) {
  baseline out;
  for (auto* v : {&cat.stocked, &cat.empty})
    for (auto& sku : *v) {
      inventory::InventoryState s;
      if (auto rep = node.inspect(inventory_ref(sku)))
        s.ParseFromString(rep->state());
      s.clear_reservations();  // only the numbers matter here
      out.stock[sku] = s;
    }
  for (int64_t g = 0; g < cfg.gateway_shards; ++g) {
    payment::GatewayState s;
    if (auto rep = node.inspect("gateway/g-" + std::to_string(g)))
      s.ParseFromString(rep->state());
    out.gateway_net_cents += s.captured_cents() - s.voided_cents() - s.refunded_cents();
  }
  return out;
}

bool settle(node_runtime& node, int64_t timeout_ms) {
  // The runtime's outbox_entries counter is not maintained (see the report), so quiescence
  // is detected as: no step and no commit for 200 ms.
  auto until = clock_type::now() + std::chrono::milliseconds{timeout_ms};
  auto& c = node.context().counters();
  auto last = c.steps.load() + node.context().pipeline().stats().commits;
  auto quiet_since = clock_type::now();
  while (clock_type::now() - quiet_since < std::chrono::milliseconds{200}) {
    if (clock_type::now() > until || !node.context().pipeline().healthy())
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
    auto now = c.steps.load() + node.context().pipeline().stats().commits;
    if (now != last) {
      last = now;
      quiet_since = clock_type::now();
    }
  }
  return true;
}

} // namespace sagaforge::fulfillment::workload
