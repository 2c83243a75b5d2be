// The read-only web view: GET / and /ui redirect to /ui/, /ui/ is the page, /ui/{file} its
// script (compiled in, ui_assets.hpp). Open like /health: the page holds no data; what it
// shows it reads from the admin API with the read token the person gives it. A strict
// Content-Security-Policy keeps the page to its own origin (no external URL can load).
#include "http/routes.hpp"
#include "http/ui_assets.hpp"

namespace sagaforge::http {

namespace {

void serve(const std::string& name, httplib::Response& res) {
  auto* a = find_ui_asset(name);
  if (!a)
    return send_error(res, 404, "not_found", "no file '" + name.substr(0, 60) + "' in the web view");
  auto dot = name.rfind('.');
  auto ext = dot == std::string::npos ? "" : name.substr(dot + 1);
  auto type = ext == "html" ? "text/html; charset=utf-8"
              : ext == "js" ? "text/javascript; charset=utf-8"
                            : "application/octet-stream";
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                 "frame-ancestors 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Cache-Control", "no-cache");
  res.set_content(std::string{a->content}, type);
}

void to_ui(const httplib::Request&, httplib::Response& res) {
  res.set_redirect("/ui/", 302);
}

}  // namespace

void add_ui_routes(route_table& t, face_context&) {
  t.add("GET", "/", "/", area::open, to_ui);
  t.add("GET", "/ui", "/ui", area::open, to_ui);
  t.add("GET", "/ui/", "/ui/", area::open,
        [](const httplib::Request&, httplib::Response& res) { serve("index.html", res); });
  t.add("GET", "/ui/([A-Za-z0-9_.-]{1,64})", "/ui/{file}", area::open,
        [](const httplib::Request& req, httplib::Response& res) { serve(req.matches[1], res); });
}

}  // namespace sagaforge::http
