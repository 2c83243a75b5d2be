// kv_layout: where the control plane keeps the cluster in a kv store, and how each value
// reads (docs/cluster.md, "Control plane"). Everything lives
// under /sagaforge/<cluster>/:
//   meta             {shard_count, created_ms}                  written once, at bootstrap
//   roster/<node>    {status, store_id}                         no lease
//   members/<node>   {addr, port, http_port, incarnation, state, seen_rev, version}  leased
//   shards/<NNNN>    {owner, epoch, move?}                      every write a CAS on mod_revision
// Values are JSON. Pure functions: no I/O, no threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "cluster/control/control_plane.hpp"
#include "cluster/control/kv.hpp"

namespace sagaforge::cluster::layout {

std::string root(const std::string& cluster);
std::string meta_key(const std::string& root);
std::string roster_key(const std::string& root, const std::string& node);
std::string member_key(const std::string& root, const std::string& node);
std::string shard_key(const std::string& root, uint32_t shard);

std::string encode_meta(uint32_t shard_count, int64_t created_ms);
std::string encode_roster(const roster_entry& r);
std::string encode_member(const member_info& m, int64_t seen_rev);
std::string encode_shard(const shard_entry& s);

/// The row with its mod_revision, as carried by a rejected CAS (rejected_row()).
std::string encode_shard_row(const shard_entry& s);
std::optional<shard_entry> decode_shard_row(const std::string& text);

std::optional<roster_entry> decode_roster(const std::string& node, const std::string& value);
std::optional<shard_entry> decode_shard(const kv_entry& e);

/// A map being kept up to date from a snapshot and then from watch events. It remembers
/// the revision of every key so that a late or repeated event never undoes a newer one.
class map_builder {
public:
  explicit map_builder(std::string root) : root_(std::move(root)) {
  }

  /// Replaces everything with what `snapshot` holds.
  void reset(const kv_range& snapshot);

  /// Applies one change; true when the map changed.
  bool apply(const kv_event& ev);

  void set_revision(int64_t rev) {
    if (rev > map_.revision)
      map_.revision = rev;
  }

  const cluster_map& map() const {
    return map_;
  }

private:
  bool apply_put(const std::string& rel, const kv_entry& e);
  bool apply_delete(const std::string& rel);

  std::string root_;
  cluster_map map_;
  std::map<std::string, int64_t> key_revs_;  // last revision applied per key
};

} // namespace sagaforge::cluster::layout
