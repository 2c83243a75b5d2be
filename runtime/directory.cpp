// Entity directory implementation.
#include "runtime/directory.hpp"

#include <algorithm>

#include "runtime/entity_ref.hpp"

namespace sagaforge {

directory::directory(uint32_t shard_count, spawn_fn spawn, size_t max_idle)
  : shard_count_(shard_count), spawn_(std::move(spawn)), max_idle_(max_idle) {
  serving_ = std::make_unique<std::atomic<uint64_t>[]>(shard_count_);
  for (uint32_t i = 0; i < shard_count_; ++i) {
    stripes_.push_back(std::make_unique<stripe>());
    serving_[i].store(1);  // served, epoch 0
  }
}

void directory::set_serving(uint32_t shard, bool serving, uint64_t epoch) {
  serving_[shard].store(epoch << 1 | (serving ? 1 : 0));
}

bool directory::serving(uint32_t shard) const {
  return (serving_[shard].load() & 1) != 0;
}

void directory::set_activation_log(activation_log_ptr log) {
  log_ = std::move(log);
}

directory::stripe& directory::stripe_of(const std::string& ref) {
  return *stripes_[shard_of(ref, shard_count_)];
}

caf::actor directory::activate_locked(stripe& s, const std::string& ref) {
  auto shard = shard_of(ref, shard_count_);
  auto word = serving_[shard].load();
  if (closed_.load() || (word & 1) == 0)
    return {};
  uint64_t last = 0;
  if (auto i = s.last_log.find(ref); i != s.last_log.end()) {
    last = i->second;
    s.last_log.erase(i);
  }
  caf::actor idle;
  {
    std::lock_guard<std::mutex> guard{idle_mtx_};
    if (!idle_.empty()) {
      idle = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  auto entry = std::make_shared<active_entry>();
  entry->activation = ++activations_;
  entry->epoch = word >> 1;
  if (log_)  // on record before the actor can do anything
    log_->started(ref, shard, entry->epoch, entry->activation);
  entry->handle = spawn_(ref, last, entry, std::move(idle));
  if (!entry->handle) {
    if (log_)
      log_->ended(ref, shard, entry->epoch, entry->activation, activation_end::not_started);
    if (last != 0)
      s.last_log.emplace(ref, last);
    return {};
  }
  s.active.emplace(ref, entry);
  ++active_count_;
  return entry->handle;
}

bool directory::deliver(const std::string& ref, const caf::message& msg, bool activate) {
  auto& s = stripe_of(ref);
  std::lock_guard<std::mutex> guard{s.mtx};
  caf::actor target;
  if (auto i = s.active.find(ref); i != s.active.end()) {
    target = i->second->handle;
  } else if (auto c = s.clients.find(ref); c != s.clients.end()) {
    target = c->second;
  } else if (activate && !is_client_ref(ref)) {
    target = activate_locked(s, ref);
  }
  if (!target)
    return false;
  target->enqueue(nullptr, caf::make_message_id(), msg, nullptr);
  return true;
}

caf::actor directory::lookup(const std::string& ref, bool activate) {
  auto& s = stripe_of(ref);
  std::lock_guard<std::mutex> guard{s.mtx};
  if (auto i = s.active.find(ref); i != s.active.end())
    return i->second->handle;
  if (auto c = s.clients.find(ref); c != s.clients.end())
    return c->second;
  if (activate && !is_client_ref(ref))
    return activate_locked(s, ref);
  return {};
}

bool directory::retire(const std::string& ref, const caf::actor_addr& who,
                       uint64_t last_log_seq, activation_end why) {
  auto& s = stripe_of(ref);
  std::lock_guard<std::mutex> guard{s.mtx};
  auto i = s.active.find(ref);
  if (i == s.active.end() || i->second->handle.address() != who)
    return false;
  if (log_)
    log_->ended(ref, shard_of(ref, shard_count_), i->second->epoch, i->second->activation, why);
  s.active.erase(i);
  --active_count_;
  if (last_log_seq != 0)
    s.last_log[ref] = last_log_seq;
  return true;
}

bool directory::recycle(caf::actor idle) {
  std::lock_guard<std::mutex> guard{idle_mtx_};
  if (closed_.load() || idle_.size() >= max_idle_)
    return false;
  idle_.push_back(std::move(idle));
  return true;
}

size_t directory::idle_count() const {
  std::lock_guard<std::mutex> guard{idle_mtx_};
  return idle_.size();
}

void directory::register_client(const std::string& ref, caf::actor handle) {
  auto& s = stripe_of(ref);
  std::lock_guard<std::mutex> guard{s.mtx};
  s.clients[ref] = std::move(handle);
}

void directory::unregister_client(const std::string& ref) {
  auto& s = stripe_of(ref);
  std::lock_guard<std::mutex> guard{s.mtx};
  s.clients.erase(ref);
}

void directory::seed(const std::string& ref, uint64_t last_log_seq) {
  auto& s = stripe_of(ref);
  std::lock_guard<std::mutex> guard{s.mtx};
  s.last_log[ref] = last_log_seq;
}

std::vector<std::pair<caf::actor, uint64_t>>
directory::passivation_candidates(int64_t now_ms, int64_t idle_timeout_ms,
                                  size_t max_active) const {
  auto active = active_count();
  size_t over = active > max_active ? active - max_active : 0;
  struct candidate {
    int64_t last;
    caf::actor handle;
    uint64_t activation;
  };
  std::vector<candidate> picked;
  for (auto& s : stripes_) {
    std::lock_guard<std::mutex> guard{s->mtx};
    for (auto& [ref, e] : s->active) {
      if (e->pinned.load(std::memory_order_relaxed))
        continue;
      auto last = e->last_active_ms.load(std::memory_order_relaxed);
      if (over > 0 || now_ms - last >= idle_timeout_ms)
        picked.push_back(candidate{last, e->handle, e->activation});
    }
  }
  if (over > 0) {
    // Idle entities are the least recently active, so "the `over` oldest, and every idle
    // one" is a prefix of the unpinned entities ordered by last activity.
    auto idle = static_cast<size_t>(
      std::count_if(picked.begin(), picked.end(),
                    [&](auto& p) { return now_ms - p.last >= idle_timeout_ms; }));
    auto keep = std::min(picked.size(), std::max(over, idle));
    std::nth_element(picked.begin(), picked.begin() + static_cast<std::ptrdiff_t>(keep),
                     picked.end(), [](auto& a, auto& b) { return a.last < b.last; });
    picked.resize(keep);
  }
  std::vector<std::pair<caf::actor, uint64_t>> out;
  out.reserve(picked.size());
  for (auto& p : picked)
    out.emplace_back(std::move(p.handle), p.activation);
  return out;
}

std::vector<caf::actor> directory::active_handles() const {
  std::vector<caf::actor> out;
  for (auto& s : stripes_) {
    std::lock_guard<std::mutex> guard{s->mtx};
    for (auto& [ref, e] : s->active)
      out.push_back(e->handle);
  }
  return out;
}

std::vector<std::string> directory::known_refs(std::string_view type) const {
  std::vector<std::string> out;
  auto matches = [&](const std::string& ref) {
    return ref.size() > type.size() && ref.compare(0, type.size(), type) == 0
           && ref[type.size()] == '/';
  };
  for (auto& s : stripes_) {
    std::lock_guard<std::mutex> guard{s->mtx};
    for (auto& [ref, e] : s->active)
      if (matches(ref))
        out.push_back(ref);
    for (auto& [ref, last] : s->last_log)
      if (matches(ref) && !s->active.count(ref))
        out.push_back(ref);
  }
  std::sort(out.begin(), out.end());
  return out;
}

size_t directory::active_count() const {
  return active_count_.load();
}

size_t directory::known_count() const {
  size_t n = 0;
  for (auto& s : stripes_) {
    std::lock_guard<std::mutex> guard{s->mtx};
    n += s->active.size() + s->last_log.size();
  }
  return n;
}

std::vector<caf::actor> directory::clear() {
  closed_ = true;
  std::vector<caf::actor> out;
  for (auto& s : stripes_) {
    std::lock_guard<std::mutex> guard{s->mtx};
    for (auto& [ref, e] : s->active) {
      out.push_back(e->handle);
      if (log_) {
        std::lock_guard<std::mutex> closing{closing_mtx_};
        closing_.push_back(dropped{ref, e->epoch, e->activation});
      }
    }
    for (auto& [ref, c] : s->clients)
      out.push_back(c);
    s->active.clear();
    s->clients.clear();
  }
  active_count_ = 0;
  std::lock_guard<std::mutex> guard{idle_mtx_};
  for (auto& a : idle_)
    out.push_back(std::move(a));
  idle_.clear();
  return out;
}

void directory::log_shutdown() {
  if (!log_)
    return;
  std::vector<dropped> closing;
  {
    std::lock_guard<std::mutex> guard{closing_mtx_};
    closing.swap(closing_);
  }
  for (auto& d : closing)
    log_->ended(d.ref, shard_of(d.ref, shard_count_), d.epoch, d.activation,
                activation_end::shutdown);
  log_->close();
}

} // namespace sagaforge
