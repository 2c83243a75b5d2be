// Control plane selection (see make_control_plane.hpp).
#include "cluster/control/make_control_plane.hpp"

#include "runtime/errors.hpp"

namespace sagaforge::cluster {

caf::expected<control_plane_ptr> make_control_plane(const runtime_settings& cfg) {
  if (cfg.cluster_mode == "single")
    return make_static_control_plane(cfg.cluster_node_id, static_cast<uint32_t>(cfg.shard_count));
  return make_runtime_error(runtime_errc::invalid_config,
                            "cluster.mode \"etcd\": the etcd control plane is not built in "
                            "this binary yet");
}

} // namespace sagaforge::cluster
