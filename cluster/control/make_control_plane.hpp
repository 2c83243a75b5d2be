// Which control plane a node uses: cluster.mode "single" -> static (one node, every shard),
// "etcd" -> the etcd one (kv_control_plane over etcd's JSON gateway).
#pragma once

#include "caf/expected.hpp"

#include "cluster/control/control_plane.hpp"
#include "runtime/runtime_config.hpp"

namespace sagaforge::cluster {

caf::expected<control_plane_ptr> make_control_plane(const runtime_settings& cfg);

} // namespace sagaforge::cluster
