// The HTTP face: server set-up, limits, health and metrics routes, start and stop.
#include "http/http_face.hpp"

#include <sys/socket.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include <spdlog/spdlog.h>

#include "http/face_context.hpp"
#include "http/face_metrics.hpp"
#include "http/routes.hpp"
#include "http/task_queue.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::http {

struct http_face::impl {
  face_context fc;
  live_views views;
  token_auth auth;
  rate_limiter limiter;
  audit_log audit;
  face_metrics metrics;
  std::unique_ptr<httplib::Server> server;
  route_table routes;
  std::thread listener;
  int port = 0;

  impl(node_runtime& node, const runtime_settings& s, catalog::catalog_view* catalog)
    : fc{node, s, catalog, &views}, auth(s.http_admin_token, s.http_read_token),
      limiter(s.http_rate_per_s, s.http_rate_burst),
      audit(s.http_audit_log.empty()
              ? std::string{}
              : (std::filesystem::path{s.data_dir} / s.http_audit_log).string()),
      metrics(node, &views,
              [this] { return fc.ready.load() && fc.node.context().pipeline().healthy(); },
              &fc.cluster) {}
};

namespace {

void add_health_routes(route_table& t, http_face::impl& p) {
  t.add("GET", "/health/live", "/health/live", area::open, [](auto&, auto& res) {
    send_json(res, 200, {{"live", true}});
  });
  t.add("GET", "/health/ready", "/health/ready", area::open, [&p](auto&, auto& res) {
    auto& pipe = p.fc.node.context().pipeline();
    bool store = pipe.healthy() && !pipe.waiting_for_space();
    bool started = p.fc.ready.load();
    json body = {{"ready", store && started}, {"store_healthy", pipe.healthy()},
                 {"started", started}};
    if (auto why = pipe.space_problem(); !why.empty())
      body["store_problem"] = why;
    if (!(store && started))
      res.set_header("Retry-After", "1");
    send_json(res, store && started ? 200 : 503, body);
  });
  t.add("GET", "/metrics", "/metrics", area::open, [&p](auto&, auto& res) {
    res.set_content(p.metrics.scrape(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

/// Statuses httplib answers itself (no route, limits) get the JSON error shape too.
httplib::Server::HandlerResponse on_error(const httplib::Request& req, httplib::Response& res) {
  if (!res.body.empty())
    return httplib::Server::HandlerResponse::Unhandled;  // a handler's own JSON error
  switch (res.status) {
    case 404:
      send_error(res, 404, "not_found", "no route " + req.method + " " + req.path.substr(0, 200));
      break;
    case 413:
      send_error(res, 413, "too_large", "the request body exceeds the limit");
      break;
    case 414:
      send_error(res, 414, "uri_too_long", "the request URI exceeds 8192 bytes");
      break;
    default:
      send_error(res, res.status, "bad_request", "the request could not be read");
  }
  return httplib::Server::HandlerResponse::Handled;
}

void configure(httplib::Server& srv, const runtime_settings& s) {
  auto threads = static_cast<size_t>(s.http_threads);
  srv.new_task_queue = [threads] { return new bounded_task_queue(threads, threads * 4); };
  // An answer goes out in two writes (head, body), which Nagle's algorithm and the client's
  // delayed ACK would hold back ~40 ms: measured p50 115 ms -> 45 ms per order.
  srv.set_tcp_nodelay(true);
  srv.set_payload_max_length(static_cast<size_t>(s.http_max_body_bytes));
  srv.set_read_timeout(std::chrono::milliseconds{s.http_read_timeout_ms});
  srv.set_write_timeout(std::chrono::milliseconds{s.http_write_timeout_ms});
  srv.set_keep_alive_timeout(static_cast<time_t>(s.http_keep_alive_ms / 1000));
  srv.set_keep_alive_max_count(static_cast<size_t>(s.http_keep_alive_max_requests));
  srv.set_error_handler(httplib::Server::HandlerWithResponse(on_error));
  srv.set_exception_handler(
    [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      send_error(res, 500, "internal", "the request failed inside the node; see its log");
    });
}

}  // namespace

http_face::http_face(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

http_face::~http_face() {
  stop();
}

caf::expected<std::unique_ptr<http_face>>
http_face::start(node_runtime& node, const runtime_settings& s, catalog::catalog_view* catalog,
                 cluster_view_provider cluster) {
  std::signal(SIGPIPE, SIG_IGN);  // a client closing mid-answer must not kill the node
  auto p = std::make_unique<impl>(node, s, catalog);
  p->fc.cluster = std::move(cluster);
  if (auto err = p->views.attach(node))
    return err;
  if (s.http_tls_cert.empty())
    p->server = std::make_unique<httplib::Server>();
  else
    p->server
      = std::make_unique<httplib::SSLServer>(s.http_tls_cert.c_str(), s.http_tls_key.c_str());
  if (!p->server->is_valid()) {
    p->views.detach();
    return make_runtime_error(
      runtime_errc::invalid_config,
      "sagaforge.http.tls-cert/tls-key: cannot load the certificate or key");
  }
  configure(*p->server, s);
  // httplib listens with a backlog of 5 (compiled into the library): a burst of new
  // connections overflows it and waits for SYN retransmits (1 s). Keep the listening socket
  // to listen on it again with a deeper backlog after the bind.
  int listen_fd = -1;
  p->server->set_socket_options([&listen_fd](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_fd = sock;
  });
  add_health_routes(p->routes, *p);
  add_order_routes(p->routes, p->fc);
  add_loyalty_routes(p->routes, p->fc);
  add_catalog_routes(p->routes, p->fc);
  add_admin_read_routes(p->routes, p->fc);
  add_admin_ops_routes(p->routes, p->fc);
  add_admin_saga_routes(p->routes, p->fc);
  add_admin_view_routes(p->routes, p->fc);
  add_admin_bulk_routes(p->routes, p->fc);
  add_admin_cluster_routes(p->routes, p->fc);
  add_ui_routes(p->routes, p->fc);
  p->routes.install(*p->server, access_guard{&p->auth, &p->limiter, &p->audit, &p->metrics,
                                                &p->fc.node.context().pipeline()});
  p->port = s.http_port == 0
              ? p->server->bind_to_any_port(s.http_address)
              : (p->server->bind_to_port(s.http_address, static_cast<int>(s.http_port))
                   ? static_cast<int>(s.http_port)
                   : -1);
  if (p->port <= 0) {
    p->views.detach();
    return make_runtime_error(runtime_errc::invalid_config, "sagaforge.http: cannot listen on "
                                                              + s.http_address + ":"
                                                              + std::to_string(s.http_port));
  }
  if (listen_fd >= 0)
    ::listen(listen_fd, 1024);
  auto* srv = p->server.get();
  p->listener = std::thread{[srv] { srv->listen_after_bind(); }};
  spdlog::info("http: listening on {}:{}", s.http_address, p->port);
  return std::unique_ptr<http_face>{new http_face(std::move(p))};
}

int http_face::port() const {
  return impl_->port;
}

void http_face::set_ready(bool ready) {
  impl_->fc.ready = ready;
}

void http_face::stop() {
  if (!impl_ || !impl_->listener.joinable())
    return;
  impl_->fc.ready = false;
  impl_->server->stop();  // closes the listening socket; the pool finishes what it runs
  impl_->listener.join();
  impl_->views.detach();
  spdlog::info("http: stopped");
}

}  // namespace sagaforge::http
