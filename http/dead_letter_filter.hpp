// dead_letter_filter: which dead letters an admin request means — by reason, receiver type,
// receiver, replayed or not. Shared by the listing (GET /admin/v1/dead-letters?reason=...)
// and the bulk replay (POST /admin/v1/dead-letters/replay {"filter": ...}).
#pragma once

#include <string>

#include "runtime/entity_ref.hpp"
#include "runtime_records.pb.h"

namespace sagaforge::http {

struct dl_filter {
  std::string reason, receiver_type, receiver;
  int replayed = -1;  // -1 any, 0 not yet, 1 already

  bool empty() const {
    return reason.empty() && receiver_type.empty() && receiver.empty() && replayed < 0;
  }

  bool matches(const DeadLetter& dl) const {
    auto& to = dl.envelope().receiver();
    return (reason.empty() || dl.reason() == reason)
           && (receiver_type.empty() || ref_type(to) == receiver_type)
           && (receiver.empty() || to == receiver)
           && (replayed < 0 || dl.replayed() == (replayed == 1));
  }
};

}  // namespace sagaforge::http
