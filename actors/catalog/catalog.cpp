// Catalog entity: Commands (catalog.proto), Replies, Events, State, then the handlers.
#include "actors/catalog/catalog.hpp"

#include "catalog.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/invariant.hpp"

namespace sagaforge::catalog {

namespace {

using ctx_t = decide_context<CatalogEvent>;

bool valid_category(const std::string& c) {
  if (c.empty() || c.size() > 40)
    return false;
  for (char ch : c)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
      return false;
  return true;
}

bool same_content(const Product& p, const UpsertProduct& u) {
  return p.name() == u.name() && p.description() == u.description() && p.category() == u.category()
         && p.price_cents() == u.price_cents() && p.active() == u.active();
}

void decide(const CatalogState& s, const inbound& in, ctx_t& ctx) {
  if (UpsertProduct u; in.parse(u)) {
    if (auto err = validate_product(u); !err.empty())
      return ctx.reject("invalid product: " + err);
    if (s.has_product() && same_content(s.product(), u))
      return ctx.reply(s.product());  // a re-sent upsert: nothing changes
    CatalogEvent ev;
    auto* p = ev.mutable_upserted()->mutable_product();
    p->set_sku(std::string{ref_id(ctx.self())});
    p->set_name(u.name());
    p->set_description(u.description());
    p->set_category(u.category());
    p->set_price_cents(u.price_cents());
    p->set_active(u.active());
    p->set_version(s.product().version() + 1);
    p->set_updated_ms(ctx.now_ms());
    ctx.reply(*p);
    ctx.persist(std::move(ev));
  } else if (in.is<GetProduct>()) {
    if (!s.has_product())
      return ctx.reject("no product " + std::string{ref_id(ctx.self())});
    ctx.reply(s.product());
  } else {
    ctx.reject("catalog does not understand " + in.type());
  }
}

void apply(CatalogState& s, const CatalogEvent& ev) {
  SAGAFORGE_ASSERT(ev.has_upserted(), "CatalogEvent of no kind (corrupt, or from a newer build)");
  *s.mutable_product() = ev.upserted().product();
}

}  // namespace

std::string validate_product(const UpsertProduct& u) {
  if (u.name().empty() || u.name().size() > 120)
    return "name must have 1..120 bytes";
  if (u.description().size() > 2000)
    return "description must have at most 2000 bytes";
  if (!valid_category(u.category()))
    return "category must be 1..40 of [a-z0-9-], got '" + u.category().substr(0, 60) + "'";
  if (u.price_cents() <= 0 || u.price_cents() > 100'000'000)
    return "price_cents must be in 1..100000000, got " + std::to_string(u.price_cents());
  return {};
}

entity_logic_ptr make_catalog_logic() {
  return std::make_shared<entity_definition<CatalogState, CatalogEvent>>("catalog", decide, apply,
                                                                         50);
}

}  // namespace sagaforge::catalog
