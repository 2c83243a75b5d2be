// The catalog entry of one product ("catalog/<sku>", seed 004's CQRS write side): upsert
// (validated: name, category, price in integer cents) and get. Messages in
// schemas/catalog.proto; decide and apply are pure. Its committed states feed the read
// model in catalog_view.hpp.
#pragma once

#include <string>

#include "runtime/entity_logic.hpp"

namespace sagaforge::catalog {

class UpsertProduct;

entity_logic_ptr make_catalog_logic();

/// "" when `u` is a valid product; otherwise what is wrong, naming the field.
std::string validate_product(const UpsertProduct& u);

inline std::string catalog_ref(const std::string& sku) {
  return "catalog/" + sku;
}

}  // namespace sagaforge::catalog
