// JSON errors, Protobuf JSON mapping and query parsing (see json_io.hpp).
#include "http/json_io.hpp"

#include <charconv>

#include <google/protobuf/util/json_util.h>

#include "runtime/errors.hpp"

namespace sagaforge::http {

namespace {

/// Protobuf prints int64 as strings; below 2^53 they are exact as JSON numbers.
void unquote_int64(json& j, const google::protobuf::Descriptor* d);

bool is_int64(const google::protobuf::FieldDescriptor* f) {
  using fd = google::protobuf::FieldDescriptor;
  return f->cpp_type() == fd::CPPTYPE_INT64 || f->cpp_type() == fd::CPPTYPE_UINT64;
}

void unquote_value(json& v, const google::protobuf::FieldDescriptor* f) {
  using fd = google::protobuf::FieldDescriptor;
  if (is_int64(f) && v.is_string()) {
    auto& s = v.get_ref<std::string&>();
    int64_t x = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
    if (ec == std::errc{} && p == s.data() + s.size() && x < (int64_t{1} << 53)
        && x > -(int64_t{1} << 53))
      v = x;
  } else if (f->cpp_type() == fd::CPPTYPE_MESSAGE && !f->is_map()) {
    unquote_int64(v, f->message_type());
  }
}

void unquote_int64(json& j, const google::protobuf::Descriptor* d) {
  if (!j.is_object())
    return;
  for (int i = 0; i < d->field_count(); ++i) {
    auto* f = d->field(i);
    auto it = j.find(f->name());
    if (it == j.end())
      continue;
    if (f->is_repeated() && it->is_array())
      for (auto& v : *it)
        unquote_value(v, f);
    else
      unquote_value(*it, f);
  }
}

}  // namespace

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::string& field) {
  json e = {{"code", code}, {"message", message}};
  if (!field.empty())
    e["field"] = field;
  send_json(res, status, json{{"error", e}});
}

void send_runtime_error(httplib::Response& res, const caf::error& err) {
  auto what = describe(err);
  if (err.category() != caf::atom("runtime"))
    return send_error(res, 500, "internal", what);
  switch (static_cast<runtime_errc>(err.code())) {
    case runtime_errc::invalid_ref:
      return send_error(res, 400, "invalid_ref", what);
    case runtime_errc::invalid_envelope:
      return send_error(res, 400, "invalid_argument", what);
    case runtime_errc::not_found:
      return send_error(res, 404, "not_found", what);
    case runtime_errc::unknown_type:
      return send_error(res, 404, "unknown_type", what);
    case runtime_errc::rejected:
      return send_error(res, 422, "rejected", what);
    case runtime_errc::too_large:
      return send_error(res, 413, "too_large", what);
    case runtime_errc::overloaded:
      res.set_header("Retry-After", "1");
      return send_error(res, 503, "overloaded", what);
    case runtime_errc::store_failed:
      return send_error(res, 503, "store_failed", what);
    case runtime_errc::no_space:
      res.set_header("Retry-After", "5");
      return send_error(res, 503, "no_space", what);
    case runtime_errc::timeout:
      return send_error(res, 504, "timeout", what);
    case runtime_errc::dead_lettered:
      return send_error(res, 502, "dead_lettered", what);
    default:
      return send_error(res, 500, "internal", what);
  }
}

json to_json(const google::protobuf::Message& msg) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  opts.always_print_enums_as_ints = false;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(msg, &text, opts).ok())
    return json{{"unprintable", msg.GetTypeName()}};
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded())
    return json{{"unprintable", msg.GetTypeName()}};
  unquote_int64(j, msg.GetDescriptor());
  return j;
}

std::string parse_json_into(const std::string& text, google::protobuf::Message& msg) {
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(text, &msg, opts);
  if (st.ok())
    return {};
  return std::string{st.message()};
}

bool parse_body(const httplib::Request& req, httplib::Response& res,
                google::protobuf::Message& msg) {
  auto ct = req.get_header_value("Content-Type");
  if (ct.rfind("application/json", 0) != 0) {
    send_error(res, 415, "unsupported_media_type",
               "the body must be application/json, got '" + ct.substr(0, 80) + "'");
    return false;
  }
  // A JSON document must be an object here; Protobuf's parser accepts some non-objects.
  auto first = req.body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || req.body[first] != '{') {
    send_error(res, 400, "invalid_json", "the body must be a JSON object");
    return false;
  }
  if (auto err = parse_json_into(req.body, msg); !err.empty()) {
    send_error(res, 400, "invalid_json", err);
    return false;
  }
  return true;
}

bool query_int(const httplib::Request& req, httplib::Response& res, const char* name, int64_t min,
               int64_t max, int64_t fallback, int64_t& out) {
  if (!req.has_param(name)) {
    out = fallback;
    return true;
  }
  auto v = req.get_param_value(name);
  int64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc{} || p != v.data() + v.size() || x < min || x > max) {
    send_error(res, 400, "invalid_argument",
               std::string{name} + " must be an integer in " + std::to_string(min) + ".."
                 + std::to_string(max),
               name);
    return false;
  }
  out = x;
  return true;
}

bool parse_duration_ms(const std::string& text, int64_t& out) {
  int64_t x = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc{} || x < 0 || x > 86'400'000)
    return false;
  std::string unit{p, text.data() + text.size()};
  int64_t scale = unit.empty() || unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000 : 0;
  if (scale == 0)
    return false;
  out = x * scale;
  return true;
}

}  // namespace sagaforge::http
