// How an envelope travels between the entities of one node: a shared, immutable Envelope
// rather than its bytes. Serializing at the sender and parsing at the receiver was about a
// tenth of a step's instructions; the bytes form stays for clients and anything that
// crosses a process boundary (a future cluster router must serialize envelope_ptr itself).
// The sender keeps the same object in its outbox and copies it before changing it again
// (outbox_entry::shared), so a receiver never sees it change.
#pragma once

#include <memory>

#include "caf/allowed_unsafe_message_type.hpp"

#include "envelope.pb.h"

namespace sagaforge {

using envelope_ptr = std::shared_ptr<const Envelope>;

} // namespace sagaforge

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sagaforge::envelope_ptr)
