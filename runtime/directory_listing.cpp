// The directory's introspection (directory.hpp, "introspection"): pages of refs, one ref's
// row, per-type counts and the oldest unacked envelope, for the admin API and /metrics.
// Reads under each stripe's lock in turn; never activates an entity.
#include <algorithm>
#include <map>

#include "runtime/directory.hpp"
#include "runtime/entity_ref.hpp"

namespace sagaforge {

namespace {

bool of_type(const std::string& ref, const std::string& type) {
  return type.empty()
         || (ref.size() > type.size() && ref.compare(0, type.size(), type) == 0
             && ref[type.size()] == '/');
}

entity_listing active_row(const std::string& ref, const active_entry& e) {
  entity_listing row;
  row.ref = ref;
  row.active = true;
  row.last_log_seq = e.durable_log_seq.load(std::memory_order_relaxed);
  row.last_active_ms = e.last_active_ms.load(std::memory_order_relaxed);
  row.oldest_unacked_ms = e.oldest_unacked_ms.load(std::memory_order_relaxed);
  return row;
}

}  // namespace

std::vector<entity_listing> directory::list(const std::string& type, const std::string& after,
                                            size_t limit, bool active_only) const {
  // Keep the `limit` smallest refs above `after` while walking the stripes: memory stays
  // O(limit) however many entities the node knows.
  std::map<std::string, entity_listing> page;
  auto offer = [&](entity_listing row) {
    if (row.ref <= after || !of_type(row.ref, type))
      return;
    if (page.size() >= limit && !page.empty() && row.ref >= page.rbegin()->first)
      return;
    page[row.ref] = std::move(row);
    if (page.size() > limit)
      page.erase(std::prev(page.end()));
  };
  for (auto& s : stripes_) {
    std::lock_guard<std::mutex> guard{s->mtx};
    for (auto& [ref, e] : s->active)
      offer(active_row(ref, *e));
    if (active_only)
      continue;
    for (auto& [ref, last] : s->last_log) {
      entity_listing row;
      row.ref = ref;
      row.last_log_seq = last;
      offer(std::move(row));
    }
  }
  std::vector<entity_listing> out;
  out.reserve(page.size());
  for (auto& [ref, row] : page)
    out.push_back(std::move(row));
  return out;
}

std::optional<entity_listing> directory::find(const std::string& ref) const {
  auto& s = *stripes_[shard_of(ref, shard_count_)];
  std::lock_guard<std::mutex> guard{s.mtx};
  if (auto i = s.active.find(ref); i != s.active.end())
    return active_row(ref, *i->second);
  if (auto i = s.last_log.find(ref); i != s.last_log.end()) {
    entity_listing row;
    row.ref = ref;
    row.last_log_seq = i->second;
    return row;
  }
  return std::nullopt;
}

int64_t directory::oldest_unacked_ms() const {
  int64_t oldest = 0;
  for (auto& s : stripes_) {
    std::lock_guard<std::mutex> guard{s->mtx};
    for (auto& [ref, e] : s->active) {
      auto t = e->oldest_unacked_ms.load(std::memory_order_relaxed);
      if (t != 0 && (oldest == 0 || t < oldest))
        oldest = t;
    }
  }
  return oldest;
}

std::vector<std::pair<std::string, std::pair<size_t, size_t>>> directory::count_by_type() const {
  std::map<std::string, std::pair<size_t, size_t>> counts;  // type -> (active, known)
  for (auto& s : stripes_) {
    std::lock_guard<std::mutex> guard{s->mtx};
    for (auto& [ref, e] : s->active) {
      auto& c = counts[std::string{ref_type(ref)}];
      ++c.first;
      ++c.second;
    }
    for (auto& [ref, last] : s->last_log)
      ++counts[std::string{ref_type(ref)}].second;
  }
  return {counts.begin(), counts.end()};
}

}  // namespace sagaforge
