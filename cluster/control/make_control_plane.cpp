// Control plane selection (see make_control_plane.hpp).
#include "cluster/control/make_control_plane.hpp"

#include "cluster/control/etcd_kv.hpp"
#include "cluster/control/kv_control_plane.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::cluster {

caf::expected<control_plane_ptr> make_control_plane(const runtime_settings& cfg,
                                                    const etcd_tls_files& tls) {
  if (cfg.cluster_mode == "single")
    return make_static_control_plane(cfg.cluster_node_id, static_cast<uint32_t>(cfg.shard_count));
  if (cfg.cluster_mode != "etcd")
    return make_runtime_error(runtime_errc::invalid_config,
                              "cluster.mode \"" + cfg.cluster_mode + "\": single or etcd");
  etcd_kv_options eo;
  eo.endpoint = cfg.cluster_etcd_endpoints;
  eo.tls_certificate = tls.certificate;
  eo.tls_key = tls.key;
  eo.tls_ca = tls.ca;
  // A renewal must fail well within the lease's window for the next one to be in time.
  eo.request_timeout_ms = std::min<int64_t>(eo.request_timeout_ms, cfg.cluster_lease_ttl_ms / 3);
  auto store = make_etcd_kv(eo);
  if (!store)
    return store.error();
  kv_control_plane_options co;
  co.cluster_name = cfg.cluster_name;
  co.lease_ttl_ms = cfg.cluster_lease_ttl_ms;
  return control_plane_ptr{make_kv_control_plane(*store, co)};
}

} // namespace sagaforge::cluster
