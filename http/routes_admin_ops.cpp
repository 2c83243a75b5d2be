// The admin API's lists and actions (/admin/v1): sagas by status and age (read), dead
// letters (list and show: read; replay and drop: admin), send a command to a ref and ask an
// entity to passivate (admin). Every call is audited by the route table.
#include "http/dead_letter_filter.hpp"
#include "caf/send.hpp"

#include "http/routes.hpp"
#include "runtime/dead_letter_admin.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/messages.hpp"

namespace sagaforge::http {

namespace {

void sagas(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  int64_t limit = 0, older_ms = 0;
  if (!query_int(req, res, "limit", 1, 1000, 50, limit)
      || !query_int(req, res, "older_than_ms", 0, INT64_MAX / 2, 0, older_ms))
    return;
  auto type = req.get_param_value("type");
  if (!type.empty() && type != "fulfillment" && type != "redemption")
    return send_error(res, 400, "invalid_argument", "type is fulfillment or redemption", "type");
  auto now = fc.node.context().now_ms();
  auto rows = fc.views->sagas(type, req.get_param_value("status").substr(0, 40),
                              older_ms > 0 ? now - older_ms : 0, req.get_param_value("after"),
                              static_cast<size_t>(limit));
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"saga", r.type},
                     {"id", r.id},
                     {"status", r.status},
                     {"step", r.step},
                     {"started_ms", r.started_ms},
                     {"finished_ms", r.finished_ms},
                     {"age_ms", r.started_ms > 0 ? now - r.started_ms : 0}});
  json next = rows.size() == static_cast<size_t>(limit)
                ? json(rows.back().type + "/" + rows.back().id)
                : json();
  send_json(res, 200, {{"items", items}, {"next", next}});
}

json dead_letter_json(const DeadLetter& dl) {
  return {{"id", dl.id()},
          {"reason", dl.reason()},
          {"last_error", dl.last_error()},
          {"attempts", dl.attempts()},
          {"at_ms", dl.at_ms()},
          {"where", dl.where()},
          {"replayed", dl.replayed()},
          {"envelope", envelope_json(dl.envelope())}};
}

bool dead_letter_id(const httplib::Request& req, httplib::Response& res, uint64_t& id) {
  auto text = std::string{req.matches[1]};
  char* end = nullptr;
  id = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text.size() > 19 || *end != '\0' || id == 0) {
    send_error(res, 400, "invalid_id", "a dead letter id is a positive integer", "id");
    return false;
  }
  return true;
}

/// The dead letter the path names; false when answered (400 bad id, 404, 500).
bool path_dead_letter(face_context& fc, const httplib::Request& req, httplib::Response& res,
                      DeadLetter& out) {
  uint64_t id = 0;
  if (!dead_letter_id(req, res, id))
    return false;
  auto dl = get_dead_letter(*fc.node.backing_store(), id);
  if (!dl) {
    send_runtime_error(res, dl.error());
    return false;
  }
  out = std::move(*dl);
  return true;
}

/// ?reason=&receiver_type=&receiver=&replayed=0|1; false when answered (400).
bool listing_filter(const httplib::Request& req, httplib::Response& res, dl_filter& f) {
  for (auto* key : {"reason", "receiver_type", "receiver"}) {
    auto v = req.get_param_value(key);
    if (v.size() > 200) {
      send_error(res, 400, "invalid_argument", std::string{key} + " is at most 200 bytes", key);
      return false;
    }
    (std::string{key} == "reason" ? f.reason
     : std::string{key} == "receiver" ? f.receiver : f.receiver_type) = v;
  }
  if (req.has_param("replayed")) {
    auto v = req.get_param_value("replayed");
    if (v != "0" && v != "1") {
      send_error(res, 400, "invalid_argument", "replayed is 0 or 1", "replayed");
      return false;
    }
    f.replayed = v == "1" ? 1 : 0;
  }
  return true;
}

void dead_letters(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  int64_t after = 0, limit = 0;
  dl_filter f;
  if (!query_int(req, res, "after", 0, INT64_MAX, 0, after)
      || !query_int(req, res, "limit", 1, 1000, 50, limit) || !listing_filter(req, res, f))
    return;
  // Pages of the store, filtered here, until `limit` match or a bounded number of records
  // was read (one request never walks an unbounded store): `next` then resumes the scan.
  constexpr size_t scan_max = 100000;
  json items = json::array();
  size_t scanned = 0;
  uint64_t last = static_cast<uint64_t>(after);
  bool more = false;
  while (true) {
    size_t want = f.empty() ? static_cast<size_t>(limit) - items.size() : 1000;
    auto page = fc.node.dead_letters(last + 1, want);
    if (!page)
      return send_runtime_error(res, page.error());
    for (auto& dl : *page) {
      ++scanned;
      last = dl.id();
      if (f.matches(dl))
        items.push_back(dead_letter_json(dl));
      if (items.size() == static_cast<size_t>(limit))
        break;
    }
    if (page->size() < want) {
      // The store ends within this page: more only when the limit stopped us before its end.
      more = !page->empty() && last != page->back().id();
      break;
    }
    if (items.size() == static_cast<size_t>(limit) || scanned >= scan_max) {
      more = true;
      break;
    }
  }
  json next = more ? json(last) : json();
  send_json(res, 200, {{"items", items}, {"next", next}, {"scanned", scanned}});
}

