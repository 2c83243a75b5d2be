// Who may call what, and the record of it: bearer tokens with two roles (read, admin; an
// empty token disables its role; anonymous calls to the admin API are refused), the
// per-client token bucket of the business API (seed 004; 429 with Retry-After), and the
// audit log of every admin API call (one JSON line each: time, remote address, role,
// method, path, status). Thread-safe; used by every HTTP worker.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <unordered_map>

#include <httplib.h>

namespace sagaforge::http {

enum class role : uint8_t { none, read, admin };

const char* to_string(role r);

class token_auth {
public:
  token_auth(std::string admin_token, std::string read_token);
  /// The role the request's `Authorization: Bearer ...` grants (none when absent or wrong).
  role of(const httplib::Request& req) const;
  /// Whether `got` grants at least `need`; writes the 401/403 answer when not.
  static bool allow(role got, role need, const httplib::Request& req, httplib::Response& res);

private:
  std::string admin_;
  std::string read_;
};

/// A token bucket per client key (the bearer token, else the remote address): `rate_per_s`
/// tokens a second up to `burst`. Keys idle long enough to be full again are forgotten, so
/// the table stays bounded by the clients of the last few seconds.
class rate_limiter {
public:
  rate_limiter(int64_t rate_per_s, int64_t burst);
  /// True when the request may go; otherwise `retry_after_s` says when to try again.
  bool admit(const std::string& key, int64_t now_ms, int64_t& retry_after_s);
  size_t clients() const;

private:
  struct bucket {
    double tokens;
    int64_t at_ms;
  };
  int64_t rate_;
  int64_t burst_;
  mutable std::mutex mtx_;
  std::unordered_map<std::string, bucket> buckets_;
  int64_t last_sweep_ms_ = 0;
};

/// The response header an admin handler sets when it only previewed (a dry run).
inline constexpr const char* dry_run_header = "X-Sagaforge-Dry-Run";

/// Appends one JSON line per admin call to a file (and the node's log at info).
class audit_log {
public:
  /// `path` "" logs through spdlog only.
  explicit audit_log(const std::string& path);
  ~audit_log();
  /// `dry_run`: the handler only previewed (it answered with dry_run_header), so that a
  /// preview is never read as the action in the audit trail.
  void record(const httplib::Request& req, role who, int status, bool dry_run = false);

private:
  std::mutex mtx_;
  std::FILE* file_ = nullptr;
};

}  // namespace sagaforge::http
