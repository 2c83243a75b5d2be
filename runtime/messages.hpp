// The CAF atoms the runtime's actors exchange. Payloads from clients are Protobuf bytes in
// strings; between the entities of one node an envelope travels as a shared immutable
// object (local_envelope.hpp) and a plain ack is just a ref and a seq.
#pragma once

#include "caf/atom.hpp"

namespace sagaforge {

// + Envelope bytes (clients, tests), or + envelope_ptr between entities (local_envelope.hpp)
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;              // + Ack bytes
using acked_atom = caf::atom_constant<caf::atom("acked")>;  // + receiver ref, seq: plain ack
using committed_atom = caf::atom_constant<caf::atom("committed")>;  // + token
using commit_failed_atom = caf::atom_constant<caf::atom("commitfail")>;
using resend_atom = caf::atom_constant<caf::atom("resend")>;
using timer_atom = caf::atom_constant<caf::atom("timer")>;          // + name, due_ms
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;  // [+ activation: sweeper]
using retired_atom = caf::atom_constant<caf::atom("retired")>;  // an entity's final marker
using wake_atom = caf::atom_constant<caf::atom("wake")>;
using adopt_atom = caf::atom_constant<caf::atom("adopt")>;  // + ref, last log seq, entry
using inspect_atom = caf::atom_constant<caf::atom("inspect")>;
using replay_atom = caf::atom_constant<caf::atom("replay")>;

} // namespace sagaforge
