// Start-up fold of the live views (see live_views.hpp): each watched entity type's journal
// replayed through the type's own apply into one state per entity, then fed to the same
// handlers the committed states go to.
#include <unordered_map>

#include "http/live_views.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::http {

caf::error live_views::fold_journals(node_runtime& node) {
  for (const char* type : {"order", "fulfillment", "redemption", "gateway"}) {
    auto* logic = node.context().logic_for(type);
    if (!logic)
      continue;  // a node without that domain
    std::unordered_map<std::string, std::unique_ptr<pb_message>> states;
    auto event = logic->new_event();
    std::string bad;
    auto err = node.for_each_event(
      type, [&](const std::string& ref, uint64_t seq, const std::string& bytes, int64_t) {
        if (!event->ParseFromString(bytes)) {
          bad = ref + " event " + std::to_string(seq) + " does not parse";
          return false;
        }
        auto& st = states[ref];
        if (!st)
          st = logic->new_state();
        logic->apply(*st, *event);
        return true;
      });
    if (err)
      return err;
    if (!bad.empty())
      return make_runtime_error(runtime_errc::corrupt_record, bad);
    for (auto& [ref, st] : states) {
      std::string id{ref_id(ref)};
      if (std::string_view{type} == "order")
        on_order_state(*st);
      else if (std::string_view{type} == "fulfillment")
        on_fulfillment_state(id, *st);
      else if (std::string_view{type} == "redemption")
        on_redemption_state(id, *st);
      else
        on_gateway_state(id, *st);
    }
  }
  return {};
}

std::vector<order_row> live_views::orders_of(const std::string& customer, const std::string& after,
                                             size_t limit) const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<order_row> out;
  auto i = orders_by_customer_.find(customer);
  if (i == orders_by_customer_.end())
    return out;
  auto& set = i->second;
  auto it = set.begin();
  if (auto a = orders_.find(after); !after.empty() && a != orders_.end())
    it = set.upper_bound({a->second.created_ms, after});
  for (; it != set.end() && out.size() < limit; ++it)
    out.push_back(orders_.at(it->second));
  return out;
}

std::vector<saga_row> live_views::sagas(const std::string& type, const std::string& status,
                                        int64_t started_before_ms, const std::string& after,
                                        size_t limit) const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<saga_row> out;
  auto from = type.empty() || after.rfind(type + "/", 0) == 0 ? after : type + "/";
  for (auto i = sagas_.upper_bound(from); i != sagas_.end() && out.size() < limit; ++i) {
    auto& r = i->second;
    if (!type.empty() && r.type != type)
      break;  // sorted by "type/id": past this type
    if ((!status.empty() && r.status != status)
        || (started_before_ms > 0 && r.started_ms >= started_before_ms))
      continue;
    out.push_back(r);
  }
  return out;
}

std::vector<redemption::wallet_entry> live_views::wallet(const std::string& customer) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = wallets_.find(customer);
  return i == wallets_.end() ? std::vector<redemption::wallet_entry>{} : i->second;
}

saga_stats live_views::stats() const {
  std::lock_guard<std::mutex> guard{mtx_};
  saga_stats out;
  for (auto& [key, r] : sagas_)
    ++out.by_status[{r.type, r.status}];
  out.finished = finished_;
  for (auto& [type, h] : durations_)
    out.duration_seconds[type] = h->read();
  for (auto& [id, state] : breakers_)
    ++out.breakers[state];
  return out;
}

}  // namespace sagaforge::http
