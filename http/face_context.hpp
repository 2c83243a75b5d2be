// What the route handlers share: the node, its settings, the read models, readiness, and
// small helpers every route file uses (path ids, reading an entity's state without a step,
// waiting for a committed state, typed payloads as JSON). Internal to http/.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <httplib.h>

#include "actors/catalog/catalog_view.hpp"
#include "http/json_io.hpp"
#include "http/live_views.hpp"
#include "runtime/cluster_view.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime_records.pb.h"

namespace sagaforge::http {

struct face_context {
  node_runtime& node;
  runtime_settings settings;
  catalog::catalog_view* catalog;  // null: no catalog routes
  live_views* views;
  std::atomic<bool> ready{false};
  std::chrono::milliseconds ask_timeout{10000};
  cluster_view_provider cluster{};  // empty on a single node
};

/// Regex of one path segment that the handler validates itself (ids are checked with
/// validate_id, so a bad one is a 400 that names it rather than a 404).
inline constexpr const char* seg = "([^/]+)";

/// Path parameter `i` as an entity id; writes a 400 naming `field` when it is not one.
bool path_id(const httplib::Request& req, httplib::Response& res, size_t i, const char* field,
             std::string& out);

/// The entity's current state without running a step: a 404 (`what` names it) when the node
/// has no record of it, else its live report (activating it). False when answered.
bool entity_state(face_context& fc, const std::string& ref, const char* what,
                  httplib::Response& res, EntityReport& out);

/// Parses the report's state as `State`; false (500 answered) when it does not parse.
template <class State>
bool state_as(const EntityReport& rep, httplib::Response& res, State& out) {
  if (out.ParseFromString(rep.state()))
    return true;
  send_error(res, 500, "corrupt_state", "the state of " + rep.ref() + " does not parse");
  return false;
}

/// ?wait=DURATION: 0 when absent; false (400 answered) when malformed or above the limit.
bool wait_param(face_context& fc, const httplib::Request& req, httplib::Response& res,
                int64_t& wait_ms);

/// A message of a registered Protobuf type by full name, or null.
std::unique_ptr<google::protobuf::Message> new_message(const std::string& full_name);

/// Payload bytes of a known type as JSON; base64 under "payload_b64" otherwise.
json payload_json(const std::string& type, const std::string& bytes);

/// An envelope as JSON (refs as strings, times as *_ms numbers, the payload decoded).
json envelope_json(const Envelope& env);

/// Answers 202 Accepted with Location, or 200 when `final` (a ?wait= saw the end).
void send_accepted(httplib::Response& res, const std::string& location, const json& body,
                   bool final);

/// Derives an entity id from an Idempotency-Key header ("" when absent): the same key
/// always gives the same id, so the entity's own idempotency makes the POST repeatable.
std::string id_from_key(const httplib::Request& req, const std::string& prefix);

/// A fresh id for a POST without one and without an Idempotency-Key.
std::string fresh_id(const std::string& prefix);

}  // namespace sagaforge::http
