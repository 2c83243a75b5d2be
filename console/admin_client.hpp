// The console's connection to one node: GET/POST/DELETE of JSON on its admin API with the
// bearer token, and the failures a person must be told apart: the node cannot be reached,
// the token is refused, the node refused the request (its error body's code and message).
// One per console session; not thread-safe (the console is single-threaded).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace httplib {
class Client;
}

namespace sagaforge::console {

using json = nlohmann::json;

/// Exit codes of sagaforge-console (docs/console.md).
enum exit_code : int {
  exit_ok = 0,
  exit_failed = 1,       // the node refused or failed the request (4xx/5xx), or a 'no' answer
  exit_usage = 2,        // bad command, flag or argument
  exit_unreachable = 3,  // no connection to the node
  exit_auth = 4,         // token missing or refused (401), or its role may not (403)
};

struct reply {
  int code = exit_ok;  // exit code class of this answer
  int status = 0;      // HTTP status (0: no answer)
  json body;           // parsed body (null when not JSON)
  std::string text;    // raw body (for /metrics)
  std::string error;   // what to tell the person when code != exit_ok
  std::string error_code;  // the node's error code ("" when none)
  bool ok() const { return code == exit_ok; }
};

class admin_client {
public:
  /// `url` is http://host:port (https too); false with `why` when it is not one.
  static std::unique_ptr<admin_client> make(const std::string& url, const std::string& token,
                                            std::string& why);
  ~admin_client();

  reply get(const std::string& path, int read_timeout_s = 30);
  reply post(const std::string& path, const json& body);
  reply del(const std::string& path);
  const std::string& url() const { return url_; }
  /// A client of another node of the same cluster (`url`), with this one's token.
  std::unique_ptr<admin_client> sibling(const std::string& url, std::string& why) const {
    return make(url, token_, why);
  }

private:
  admin_client(std::string url, std::string token);
  reply finish(const std::string& what, void* result);

  std::string url_;
  std::string token_;
  std::unique_ptr<httplib::Client> http_;
};

/// Percent-encodes a path segment or query value.
std::string url_encode(const std::string& s);

}  // namespace sagaforge::console
