// Lists gathered across a cluster's members. The node the console talks to names the members
// (GET /admin/v1/cluster); every member that is up is asked for the same list with the same
// token, and each item is tagged with the member that answered ("node"). A member that could
// not be asked, or failed, is named in the answer: a partial list is never passed off as
// the whole. On a single node (or with --local) it is one request, as before.
#pragma once

#include <string>
#include <vector>

#include "console/commands.hpp"

namespace sagaforge::console {

struct gathered {
  bool clustered = false;   // more than one member was (to be) asked
  json items = json::array();  // every answer's items, each with "node" when clustered
  json members = json::array();  // per member asked: {node, ok, error?, count}
  json first_body;          // the node's own answer (its other fields: next, truncated, ...)
  std::vector<json> bodies;  // every member's whole answer, in member order
  bool partial = false;     // some member did not answer
};

/// GETs `path` from every member (or only the session's node when `local`). False with `o`
/// set when the session's own node fails: then nothing is gathered.
bool gather(session& s, const std::string& path, bool local, gathered& g, outcome& o);

/// What to print under a gathered table: the members that did not answer ("" when none).
std::string partial_note(const gathered& g);

/// The answer's JSON: the node's own fields, then the merged items, the members asked and
/// whether the list is partial.
json gathered_doc(const gathered& g, json items);

}  // namespace sagaforge::console
