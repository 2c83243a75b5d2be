// Target http_query: a request's query string and headers as the HTTP face reads them: httplib's
// own query parser (detail::parse_query_text, what the server runs on the request line), then
// the parameter readers of the routes: query_int with the bounds of the listing routes,
// ?wait= through parse_duration_ms, the dead-letter listing's filter (dead_letter_filter.hpp)
// matched against a dead letter, validate_ref / validate_id of a ref parameter, and the
// Idempotency-Key header through id_from_key. Input: the query text; a line after it (if any)
// is the Idempotency-Key. route_table.cpp's catch (const std::exception&) -> 500 is mirrored.
#include <cstdint>

#include "http/dead_letter_filter.hpp"
#include "http/face_context.hpp"
#include "http/json_io.hpp"
#include "runtime/entity_ref.hpp"
#include "tests/fuzz/fuzz_target.hpp"

namespace sagaforge::fuzz {

namespace {

std::vector<std::string> seeds() {
  return {"limit=50&after=0",
          "reason=poison&receiver_type=points&receiver=points%2FC-1&replayed=0",
          "wait=30s&limit=1000",
          "wait=1500ms",
          "older_than_ms=60000&limit=100&type=fulfillment&status=RUNNING",
          "from=9223372036854775807&limit=500\nkey-1",
          "ref=order%2FO-1&timeout_ms=10000&force=1",
          "due_within_ms=0&overdue=1&by=type&q=lamp&category=home"};
}

} // namespace

target http_query_target() {
  target t;
  t.name = "http_query";
  t.seeds = seeds;
  t.max_len = 2048;
  t.dictionary = {"&", "=", "%", "%2F", "%00", "%zz", "+", "limit=", "after=", "wait=", "ms",
                  "s", "m", "-", "9223372036854775808", "replayed=", "receiver=", "ref=", "\n"};
  t.run = [](std::string_view data, uint64_t& caught, uint64_t&) {
    auto nl = data.find('\n');
    std::string query{data.substr(0, nl)};
    httplib::Request req;
    if (nl != std::string_view::npos)
      req.set_header("Idempotency-Key", std::string{data.substr(nl + 1)});
    try {
      httplib::detail::parse_query_text(query, req.params);
      httplib::Response res;
      int64_t v = 0;
      (void) http::query_int(req, res, "limit", 1, 1000, 50, v);
      (void) http::query_int(req, res, "after", 0, INT64_MAX, 0, v);
      (void) http::query_int(req, res, "from", 0, INT64_MAX, 0, v);
      (void) http::query_int(req, res, "older_than_ms", 0, INT64_MAX / 2, 0, v);
      (void) http::query_int(req, res, "due_within_ms", 0, INT64_MAX / 2, 0, v);
      (void) http::query_int(req, res, "timeout_ms", 0, 60000, 10000, v);
      (void) http::parse_duration_ms(req.get_param_value("wait"), v);
      http::dl_filter f;
      f.reason = req.get_param_value("reason");
      f.receiver_type = req.get_param_value("receiver_type");
      f.receiver = req.get_param_value("receiver");
      auto r = req.get_param_value("replayed");
      f.replayed = r == "1" ? 1 : r == "0" ? 0 : -1;
      DeadLetter dl;
      dl.mutable_envelope()->set_receiver(req.get_param_value("ref"));
      dl.set_reason(f.reason);
      (void) f.matches(dl);
      auto ref = req.get_param_value("ref");
      if (!validate_ref(ref)) {
        (void) ref_type(ref);
        (void) validate_id(ref_id(ref));
      }
      (void) http::id_from_key(req, "O-");
    } catch (const std::exception&) {
      ++caught;
    }
  };
  return t;
}

} // namespace sagaforge::fuzz
