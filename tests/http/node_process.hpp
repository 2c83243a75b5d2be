// A real sagaforge-node for the HTTP suites: started on loopback with port 0 in a fresh temp
// folder (the shipped config/node.conf plus overrides), its port read from the log line
// "http: listening on ADDR:PORT", an httplib client to it, and a stop by its own pid
// (SIGTERM, expecting exit 0 within a bound) or a kill -9. The folder is removed at the end
// unless SAGAFORGE_KEEP_DATA is set.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <atomic>
#include <memory>
#include <mutex>
#include <sstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/process/child_process.hpp"

#ifndef SAGAFORGE_NODE
#error "SAGAFORGE_NODE must name the sagaforge-node executable"
#endif

namespace sagaforge::testing {

using json = nlohmann::json;

constexpr const char* admin_token = "test-admin-token";
constexpr const char* read_token = "test-read-token";

inline std::filesystem::path fresh_dir(const std::string& name) {
  auto base = std::filesystem::temp_directory_path()
              / ("sagaforge-" + name + "-" + std::to_string(::getpid()) + "-"
                 + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(base);
  return base;
}

class node_process {
public:
  node_process(std::filesystem::path dir, std::vector<std::string> extra = {})
    : dir_(std::move(dir)) {
    std::vector<std::string> args{SAGAFORGE_NODE,
                                  "--config-file=" SAGAFORGE_SOURCE_DIR "/config/node.conf",
                                  "--sagaforge.store.data-dir=" + dir_.string(),
                                  "--sagaforge.http.port=0",
                                  std::string{"--sagaforge.http.admin-token=\""} + admin_token
                                    + "\"",
                                  std::string{"--sagaforge.http.read-token=\""} + read_token + "\"",
                                  "--sagaforge.retry.initial-backoff-ms=200"};
    bool durability_given = false;
    for (auto& e : extra) {
      args.push_back(e);
      durability_given |= e.rfind("--sagaforge.store.durability", 0) == 0;
    }
    if (!durability_given)  // the suites test the face; sigkill asks for fsync itself
      args.push_back("--sagaforge.store.durability=\"nosync\"");
    child_ = std::make_unique<child_process>(args);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
    static const std::regex listening{R"(http: listening on ([0-9.]+):(\d+))"};
    while (port_ == 0 && std::chrono::steady_clock::now() < deadline && !child_->eof()) {
      std::vector<std::string> lines;
      child_->read_lines(std::chrono::milliseconds{100}, lines);
      for (auto& l : lines) {
        log_.push_back(l);
        std::smatch m;
        if (std::regex_search(l, m, listening))
          port_ = std::stoi(m[2]);
      }
    }
    if (port_ == 0)
      throw std::runtime_error("the node did not log its HTTP port; log: " + log_text());
    // From now on a thread keeps reading its log, so the node never blocks on a full pipe.
    reader_ = std::thread{[this] {
      while (!child_->eof()) {
        std::vector<std::string> lines;
        child_->read_lines(std::chrono::milliseconds{100}, lines);
        std::lock_guard<std::mutex> guard{mtx_};
        log_.insert(log_.end(), lines.begin(), lines.end());
      }
      ended_ = true;
    }};
  }

  ~node_process() {
    if (child_)
      child_->kill9();
    if (reader_.joinable())
      reader_.join();
  }

  int port() const { return port_; }
  pid_t pid() const { return child_->pid(); }
  const std::filesystem::path& dir() const { return dir_; }

  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_read_timeout(std::chrono::seconds{30});
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    return c;
  }

  /// SIGTERM and wait (bounded); returns the wait status, or -1 when it did not exit in time.
  int terminate(std::chrono::seconds bound = std::chrono::seconds{20}) {
    ::kill(child_->pid(), SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (!ended_ && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    if (!ended_)
      return -1;
    reader_.join();
    return child_->wait();
  }

  void kill9() {
    child_->kill9();
    child_->wait();
    reader_.join();
  }

  std::string log_text() const {
    std::lock_guard<std::mutex> guard{mtx_};
    std::string out;
    for (auto& l : log_)
      out += l + "\n";
    return out;
  }

private:
  std::filesystem::path dir_;
  std::unique_ptr<child_process> child_;
  std::vector<std::string> log_;
  int port_ = 0;
  mutable std::mutex mtx_;
  std::thread reader_;
  std::atomic<bool> ended_{false};
};

/// Removes a test's folder when the test is done (kept with SAGAFORGE_KEEP_DATA=1).
struct scratch_dir {
  std::filesystem::path path;
  explicit scratch_dir(const std::string& name) : path(fresh_dir(name)) {}
  ~scratch_dir() {
    if (!std::getenv("SAGAFORGE_KEEP_DATA")) {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  }
};

/// The suites' fixture: a node in a fresh folder and a keep-alive client to it.
struct node_fixture {
  scratch_dir dir;
  node_process node;
  std::unique_ptr<httplib::Client> cli;
  explicit node_fixture(const std::string& name, std::vector<std::string> extra = {})
    : dir(name), node(dir.path, std::move(extra)), cli(node.client()) {}
};

inline httplib::Headers bearer(const char* token) {
  return {{"Authorization", std::string{"Bearer "} + token}};
}

/// A copy: CAF_CHECK_EQUAL binds its arguments with auto&&, so a member of a temporary JSON
/// document (get_json(...)["x"]) would dangle; val(get_json(...)["x"]) does not.
inline json val(const json& j) {
  return j;
}

inline json body_of(const httplib::Result& r) {
  if (!r)
    return json();
  return json::parse(r->body, nullptr, false);
}

/// A metric's value summed over its label sets ("" when none: 0).
inline double metric_sum(const std::string& exposition, const std::string& name) {
  double sum = 0;
  std::istringstream in{exposition};
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0)
      continue;
    auto rest = line.substr(name.size());
    if (!rest.empty() && rest[0] != ' ' && rest[0] != '{')
      continue;  // another metric with this one's name as its prefix
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

}  // namespace sagaforge::testing
