// HTTP calls and their failure classes (see admin_client.hpp).
#include "console/admin_client.hpp"

#include <regex>

#include <httplib.h>

namespace sagaforge::console {

std::unique_ptr<admin_client> admin_client::make(const std::string& url, const std::string& token,
                                                 std::string& why) {
  static const std::regex shape{R"(^https?://[A-Za-z0-9.\-\[\]:]+(:[0-9]{1,5})?/?$)"};
  if (url.size() > 300 || !std::regex_match(url, shape)) {
    why = "'" + url.substr(0, 100) + "' is not a node URL like http://127.0.0.1:9470";
    return nullptr;
  }
  auto base = url.back() == '/' ? url.substr(0, url.size() - 1) : url;
  return std::unique_ptr<admin_client>(new admin_client(base, token));
}

admin_client::admin_client(std::string url, std::string token)
  : url_(std::move(url)), token_(std::move(token)), http_(new httplib::Client(url_)) {
  http_->set_connection_timeout(std::chrono::seconds{3});
  http_->set_read_timeout(std::chrono::seconds{30});
  http_->set_keep_alive(true);
  if (!token_.empty())
    http_->set_bearer_token_auth(token_.c_str());
}

admin_client::~admin_client() = default;

reply admin_client::finish(const std::string& what, void* result) {
  auto& res = *static_cast<httplib::Result*>(result);
  reply r;
  if (!res) {
    r.code = exit_unreachable;
    r.error = "cannot reach the node at " + url_ + " (" + httplib::to_string(res.error())
              + "); is it running? (--url or SAGAFORGE_URL)";
    return r;
  }
  r.status = res->status;
  r.text = res->body;
  r.body = json::parse(res->body, nullptr, false);
  if (r.body.is_discarded())
    r.body = json();
  if (res->status < 400)
    return r;
  if (r.body.is_object() && r.body.contains("error") && r.body["error"].is_object()) {
    r.error_code = r.body["error"].value("code", "");
    r.error = r.body["error"].value("message", "");
  }
  if (res->status == 401) {
    r.code = exit_auth;
    r.error = token_.empty() ? "the node wants a token: give --token or set SAGAFORGE_TOKEN"
                             : "the node refused the token (401): check --token or SAGAFORGE_TOKEN";
  } else if (res->status == 403) {
    r.code = exit_auth;
    r.error = "the token's role may not do this (403): " + what + " needs the admin token";
  } else {
    r.code = exit_failed;
    if (r.error.empty())
      r.error = "the node answered " + std::to_string(res->status) + " to " + what;
  }
  return r;
}

reply admin_client::get(const std::string& path, int read_timeout_s) {
  http_->set_read_timeout(std::chrono::seconds{read_timeout_s});
  auto res = http_->Get(path.c_str());
  http_->set_read_timeout(std::chrono::seconds{30});
  return finish("GET " + path, &res);
}

reply admin_client::post(const std::string& path, const json& body) {
  auto res = http_->Post(path.c_str(), body.dump(), "application/json");
  return finish("POST " + path, &res);
}

reply admin_client::del(const std::string& path) {
  auto res = http_->Delete(path.c_str());
  return finish("DELETE " + path, &res);
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out.push_back(static_cast<char>(c));
    else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace sagaforge::console
