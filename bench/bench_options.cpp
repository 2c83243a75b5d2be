// bench_options implementation: scheduler, scratch folder, settings and store.
#include "bench/bench_options.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "caf/actor_registry.hpp"
#include "caf/actor_system.hpp"
#include "caf/atom.hpp"

#include "bench/report.hpp"
#include "runtime/errors.hpp"
#include "runtime/lmdb_store.hpp"
#include "runtime/memory_store.hpp"

namespace sagaforge::bench {

scheduler_choice scheduler_of(const bench_options& o) {
  if (o.scheduler == "stealing")
    return {"stealing", o.threads ? o.threads : 4};
  if (o.scheduler == "single")
    return {"stealing", 1};
  return {"sharing", o.threads ? o.threads : 2};
}

std::unique_ptr<caf::actor_system_config> make_caf_config(const bench_options& o) {
  auto cfg = std::make_unique<caf::actor_system_config>();
  auto s = scheduler_of(o);
  cfg->set("scheduler.policy", s.policy == "sharing" ? caf::atom("sharing") : caf::atom("stealing"));
  cfg->set("scheduler.max-threads", s.threads);
  cfg->set("logger.console", caf::atom("none"));
  cfg->set("logger.file-verbosity", caf::atom("quiet"));
  return cfg;
}

runtime_settings make_settings(const bench_options& o, const std::string& dir) {
  runtime_settings s;
  s.data_dir = dir;
  s.durability_name = o.durability;
  s.shard_count = o.shards;
  s.commit_max_batch_steps = o.max_batch_steps;
  s.commit_max_delay_us = o.max_delay_us;
  s.commit_max_queue_steps = o.max_queue_steps;
  s.log_level = "warn";
  if (o.retry_backoff_ms > 0) {
    s.retry_initial_backoff_ms = o.retry_backoff_ms;
    s.retry_max_backoff_ms = std::max(s.retry_max_backoff_ms, o.retry_backoff_ms);
  }
  return s;
}

caf::expected<store_ptr> open_store(const std::string& dir, durability mode, int64_t map_mb) {
  if (mode == durability::memory)
    return store_ptr{std::make_shared<memory_store>()};
  std::filesystem::create_directories(dir);
  auto st = lmdb_store::open(dir, mode, static_cast<size_t>(map_mb));
  if (!st)
    return st.error();
  return store_ptr{*st};
}

namespace {

/// The folder of this executable: inside the build tree, so on the repository's disk.
std::string exe_dir() {
  char buf[PATH_MAX];
  auto n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return std::filesystem::temp_directory_path().string();
  buf[n] = '\0';
  return std::filesystem::path{buf}.parent_path().string();
}

} // namespace

scratch_dir::scratch_dir(const bench_options& o) : keep_(o.keep_data) {
  if (!o.data_dir.empty()) {
    path_ = o.data_dir;
    std::filesystem::create_directories(path_);
    return;
  }
  auto tmpl = exe_dir() + "/bench-data-XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    progress("cannot create a scratch folder under %s", exe_dir().c_str());
    std::exit(1);
  }
  path_ = tmpl;
  created_ = true;
  progress("scratch folder %s (%s)", path_.c_str(), keep_ ? "kept" : "removed at exit");
}

std::string scratch_dir::sub(const std::string& name) {
  subs_.push_back(path_ + "/" + name);
  return subs_.back();
}

scratch_dir::~scratch_dir() {
  if (keep_)
    return;
  if (created_)
    remove_tree(path_);
  else
    for (auto& s : subs_)
      remove_tree(s);
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

void stop_node(caf::actor_system& sys, std::unique_ptr<node_runtime>& node) {
  if (!node)
    return;
  node->shutdown();
  auto until = now_s() + 30;
  while (sys.registry().running() > 0 && now_s() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  if (auto n = sys.registry().running())
    progress("%zu actors still running 30 s after shutdown; freeing the node anyway", n);
  node.reset();
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

} // namespace sagaforge::bench
