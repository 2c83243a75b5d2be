// The demo data set (see demo_seed.hpp).
#include "actors/catalog/demo_seed.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

#include <spdlog/spdlog.h>

#include "actors/catalog/catalog.hpp"
#include "catalog.pb.h"
#include "inventory.pb.h"
#include "points.pb.h"
#include "reward.pb.h"
#include "runtime/errors.hpp"

namespace sagaforge::catalog {

namespace {

struct demo_reward {
  const char* id;
  const char* name;
  int64_t points_cost;
  int64_t stock;
};

const demo_reward rewards[] = {
  {"RWD-MUG", "Sagaforge mug", 500, 100},
  {"RWD-TOTE", "Canvas tote bag", 800, 50},
  {"RWD-BEANS", "250 g beans of the month", 1200, 200},
  {"RWD-CLASS", "Barista class", 4000, 10},
  {"RWD-GOLD", "Gold membership", 20000, 5},
};

std::string customer_id(int64_t i) {
  char buf[32];  // "CUST-" and any int64: GCC checks the worst case at -O1
  std::snprintf(buf, sizeof buf, "CUST-%04lld", static_cast<long long>(i));
  return buf;
}

template <class State>
caf::expected<State> state_of(node_runtime& node, const std::string& ref) {
  // In a cluster the seeding member starts right after joining: the node that serves `ref`
  // may not be linked yet (inspect answers "unreachable now" at once, unlike a send, which
  // is held). Ask again for a while before giving up on the start.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  auto rep = node.inspect(ref);
  while (!rep && rep.error() == runtime_errc::overloaded
         && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
    rep = node.inspect(ref);
  }
  if (!rep)
    return rep.error();
  State s;
  if (!s.ParseFromString(rep->state()))
    return make_runtime_error(runtime_errc::corrupt_record, ref + ": state does not parse");
  return s;
}

caf::error seed_products(node_runtime& node) {
  for (auto& p : demo_products()) {
    UpsertProduct u;
    u.set_name(p.name);
    u.set_description(std::string{p.name} + ", from the demo catalog");
    u.set_category(p.category);
    u.set_price_cents(p.price_cents);
    u.set_active(true);
    if (auto r = node.ask(catalog_ref(p.sku), u); !r)
      return r.error();
    auto stock = state_of<inventory::InventoryState>(node, std::string{"inventory/"} + p.sku);
    if (!stock)
      return stock.error();
    if (stock->received() > 0)
      continue;  // a cut-short earlier seeding restocked it already
    inventory::Restock r;
    r.set_quantity(demo_stock_per_sku);
    if (auto a = node.ask(std::string{"inventory/"} + p.sku, r); !a)
      return a.error();
  }
  return {};
}

caf::error seed_loyalty(node_runtime& node) {
  for (int64_t i = 1; i <= demo_customers; ++i) {
    points::EarnPoints e;
    e.set_transaction_id("demo-seed");
    e.set_points(demo_points_per_customer);
    e.set_reason("demo seed");
    if (auto a = node.ask("points/" + customer_id(i), e); !a)
      return a.error();
  }
  for (auto& r : rewards) {
    auto s = state_of<reward::RewardState>(node, std::string{"reward/"} + r.id);
    if (!s)
      return s.error();
    if (s->defined())
      continue;
    reward::DefineReward d;
    d.set_name(r.name);
    d.set_points_cost(r.points_cost);
    d.set_active(true);
    d.set_stock(r.stock);
    if (auto a = node.ask(std::string{"reward/"} + r.id, d); !a)
      return a.error();
  }
  return {};
}

}  // namespace

const std::vector<demo_product>& demo_products() {
  static const std::vector<demo_product> all = {
    {"SF-0001", "Espresso beans 1 kg", "coffee", 2490},
    {"SF-0002", "Filter coffee 500 g", "coffee", 1190},
    {"SF-0003", "Decaf beans 500 g", "coffee", 1290},
    {"SF-0004", "Cold brew concentrate", "coffee", 890},
    {"SF-0005", "Sencha green tea", "tea", 790},
    {"SF-0006", "Earl Grey 100 bags", "tea", 650},
    {"SF-0007", "Rooibos vanilla", "tea", 590},
    {"SF-0008", "Matcha 30 g", "tea", 1890},
    {"SF-0009", "Burr grinder", "kitchen", 8900},
    {"SF-0010", "Pour-over dripper", "kitchen", 2490},
    {"SF-0011", "Gooseneck kettle", "kitchen", 5900},
    {"SF-0012", "Milk frother", "kitchen", 3490},
    {"SF-0013", "Ceramic mug", "kitchen", 1290},
    {"SF-0014", "Glass teapot", "kitchen", 2990},
    {"SF-0015", "The coffee atlas", "books", 3200},
    {"SF-0016", "Tea: a history", "books", 2400},
    {"SF-0017", "Home barista guide", "books", 1990},
    {"SF-0018", "Paper filters 100", "kitchen", 450},
    {"SF-0019", "Espresso cups, set of 4", "kitchen", 2200},
    {"SF-0020", "Chai spice blend", "tea", 690},
  };
  return all;
}

caf::error seed_demo_data(node_runtime& node, bool& seeded) {
  seeded = false;
  auto& st = *node.backing_store();
  auto marker = st.get(table::meta, demo_seed_marker);
  if (!marker)
    return marker.error();
  if (*marker)
    return {};
  if (auto err = seed_products(node))
    return err;
  if (auto err = seed_loyalty(node))
    return err;
  if (auto err = st.write({mutation{table::meta, demo_seed_marker, "1", false}}))
    return err;
  seeded = true;
  spdlog::info("demo data seeded: {} products ({} units each), {} customers, {} rewards",
               demo_products().size(), demo_stock_per_sku, demo_customers, std::size(rewards));
  return {};
}

}  // namespace sagaforge::catalog