void dead_letter(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  DeadLetter dl;
  if (path_dead_letter(fc, req, res, dl))
    send_json(res, 200, dead_letter_json(dl));
}

void replay(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  DeadLetter dl;
  if (!path_dead_letter(fc, req, res, dl))
    return;
  auto id = dl.id();
  if (dl.replayed() && req.get_param_value("force") != "1")
    return send_error(res, 409, "already_replayed",
                      "dead letter " + std::to_string(id)
                        + " was replayed; ?force=1 replays again");
  if (auto err = fc.node.replay_dead_letter(id))
    return send_runtime_error(res, err);
  send_json(res, 202, {{"id", id}, {"replayed", true}});
}

void drop(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  uint64_t id = 0;
  if (!dead_letter_id(req, res, id))
    return;
  if (auto err = drop_dead_letter(*fc.node.backing_store(), id))
    return send_runtime_error(res, err);
  send_json(res, 200, {{"id", id}, {"dropped", true}});
}

/// POST {"type": "<full message name>", "payload": {...}}: through the node's client, so it
/// is journaled and de-duplicated like any command; the answer carries the reply.
void send_command(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  auto ref = std::string{req.matches[1]} + "/" + std::string{req.matches[2]};
  if (auto err = validate_ref(ref))
    return send_error(res, 400, "invalid_ref", describe(err), "ref");
  if (!fc.node.context().logic_for(ref_type(ref)))
    return send_error(res, 404, "unknown_type",
                      "no entity type '" + std::string{ref_type(ref)} + "'");
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("type")
      || !body["type"].is_string() || body.size() > 2
      || (body.size() == 2 && !(body.contains("payload") && body["payload"].is_object())))
    return send_error(res, 400, "invalid_json",
                      "the body is {\"type\": \"<message type>\", \"payload\": {...}}");
  auto type = body["type"].get<std::string>();
  auto msg = new_message(type);
  if (!msg)
    return send_error(res, 400, "unknown_message_type",
                      "no message type '" + type.substr(0, 100) + "'", "type");
  auto payload = body.value("payload", json::object()).dump();
  if (auto err = parse_json_into(payload, *msg); !err.empty())
    return send_error(res, 400, "invalid_json", err, "payload");
  auto ack
    = fc.node.ask_raw(ref, typed_bytes{type, msg->SerializeAsString()}, fc.ask_timeout, "console");
  if (!ack)
    return send_runtime_error(res, ack.error());
  json reply;
  if (!ack->reply_type().empty())
    reply = payload_json(ack->reply_type(), ack->reply_payload());
  send_json(res, 200, {{"ref", ref}, {"reply_type", ack->reply_type()}, {"reply", reply}});
}

void passivate(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  auto ref = std::string{req.matches[1]} + "/" + std::string{req.matches[2]};
  if (auto err = validate_ref(ref))
    return send_error(res, 400, "invalid_ref", describe(err), "ref");
  auto handle = fc.node.context().dir().lookup(ref, false);
  if (!handle)
    return send_error(res, 404, "not_active", ref + " is not active");
  caf::anon_send(handle, passivate_atom::value);
  send_json(res, 202, {{"ref", ref}, {"passivation_requested", true}});
}

}  // namespace

void add_admin_ops_routes(route_table& t, face_context& fc) {
  auto* f = &fc;
  using fn_t = void (*)(face_context&, const httplib::Request&, httplib::Response&);
  auto add = [&](const char* method, std::string pattern, std::string name, area a, fn_t fn) {
    t.add(method, std::move(pattern), std::move(name), a,
          [f, fn](auto& req, auto& res) { fn(*f, req, res); });
  };
  std::string dl = "/admin/v1/dead-letters/([^/]+)";
  std::string ent = std::string{"/admin/v1/entities/"} + seg + "/" + seg;
  add("GET", "/admin/v1/sagas", "/admin/v1/sagas", area::admin_read, sagas);
  add("GET", "/admin/v1/dead-letters", "/admin/v1/dead-letters", area::admin_read, dead_letters);
  add("GET", dl, "/admin/v1/dead-letters/{id}", area::admin_read, dead_letter);
  add("DELETE", dl, "/admin/v1/dead-letters/{id}", area::admin_write, drop);
  add("POST", dl + "/replay", "/admin/v1/dead-letters/{id}/replay", area::admin_write, replay);
  add("POST", ent + "/messages", "/admin/v1/entities/{type}/{id}/messages", area::admin_write,
      send_command);
  add("POST", ent + "/passivate", "/admin/v1/entities/{type}/{id}/passivate", area::admin_write,
      passivate);
}

}  // namespace sagaforge::http
