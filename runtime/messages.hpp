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
/// Start-up re-activation: deliver what the outbox holds, then passivate (which records
/// the acks and clears the record's `pending` flag) unless new work came meanwhile.
using settle_atom = caf::atom_constant<caf::atom("settle")>;
/// Clean shutdown: snapshot what is not yet covered by one; answered with `true` once
/// durable (or at once when there is nothing to write).
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;
using adopt_atom = caf::atom_constant<caf::atom("adopt")>;  // + ref, last log seq, entry
using inspect_atom = caf::atom_constant<caf::atom("inspect")>;
using replay_atom = caf::atom_constant<caf::atom("replay")>;

} // namespace sagaforge
