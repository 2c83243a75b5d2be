// The order-fulfillment domain's configuration: every limit and simulation rule, each a
// named value with its unit last, and the function that returns the domain's entity types
// (order, inventory, payment, gateway, shipment, notification, fulfillment saga) built from
// it. docs/fulfillment.md explains the rules these values drive.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/entity_logic.hpp"

namespace sagaforge::fulfillment {

struct fulfillment_config {
  // -- orders (validation at creation) --
  int64_t order_lines_max = 50;
  int64_t line_quantity_max = 100;
  int64_t order_quantity_max = 100;  // summed over the lines
  int64_t unit_price_max_cents = 100'000'000;
  int64_t card_length_max = 32;
  std::vector<std::string> catalog;    // SKUs that may be ordered (sorted by prepare())
  /// A live catalog (the catalog read model): SKUs it calls orderable may be ordered too.
  /// Must be thread-safe; decide calls it. Empty: the static list alone.
  std::function<bool(const std::string&)> sku_known;
  std::string points_type = "points";  // loyalty's entity type; "" = do not publish
  // -- saga --
  int64_t step_timeout_ms = 5000;
  int64_t step_max_attempts = 4;
  int64_t retry_initial_backoff_ms = 200;
  int64_t retry_max_backoff_ms = 5000;
  // An undo's first send waits compensation_timeout_ms for its answer; each resend waits twice
  // as long, up to compensation_timeout_max_ms. 0 attempts: resent until it is answered (a
  // participant down for an hour must not leave its reservations held forever); only an
  // answer "cannot" parks the saga. N > 0: parks after N unanswered sends.
  int64_t compensation_timeout_ms = 5000;
  int64_t compensation_timeout_max_ms = 60000;
  int64_t compensation_max_attempts = 0;
  // -- inventory --
  int64_t inventory_history_max = 2000;  // finished reservations kept for idempotency
  // -- payment gateway (simulated) --
  int64_t gateway_shards = 4;
  int64_t gateway_latency_ms = 0;
  int64_t gateway_latency_jitter_ms = 0;
  int64_t gateway_timeout_ms = 2000;               // a call that does not answer fails after this
  int64_t gateway_error_permille = 0;              // share of calls answering a gateway error
  int64_t gateway_timeout_permille = 0;            // share of calls that never answer
  int64_t gateway_amount_limit_cents = 1'000'000;  // larger charges are declined
  // How long the gateway remembers a settle (refund or void) by authorisation, to take a
  // resent copy once: longer than a payment can take to learn the first copy's fate
  // (retry.max-age-ms, 1 h by default, plus any outage).
  int64_t gateway_settle_window_ms = 24 * 3600 * 1000;
  std::string declined_card = "declined";
  int64_t breaker_failures_max = 5;  // consecutive failures that open the circuit
  int64_t breaker_open_ms = 60000;
  int64_t breaker_half_open_probes = 3;  // trial calls; all must succeed to close
  // -- shipment (simulated carrier) --
  int64_t shipment_failure_permille = 0;  // transient carrier failures
  std::vector<std::string> unshippable_regions = {"nowhere"};
  // -- notification --
  int64_t notification_history_max = 1000;
  // -- persistence --
  uint32_t snapshot_every = 100;

  /// Sorts the catalog (lookups are binary searches).
  void prepare();
  bool in_catalog(const std::string& sku) const;
};

using config_ptr = std::shared_ptr<const fulfillment_config>;

/// "" when valid, otherwise what is wrong (the value's name and the bad value).
std::string validate_config(const fulfillment_config& cfg);

/// "SKU-0000" ... "SKU-<count-1>" (4 digits at least).
std::vector<std::string> make_catalog(int64_t count, const std::string& prefix = "SKU-");

/// Every entity type of the domain, built from `cfg` (prepared and shared by all of them).
/// Check `cfg` with validate_config first: the logic assumes its ranges.
std::vector<entity_logic_ptr> make_fulfillment_logics(fulfillment_config cfg);

// -- refs --

std::string order_ref(const std::string& order_id);
std::string saga_ref(const std::string& order_id);
std::string inventory_ref(const std::string& sku);
std::string payment_ref(const std::string& order_id);
std::string gateway_ref(const fulfillment_config& cfg, const std::string& order_id);
std::string shipment_ref(const std::string& order_id);
std::string notification_ref(const std::string& customer_id);

/// Uniform value in [0, 1000) derived from (key, attempt): the simulations' "randomness".
int64_t permille_of(const std::string& key, uint32_t attempt);

} // namespace sagaforge::fulfillment
