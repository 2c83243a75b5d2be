// Tokens, rate limiting and the audit log (see access.hpp).
#include "http/access.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "http/json_io.hpp"

namespace sagaforge::http {

namespace {

/// Constant-time comparison: the time taken does not tell how much of a token matched.
bool same_token(const std::string& given, const std::string& expected) {
  if (expected.empty())
    return false;
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i)
    diff |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

std::string bearer(const httplib::Request& req) {
  auto h = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  return h.rfind(prefix, 0) == 0 ? h.substr(prefix.size()) : std::string{};
}

}  // namespace

const char* to_string(role r) {
  switch (r) {
    case role::read:
      return "read";
    case role::admin:
      return "admin";
    default:
      return "anonymous";
  }
}

token_auth::token_auth(std::string admin_token, std::string read_token)
  : admin_(std::move(admin_token)), read_(std::move(read_token)) {}

role token_auth::of(const httplib::Request& req) const {
  auto given = bearer(req);
  if (given.empty())
    return role::none;
  if (same_token(given, admin_))
    return role::admin;
  if (same_token(given, read_))
    return role::read;
  return role::none;
}

bool token_auth::allow(role got, role need, const httplib::Request& req, httplib::Response& res) {
  if (static_cast<int>(got) >= static_cast<int>(need))
    return true;
  if (got == role::none) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"sagaforge\"");
    send_error(res, 401, "unauthenticated",
               req.has_header("Authorization")
                 ? "the bearer token is not valid"
                 : "this endpoint needs Authorization: Bearer <token>");
  } else {
    send_error(res, 403, "forbidden",
               std::string{"the "} + to_string(got) + " role may not do this; it needs the "
                 + to_string(need) + " role");
  }
  return false;
}

rate_limiter::rate_limiter(int64_t rate_per_s, int64_t burst) : rate_(rate_per_s), burst_(burst) {}

bool rate_limiter::admit(const std::string& key, int64_t now_ms, int64_t& retry_after_s) {
  if (rate_ <= 0)
    return true;
  std::lock_guard<std::mutex> guard{mtx_};
  if (now_ms - last_sweep_ms_ > 10000) {
    // A bucket idle for burst/rate seconds is full again: forgetting it changes nothing.
    auto full_after_ms = burst_ * 1000 / rate_ + 1000;
    for (auto i = buckets_.begin(); i != buckets_.end();)
      i = now_ms - i->second.at_ms > full_after_ms ? buckets_.erase(i) : std::next(i);
    last_sweep_ms_ = now_ms;
  }
  auto [it, fresh] = buckets_.try_emplace(key, bucket{static_cast<double>(burst_), now_ms});
  auto& b = it->second;
  if (!fresh) {
    b.tokens = std::min<double>(static_cast<double>(burst_),
                                b.tokens + static_cast<double>(now_ms - b.at_ms) * rate_ / 1000.0);
    b.at_ms = now_ms;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  retry_after_s = static_cast<int64_t>((1.0 - b.tokens) / static_cast<double>(rate_)) + 1;
  return false;
}

size_t rate_limiter::clients() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return buckets_.size();
}

audit_log::audit_log(const std::string& path) {
  if (path.empty())
    return;
  file_ = std::fopen(path.c_str(), "a");
  if (!file_)
    spdlog::warn("http: cannot open the audit log {}; admin calls go to the node log only", path);
}

audit_log::~audit_log() {
  if (file_)
    std::fclose(file_);
}

void audit_log::record(const httplib::Request& req, role who, int status, bool dry_run) {
  using namespace std::chrono;
  auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  json line = {{"at_ms", now},         {"remote", req.remote_addr}, {"role", to_string(who)},
               {"method", req.method}, {"path", req.path},          {"status", status}};
  if (dry_run)
    line["dry_run"] = true;
  auto text = line.dump(-1, ' ', false, json::error_handler_t::replace);
  spdlog::info("audit: {}", text);
  std::lock_guard<std::mutex> guard{mtx_};
  if (file_) {
    std::fprintf(file_, "%s\n", text.c_str());
    std::fflush(file_);
  }
}

}  // namespace sagaforge::http
