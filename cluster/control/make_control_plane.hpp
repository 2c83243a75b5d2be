// Which control plane a node uses: cluster.mode "single" -> static (one node, every shard),
// "etcd" -> the etcd one (kv_control_plane over etcd's JSON gateway, etcd_kv).
#pragma once

#include <string>

#include "caf/expected.hpp"

#include "cluster/control/control_plane.hpp"
#include "runtime/runtime_config.hpp"

namespace sagaforge::cluster {

/// Client certificate, key and CA for an https etcd endpoint (PEM paths; empty for http).
struct etcd_tls_files {
  std::string certificate;
  std::string key;
  std::string ca;
};

caf::expected<control_plane_ptr> make_control_plane(const runtime_settings& cfg,
                                                    const etcd_tls_files& tls = {});

} // namespace sagaforge::cluster
