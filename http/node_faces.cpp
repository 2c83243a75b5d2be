// The node's faces assembled (see node_faces.hpp).
#include "http/node_faces.hpp"

#include "actors/catalog/catalog.hpp"
#include "actors/catalog/demo_seed.hpp"

namespace sagaforge::http {

node_faces::~node_faces() {
  stop();
}

entity_logic_ptr node_faces::catalog_logic() const {
  return catalog::make_catalog_logic();
}

std::function<bool(const std::string&)> node_faces::sku_check() {
  return [this](const std::string& sku) { return catalog_.orderable(sku); };
}

caf::error node_faces::start(node_runtime& node, const runtime_settings& settings, bool seed_demo) {
  if (auto err = catalog_.attach(node))
    return err;
  attached_ = true;
  if (seed_demo) {
    bool seeded = false;
    if (auto err = catalog::seed_demo_data(node, seeded))
      return err;
  }
  auto face = http_face::start(node, settings, &catalog_, cluster_);
  if (!face)
    return face.error();
  face_ = std::move(*face);
  face_->set_ready(true);
  return {};
}

void node_faces::stop() {
  if (face_)
    face_->stop();
  face_.reset();
  if (attached_)
    catalog_.detach();
  attached_ = false;
}

}  // namespace sagaforge::http
