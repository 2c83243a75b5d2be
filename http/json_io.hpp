// JSON in and out of the HTTP face: the one error shape
//   {"error": {"code": "...", "message": "...", "field": "..."}}
// with its status, the runtime's error codes mapped to statuses, and Protobuf's JSON mapping
// (proto field names, unknown fields refused) for request bodies and entity states.
// Pure functions; called on HTTP worker threads.
#pragma once

#include <string>

#include <google/protobuf/message.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "caf/error.hpp"

namespace sagaforge::http {

using json = nlohmann::json;

/// Writes the error body and status. `field` names the offending input, when one does.
void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::string& field = {});

/// Maps a runtime error (runtime_errc) to its status and code: invalid_ref 400, not_found
/// 404, unknown_type 404, rejected 422, too_large 413, overloaded 503 (Retry-After),
/// timeout 504, store_failed 503, anything else 500.
void send_runtime_error(httplib::Response& res, const caf::error& err);

/// Writes `body` as application/json with `status`.
void send_json(httplib::Response& res, int status, const json& body);

/// The message as a JSON object (proto field names, every field printed, int64 as numbers
/// where they fit a double exactly: Protobuf's mapping quotes them, clients want numbers).
json to_json(const google::protobuf::Message& msg);

/// Parses a JSON body into `msg` (Protobuf's JSON mapping, proto field names, unknown fields
/// refused). On failure writes a 400/415 answer and returns false.
bool parse_body(const httplib::Request& req, httplib::Response& res,
                google::protobuf::Message& msg);

/// Same for a JSON text that is not a whole request body (e.g. a payload inside one).
std::string parse_json_into(const std::string& text, google::protobuf::Message& msg);

/// Parses a non-negative integer query parameter within [min, max]; `fallback` when absent.
/// On failure writes a 400 naming the parameter and returns false.
bool query_int(const httplib::Request& req, httplib::Response& res, const char* name, int64_t min,
               int64_t max, int64_t fallback, int64_t& out);

/// Parses a duration like "30s", "1500ms", "2m" or a plain number of ms.
bool parse_duration_ms(const std::string& text, int64_t& out);

}  // namespace sagaforge::http
