// fulfillment_config: validation, the catalog, refs, and the domain's entity types.
#include "actors/fulfillment/fulfillment_config.hpp"

#include <algorithm>
#include <cstdio>

#include "actors/fulfillment/saga.hpp"
#include "actors/inventory/inventory.hpp"
#include "actors/notification/notification.hpp"
#include "actors/order/order.hpp"
#include "actors/payment/gateway.hpp"
#include "actors/payment/payment.hpp"
#include "actors/shipment/shipment.hpp"
#include "runtime/entity_ref.hpp"

namespace sagaforge::fulfillment {

void fulfillment_config::prepare() {
  std::sort(catalog.begin(), catalog.end());
  catalog.erase(std::unique(catalog.begin(), catalog.end()), catalog.end());
}

bool fulfillment_config::in_catalog(const std::string& sku) const {
  return std::binary_search(catalog.begin(), catalog.end(), sku) || (sku_known && sku_known(sku));
}

namespace {

std::string check_range(const char* name, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max)
    return {};
  return std::string{name} + " = " + std::to_string(value) + " is outside [" + std::to_string(min)
         + ", " + std::to_string(max) + "]";
}

} // namespace

std::string validate_config(const fulfillment_config& c) {
  constexpr int64_t day_ms = 86'400'000;
  struct row {
    const char* name;
    int64_t value, min, max;
  };
  const row rows[] = {
    {"order_lines_max", c.order_lines_max, 1, 1000},
    {"line_quantity_max", c.line_quantity_max, 1, 1'000'000},
    {"order_quantity_max", c.order_quantity_max, 1, 1'000'000},
    {"unit_price_max_cents", c.unit_price_max_cents, 1, 1'000'000'000'000},
    {"card_length_max", c.card_length_max, 1, 64},
    {"step_timeout_ms", c.step_timeout_ms, 1, day_ms},
    {"step_max_attempts", c.step_max_attempts, 1, 100},
    {"retry_initial_backoff_ms", c.retry_initial_backoff_ms, 1, day_ms},
    {"retry_max_backoff_ms", c.retry_max_backoff_ms, c.retry_initial_backoff_ms, day_ms},
    {"compensation_timeout_ms", c.compensation_timeout_ms, 1, day_ms},
    {"compensation_timeout_max_ms", c.compensation_timeout_max_ms, c.compensation_timeout_ms, day_ms},
    {"compensation_max_attempts", c.compensation_max_attempts, 0, 1000},
    {"inventory_history_max", c.inventory_history_max, 1, 1'000'000},
    {"gateway_shards", c.gateway_shards, 1, 4096},
    {"gateway_latency_ms", c.gateway_latency_ms, 0, day_ms},
    {"gateway_latency_jitter_ms", c.gateway_latency_jitter_ms, 0, day_ms},
    {"gateway_timeout_ms", c.gateway_timeout_ms, 1, day_ms},
    {"gateway_error_permille", c.gateway_error_permille, 0, 1000},
    {"gateway_timeout_permille", c.gateway_timeout_permille, 0, 1000 - c.gateway_error_permille},
    {"gateway_amount_limit_cents", c.gateway_amount_limit_cents, 1, INT64_MAX},
    {"gateway_settle_window_ms", c.gateway_settle_window_ms, 60000, 30 * day_ms},
    {"breaker_failures_max", c.breaker_failures_max, 1, 1000},
    {"breaker_open_ms", c.breaker_open_ms, 1, day_ms},
    {"breaker_half_open_probes", c.breaker_half_open_probes, 1, 1000},
    {"shipment_failure_permille", c.shipment_failure_permille, 0, 1000},
    {"notification_history_max", c.notification_history_max, 1, 1'000'000},
  };
  for (auto& r : rows)
    if (auto err = check_range(r.name, r.value, r.min, r.max); !err.empty())
      return err;
  // The largest order total must fit: quantity_max x price_max cents.
  if (c.order_quantity_max > INT64_MAX / c.unit_price_max_cents)
    return "order_quantity_max x unit_price_max_cents overflows 64-bit cents";
  for (auto& sku : c.catalog)
    if (validate_id(sku))
      return "catalog holds an invalid SKU '" + sku + "'";
  return {};
}

std::vector<std::string> make_catalog(int64_t count, const std::string& prefix) {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(std::max<int64_t>(count, 0)));
  char buf[32];
  for (int64_t i = 0; i < count; ++i) {
    std::snprintf(buf, sizeof(buf), "%04lld", static_cast<long long>(i));
    out.push_back(prefix + buf);
  }
  return out;
}

std::vector<entity_logic_ptr> make_fulfillment_logics(fulfillment_config cfg) {
  cfg.prepare();
  auto c = std::make_shared<const fulfillment_config>(std::move(cfg));
  return {order::make_order_logic(c),
          inventory::make_inventory_logic(c),
          payment::make_payment_logic(c),
          payment::make_gateway_logic(c),
          shipment::make_shipment_logic(c),
          notification::make_notification_logic(c),
          make_saga_logic(c)};
}

std::string order_ref(const std::string& order_id) {
  return "order/" + order_id;
}

std::string saga_ref(const std::string& order_id) {
  return "fulfillment/" + order_id;
}

std::string inventory_ref(const std::string& sku) {
  return "inventory/" + sku;
}

std::string payment_ref(const std::string& order_id) {
  return "payment/" + order_id;
}

std::string gateway_ref(const fulfillment_config& cfg, const std::string& order_id) {
  auto n = stable_hash(order_id) % static_cast<uint64_t>(std::max<int64_t>(cfg.gateway_shards, 1));
  return "gateway/g-" + std::to_string(n);
}

std::string shipment_ref(const std::string& order_id) {
  return "shipment/" + order_id;
}

std::string notification_ref(const std::string& customer_id) {
  return "notification/" + customer_id;
}

int64_t permille_of(const std::string& key, uint32_t attempt) {
  auto h = stable_hash(key + "#" + std::to_string(attempt));
  h ^= h >> 29;  // FNV's low bits are weak on short, similar keys
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return static_cast<int64_t>(h % 1000);
}

} // namespace sagaforge::fulfillment
