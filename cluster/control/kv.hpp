// kv: the small slice of a revisioned key-value store (etcd v3's model) that the control plane
// needs: reads by key or prefix with revisions, puts, transactions guarded by compares on a
// key's mod_revision / create_revision / lease, leases, and one watch per prefix. Two
// implementations: etcd_kv (etcd's v3 JSON gateway) and memory_kv (an in-process fake with
// the same semantics, for tests and in-process multi-node runs). Thread-safe; a watch calls
// its handler on its own thread.
//
// Errors (runtime category): not_found = the lease is unknown or expired; timeout = the store
// did not answer (unreachable, restarting, timed out); store_failed = it answered with an
// error or something unreadable; too_large = a transaction above 128 operations.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

namespace sagaforge::cluster {

/// Operations per side of one transaction: etcd's default --max-txn-ops, which memory_kv
/// enforces too so that tests meet the same limit as production.
constexpr size_t kv_txn_ops_max = 128;

/// One key as stored.
struct kv_entry {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t lease = 0;  // 0 = none
};

/// A read: the keys found, as of `revision` (the store's revision when it answered).
struct kv_range {
  int64_t revision = 0;
  std::vector<kv_entry> kvs;
};

/// One guard of a transaction: key's field == value. A create_revision of 0 means "absent".
struct kv_compare {
  enum class field { mod_revision, create_revision, lease };
  std::string key;
  field what = field::mod_revision;
  int64_t value = 0;
};

/// One operation of a transaction branch.
struct kv_op {
  enum class kind { put, del, get };
  kind type = kind::put;
  std::string key;
  std::string value;  // put only
  int64_t lease = 0;  // put only; 0 = none
};

struct kv_txn_result {
  bool succeeded = false;
  int64_t revision = 0;          // the store's revision after the txn
  std::vector<kv_entry> reads;   // what the `get` ops of the branch that ran found
};

struct kv_lease {
  int64_t id = 0;
  int64_t ttl_ms = 0;  // as granted (a store may round it up)
};

struct kv_event {
  bool deleted = false;
  kv_entry kv;  // for a delete: the key and the delete's mod_revision
};

/// What a watch reports. Calls come one at a time, in revision order, on the watch's thread.
struct kv_watch_handler {
  /// Changes under the prefix; `revision` is the newest revision they cover.
  std::function<void(const std::vector<kv_event>& events, int64_t revision)> on_events;
  /// The history the watch needed was compacted away (or the watch restarted past it): here
  /// is the whole prefix as it is now; the watch goes on from its revision + 1.
  std::function<void(const kv_range& snapshot, int64_t compact_revision)> on_resync;
};

/// A running watch; destroying it stops it (and waits for its thread).
class kv_watch {
public:
  virtual ~kv_watch() = default;
};

class kv {
public:
  virtual ~kv() = default;

  /// "etcd at http://127.0.0.1:2379", "memory kv": for messages.
  virtual std::string name() const = 0;

  virtual caf::expected<kv_range> get(const std::string& key) = 0;
  virtual caf::expected<kv_range> range(const std::string& prefix) = 0;
  virtual caf::expected<int64_t> put(const std::string& key, const std::string& value,
                                     int64_t lease = 0) = 0;
  virtual caf::expected<kv_txn_result> txn(const std::vector<kv_compare>& compare,
                                           const std::vector<kv_op>& success,
                                           const std::vector<kv_op>& failure) = 0;

  virtual caf::expected<kv_lease> grant(int64_t ttl_ms) = 0;
  /// Renews; returns the TTL left (ms). not_found when the lease is gone.
  virtual caf::expected<int64_t> keepalive(int64_t lease) = 0;
  virtual caf::error revoke(int64_t lease) = 0;

  /// Watches every key under `prefix` from revision `from` on (events of `from` included).
  virtual std::unique_ptr<kv_watch> watch(const std::string& prefix, int64_t from,
                                          kv_watch_handler handler) = 0;

  /// Drops the history up to `revision` (operators and tests).
  virtual caf::error compact(int64_t revision) = 0;

  /// Fault injection for tests: while held, this client's watches receive nothing (etcd_kv
  /// closes their streams); on release they resume from where they stopped.
  virtual void hold_watches(bool held) = 0;
};

using kv_ptr = std::shared_ptr<kv>;

} // namespace sagaforge::cluster
