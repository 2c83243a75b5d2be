// Validation of CreateOrder (DESIGN §9): bounded sizes, integer cents, valid ids, SKUs from
// the configured catalog. Says what is wrong and where (line numbers count from 1).
#include "actors/order/order.hpp"

#include <cctype>

#include "order.pb.h"
#include "runtime/entity_ref.hpp"

namespace sagaforge::order {

namespace {

bool valid_token(const std::string& s, size_t max_len) {
  if (s.empty() || s.size() > max_len)
    return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':'))
      return false;
  return true;
}

std::string check_line(const OrderLine& l, int index, const fulfillment::fulfillment_config& cfg) {
  auto where = "line " + std::to_string(index + 1) + ": ";
  if (validate_id(l.sku()))
    return where + "invalid SKU '" + l.sku().substr(0, 80) + "'";
  if (!cfg.in_catalog(l.sku()))
    return where + "unknown SKU '" + l.sku() + "' (not in the catalog)";
  if (l.quantity() < 1 || l.quantity() > cfg.line_quantity_max)
    return where + "quantity " + std::to_string(l.quantity()) + " is outside 1.."
           + std::to_string(cfg.line_quantity_max);
  if (l.unit_price_cents() <= 0)
    return where + "unit price must be a positive number of cents, got "
           + std::to_string(l.unit_price_cents());
  if (l.unit_price_cents() > cfg.unit_price_max_cents)
    return where + "unit price " + std::to_string(l.unit_price_cents()) + " cents exceeds "
           + std::to_string(cfg.unit_price_max_cents);
  return {};
}

} // namespace

std::string validate_create(const CreateOrder& c, const std::string& self_id,
                            const fulfillment::fulfillment_config& cfg) {
  if (c.order_id() != self_id)
    return "order_id '" + c.order_id().substr(0, 80) + "' does not match the entity id '" + self_id
           + "'";
  if (validate_id(c.customer_id()))
    return "invalid customer_id '" + c.customer_id().substr(0, 80) + "'";
  if (c.lines_size() < 1 || c.lines_size() > cfg.order_lines_max)
    return "an order needs 1.." + std::to_string(cfg.order_lines_max) + " lines, got "
           + std::to_string(c.lines_size());
  if (!c.card().empty() && !valid_token(c.card(), static_cast<size_t>(cfg.card_length_max)))
    return "invalid card token (1.." + std::to_string(cfg.card_length_max) + " of [A-Za-z0-9_:-])";
  if (!c.ship_to().empty() && !valid_token(c.ship_to(), 64))
    return "invalid ship_to region (1..64 of [A-Za-z0-9_:-])";
  int64_t quantity = 0;
  int64_t total = 0;
  for (int i = 0; i < c.lines_size(); ++i) {
    if (auto err = check_line(c.lines(i), i, cfg); !err.empty())
      return err;
    quantity += c.lines(i).quantity();
    if (quantity > cfg.order_quantity_max)
      return "total quantity " + std::to_string(quantity) + " (through line "
             + std::to_string(i + 1) + ") exceeds " + std::to_string(cfg.order_quantity_max);
    // quantity <= order_quantity_max and price <= unit_price_max_cents: validate_config
    // guarantees the product fits.
    total += c.lines(i).quantity() * c.lines(i).unit_price_cents();
  }
  if (total <= 0)
    return "order total must be positive";
  return {};
}

} // namespace sagaforge::order
