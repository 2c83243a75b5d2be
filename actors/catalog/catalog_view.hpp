// The catalog read model (seed 004's CQRS read side): every product by SKU, fed by the
// catalog entities' committed states (runtime_context::observe) after a fold of their
// journals at start-up, so search never scans journals per request. Serves GET /v1/catalog
// and the order entity's SKU check (fulfillment_config::sku_known).
// Thread-safe: written on entity actors, read on HTTP workers and entity actors.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "caf/error.hpp"

#include "catalog.pb.h"
#include "runtime/node_runtime.hpp"

namespace sagaforge::catalog {

class catalog_view {
public:
  struct query {
    std::string text;      // case-insensitive substring of SKU, name or description
    std::string category;  // exact; "" = any
    std::string after;     // SKU cursor: results start after it
    size_t limit = 20;
    bool include_inactive = false;
  };

  catalog_view() = default;
  ~catalog_view();
  catalog_view(const catalog_view&) = delete;
  catalog_view& operator=(const catalog_view&) = delete;

  /// Folds one product; a lower version than the one held is ignored (start-up folds and
  /// live commits may interleave).
  void upsert(const Product& p);

  /// Subscribes to committed catalog states, then folds the catalog journals. Call once,
  /// after the node started and before requests arrive; detach before the node stops.
  caf::error attach(node_runtime& node);
  void detach();

  /// Known and active: an order may use it.
  bool orderable(const std::string& sku) const;
  std::optional<Product> get(const std::string& sku) const;
  /// Sorted by SKU.
  std::vector<Product> search(const query& q) const;
  size_t size() const;

private:
  struct entry {
    Product product;
    std::string haystack;  // lower-cased SKU, name and description
  };
  mutable std::shared_mutex mtx_;
  std::map<std::string, entry> by_sku_;
  runtime_context* ctx_ = nullptr;
  uint64_t observer_ = 0;
};

}  // namespace sagaforge::catalog
