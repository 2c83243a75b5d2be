// What a sagaforge-node adds around its runtime for the faces: the catalog entity type and
// read model (which the order entity checks SKUs against), the optional demo data set, and
// the HTTP face. main() calls, in order: catalog_logic / sku_check while it assembles the
// entity types, start once the runtime is up, stop before the runtime shuts down.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "caf/error.hpp"

#include "actors/catalog/catalog_view.hpp"
#include "http/http_face.hpp"
#include "runtime/entity_logic.hpp"
#include "runtime/node_runtime.hpp"

namespace sagaforge::http {

class node_faces {
public:
  ~node_faces();

  /// The catalog entity type, to register with the node's other types.
  entity_logic_ptr catalog_logic() const;

  /// For fulfillment_config::sku_known: the catalog read model's "orderable".
  std::function<bool(const std::string&)> sku_check();

  /// What the node knows of its cluster, for /admin/v1/cluster and the cluster metrics (call
  /// before start; a single node sets none).
  void set_cluster_view(cluster_view_provider p) { cluster_ = std::move(p); }

  /// Attaches the catalog read model, seeds the demo data set when `seed_demo` (once per
  /// store), starts the HTTP face and marks it ready.
  caf::error start(node_runtime& node, const runtime_settings& settings, bool seed_demo);

  /// Stops the HTTP face (requests in flight finish) and detaches the read model.
  void stop();

  int port() const { return face_ ? face_->port() : 0; }

private:
  catalog::catalog_view catalog_;
  bool attached_ = false;
  std::unique_ptr<http_face> face_;
  cluster_view_provider cluster_;
};

}  // namespace sagaforge::http
