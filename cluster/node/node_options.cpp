// The node's options and their checks.
#include "cluster/node/node_options.hpp"

#include <string>

#include "caf/config_option_adder.hpp"
#include "caf/settings.hpp"

#include "runtime/errors.hpp"
#include "runtime/process_options.hpp"

namespace sagaforge::node {

node_config::node_config() {
  caf::config_option_adder{options(), "node"}
    .add<bool>("demo", "drive the demo workload, print what happened, exit")
    .add<int64_t>("demo-entities", "counters in the demo (1 ... 1000000)")
    .add<int64_t>("demo-commands", "commands the demo sends (0 ... 100000000)")
    .add<int64_t>("demo-redemptions", "loyalty redemptions the demo runs (0: none)")
    .add<int64_t>("demo-orders", "orders the demo runs through the fulfillment saga (0: none)")
    .add<int64_t>("demo-timeout-s", "deadline of each demo phase, seconds (1 ... 86400)")
    .add<bool>("seed-demo", "seed the demo catalog, stock, customers and rewards through "
                            "commands, once per store (docs/http-api.md)");
}

namespace {

caf::error read_size(const node_config& cfg, const char* key, int64_t lo, int64_t hi,
                     int64_t& out) {
  auto name = std::string{"node."} + key;
  if (auto v = caf::get_if<int64_t>(&cfg, name)) {
    if (*v < lo || *v > hi)
      return make_runtime_error(runtime_errc::invalid_config,
                                name + ": " + std::to_string(*v) + " is outside ["
                                  + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    out = *v;
  }
  return {};
}

} // namespace

caf::expected<demo_settings> load_demo_settings(const node_config& cfg) {
  demo_settings d;
  d.enabled = caf::get_or(cfg, "node.demo", false);
  for (auto [key, lo, hi, field] :
       {std::tuple{"demo-entities", int64_t{1}, int64_t{1000000}, &demo_settings::entities},
        std::tuple{"demo-commands", int64_t{0}, int64_t{100000000}, &demo_settings::commands},
        std::tuple{"demo-orders", int64_t{0}, int64_t{10000000}, &demo_settings::orders},
        std::tuple{"demo-redemptions", int64_t{0}, int64_t{10000000},
                   &demo_settings::redemptions},
        std::tuple{"demo-timeout-s", int64_t{1}, int64_t{86400}, &demo_settings::timeout_s}})
    if (auto err = read_size(cfg, key, lo, hi, d.*field))
      return err;
  return d;
}

caf::error validate_node_config(node_config& cfg) {
  if (auto err = validate_process_options(cfg.content, cfg.options()))
    return err;
  if (auto s = load_runtime_settings(cfg); !s)
    return s.error();
  if (auto d = load_demo_settings(cfg); !d)
    return d.error();
  return {};
}

} // namespace sagaforge::node
