// Catalog read model (see catalog_view.hpp).
#include "actors/catalog/catalog_view.hpp"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <mutex>

namespace sagaforge::catalog {

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

catalog_view::~catalog_view() {
  assert(ctx_ == nullptr);  // an attached view would be called after its destruction
}

void catalog_view::upsert(const Product& p) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  auto& e = by_sku_[p.sku()];
  if (e.product.version() > p.version())
    return;
  e.product = p;
  e.haystack = lower(p.sku() + "\n" + p.name() + "\n" + p.description());
}

caf::error catalog_view::attach(node_runtime& node) {
  assert(ctx_ == nullptr);
  ctx_ = &node.context();
  observer_ = ctx_->observe("catalog", [this](const std::string&, const pb_message& state) {
    upsert(static_cast<const CatalogState&>(state).product());
  });
  return node.for_each_event(
    "catalog", [this](const std::string&, uint64_t, const std::string& bytes, int64_t) {
      CatalogEvent ev;
      if (ev.ParseFromString(bytes) && ev.has_upserted())
        upsert(ev.upserted().product());
      return true;
    });
}

void catalog_view::detach() {
  if (ctx_)
    ctx_->unobserve(observer_);
  ctx_ = nullptr;
}

bool catalog_view::orderable(const std::string& sku) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto i = by_sku_.find(sku);
  return i != by_sku_.end() && i->second.product.active();
}

std::optional<Product> catalog_view::get(const std::string& sku) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto i = by_sku_.find(sku);
  if (i == by_sku_.end())
    return std::nullopt;
  return i->second.product;
}

std::vector<Product> catalog_view::search(const query& q) const {
  auto needle = lower(q.text);
  std::vector<Product> out;
  std::shared_lock<std::shared_mutex> guard{mtx_};
  for (auto i = by_sku_.upper_bound(q.after); i != by_sku_.end() && out.size() < q.limit; ++i) {
    auto& p = i->second.product;
    if ((!p.active() && !q.include_inactive) || (!q.category.empty() && p.category() != q.category)
        || (!needle.empty() && i->second.haystack.find(needle) == std::string::npos))
      continue;
    out.push_back(p);
  }
  return out;
}

size_t catalog_view::size() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return by_sku_.size();
}

}  // namespace sagaforge::catalog
