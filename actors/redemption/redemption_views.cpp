// Loyalty read models: one pass over the redemption journals with the saga's own apply.
#include "actors/redemption/redemption_views.hpp"

#include "actors/redemption/redemption.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::redemption {

caf::expected<loyalty_views> rebuild_loyalty_views(node_runtime& node,
                                                   const std::string& id_prefix) {
  loyalty_views out;
  std::string bad;
  auto err = node.for_each_event("redemption", [&](const std::string& ref, uint64_t seq,
                                                   const std::string& bytes, int64_t) {
    std::string id{ref_id(ref)};
    if (id.compare(0, id_prefix.size(), id_prefix) != 0)
      return true;
    RedemptionEvent ev;
    if (!ev.ParseFromString(bytes)) {
      bad = ref + " event " + std::to_string(seq) + " does not parse";
      return false;
    }
    apply_event(out.redemptions[id], ev);
    if (ev.has_redeemed()) {
      auto& r = ev.redeemed();
      out.wallets[r.customer_id()].push_back(
        wallet_entry{id, r.reward_id(), r.reward_name(), r.points(), ev.at_ms()});
    }
    return true;
  });
  if (err)
    return err;
  if (!bad.empty())
    return make_runtime_error(runtime_errc::corrupt_record, bad);
  for (auto& [id, state] : out.redemptions)
    out.by_status[status_name(state.status())].push_back(id);
  return out;
}

} // namespace sagaforge::redemption
