// Route helpers (see face_context.hpp).
#include "http/face_context.hpp"

#include <random>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>

#include "runtime/entity_ref.hpp"

namespace sagaforge::http {

namespace {

std::string base64(const std::string& in) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v
      = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6)
      out.push_back(abc[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (i + 1 < in.size())
      v |= uint32_t(uint8_t(in[i + 1])) << 8;
    out.push_back(abc[(v >> 18) & 63]);
    out.push_back(abc[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? abc[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace

bool path_id(const httplib::Request& req, httplib::Response& res, size_t i, const char* field,
             std::string& out) {
  out = req.matches.size() > i ? std::string{req.matches[i]} : std::string{};
  if (auto err = validate_id(out)) {
    send_error(res, 400, "invalid_id",
               std::string{field} + " must be 1..64 of [A-Za-z0-9_.:-], got '" + out.substr(0, 80)
                 + "'",
               field);
    return false;
  }
  return true;
}

bool entity_state(face_context& fc, const std::string& ref, const char* what,
                  httplib::Response& res, EntityReport& out) {
  if (!fc.node.context().dir().find(ref)) {
    send_error(res, 404, "not_found", std::string{"no "} + what + " " + std::string{ref_id(ref)});
    return false;
  }
  auto rep = fc.node.inspect(ref, fc.ask_timeout);
  if (!rep) {
    send_runtime_error(res, rep.error());
    return false;
  }
  out = std::move(*rep);
  return true;
}

bool wait_param(face_context& fc, const httplib::Request& req, httplib::Response& res,
                int64_t& wait_ms) {
  wait_ms = 0;
  if (!req.has_param("wait"))
    return true;
  if (!parse_duration_ms(req.get_param_value("wait"), wait_ms)
      || wait_ms > fc.settings.http_wait_max_ms) {
    send_error(res, 400, "invalid_argument",
               "wait must be a duration such as 30s or 1500ms, at most "
                 + std::to_string(fc.settings.http_wait_max_ms) + " ms",
               "wait");
    return false;
  }
  return true;
}

std::unique_ptr<google::protobuf::Message> new_message(const std::string& full_name) {
  auto* d = google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(full_name);
  if (!d)
    return nullptr;
  auto* proto = google::protobuf::MessageFactory::generated_factory()->GetPrototype(d);
  return proto ? std::unique_ptr<google::protobuf::Message>{proto->New()} : nullptr;
}

json payload_json(const std::string& type, const std::string& bytes) {
  if (auto m = new_message(type); m && m->ParseFromString(bytes))
    return to_json(*m);
  return json{{"payload_b64", base64(bytes)}};
}

json envelope_json(const Envelope& env) {
  return json{{"id", env.id()},
              {"correlation_id", env.correlation_id()},
              {"causation_id", env.causation_id()},
              {"sender", env.sender()},
              {"receiver", env.receiver()},
              {"type", env.type()},
              {"payload", payload_json(env.type(), env.payload())},
              {"attempt", env.attempt()},
              {"created_at_ms", env.created_at_ms()},
              {"channel_seq", env.channel_seq()}};
}

void send_accepted(httplib::Response& res, const std::string& location, const json& body,
                   bool final) {
  res.set_header("Location", location);
  send_json(res, final ? 200 : 202, body);
}

std::string id_from_key(const httplib::Request& req, const std::string& prefix) {
  auto key = req.get_header_value("Idempotency-Key");
  if (key.empty())
    return {};
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(stable_hash(key)));
  return prefix + buf;
}

std::string fresh_id(const std::string& prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return prefix + buf;
}

}  // namespace sagaforge::http
