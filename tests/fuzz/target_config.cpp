// Target config: a node's configuration as sagaforge-node reads it (cluster/node/main.cpp):
// node_config::parse (CAF's INI parser and command line), then validate_node_config
// (validate_process_options, load_runtime_settings, load_demo_settings). The input is the
// config file's text; leading lines that start with "--" are command-line arguments instead.
// main() has no catch around these: nothing may escape. Seeds: config/node.conf and one
// snippet per option of runtime_options() (--write-corpus).
#include <fstream>
#include <sstream>

#include "cluster/node/node_options.hpp"
#include "tests/fuzz/fuzz_target.hpp"

namespace sagaforge::fuzz {

namespace {

std::vector<std::string> seeds() {
  std::vector<std::string> out;
  std::ifstream in{SAGAFORGE_SOURCE_DIR "/config/node.conf", std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  out.push_back(ss.str());
  for (auto& o : runtime_options()) {
    std::string v = o.int_field ? std::to_string(o.max) : "\"x\"";
    out.push_back("[sagaforge." + std::string{o.section} + "]\n" + o.name + "=" + v + "\n");
  }
  out.push_back("--sagaforge.cluster.mode=etcd\n--sagaforge.cluster.role=client\n"
                "[sagaforge.retry]\nmax-age-ms=1000\n");
  out.push_back("[scheduler]\npolicy='stealing'\nmax-threads=256\n[node]\ndemo=true\n"
                "demo-entities=1000000\n");
  out.push_back("[middleman]\nenable-automatic-connections=false\n[logger]\n"
                "file-verbosity='quiet'\n");
  out.push_back("[sagaforge.cluster]\nroster=\"n1,n2\"\nnode-id=\"n-1\"\n"
                "[sagaforge.http]\ntls-cert=\"a\"\ntls-key=\"b\"\n");
  return out;
}

std::vector<std::string> dictionary() {
  std::vector<std::string> d = {"[", "]", "=", "\"", "'", "{", "}", ",", "\n", ";", ".", "--",
                                "0", "-1", "1e3", "9223372036854775807", "99999999999999999999",
                                "true", "false", "10s", "1ms", "[1, 2]", "{a=1}", "[sagaforge]",
                                "[scheduler]", "max-threads=", "policy=", "[node]", "demo=",
                                "config-file=", "[logger]", "[middleman]"};
  for (auto& o : runtime_options()) {
    d.push_back(std::string{"[sagaforge."} + o.section + "]\n");
    d.push_back(std::string{o.name} + "=");
  }
  return d;
}

} // namespace

target config_target() {
  target t;
  t.name = "config";
  t.seeds = seeds;
  t.dictionary = dictionary();
  t.max_len = 4096;
  t.run = [](std::string_view data, uint64_t&, uint64_t&) {
    std::vector<std::string> args;
    size_t pos = 0;
    while (data.compare(pos, 2, "--") == 0) {
      auto nl = data.find('\n', pos);
      auto arg = std::string{data.substr(pos, nl == std::string_view::npos ? nl : nl - pos)};
      // --help and --dump-config print and stop: the node exits 0 on them; skipped here.
      if (arg.find("help") == std::string::npos && arg.find("dump") == std::string::npos)
        args.push_back(std::move(arg));
      if (nl == std::string_view::npos) {
        pos = data.size();
        break;
      }
      pos = nl + 1;
    }
    std::istringstream ini{std::string{data.substr(pos)}};
    node::node_config cfg;
    if (auto err = cfg.parse(args, ini))
      return;  // the node refuses to start (exit 2)
    (void) node::validate_node_config(cfg);
  };
  return t;
}

} // namespace sagaforge::fuzz
