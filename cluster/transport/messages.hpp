// The atoms of the data plane. Only built-in CAF types cross nodes (strings, integers,
// string vectors), so nothing needs registering on both sides (caf-0.17-notes §0.10).
#pragma once

#include "caf/atom.hpp"

namespace sagaforge::cluster {

// link -> gateway: (frame_atom, seq u64, frame bytes); gateway -> link: (frame_ack_atom, seq)
using frame_atom = caf::atom_constant<caf::atom("sf_frame")>;
using frame_ack_atom = caf::atom_constant<caf::atom("sf_fack")>;
// -> gateway: (known_atom, type) -> std::vector<std::string>: the refs of a type known there
using known_atom = caf::atom_constant<caf::atom("sf_known")>;
// One connection per pair of nodes, opened by the smaller id (CAF's BASP drops one of two
// connections dialled at once by both sides, and both sides then redial, over and over). On a
// new connection the two sides prove their node ids (peer_identity.hpp) before any frame:
//   dialler -> dialled gateway: (hello_atom, dialler id, dialler nonce)
//     -> (dialled id, its certificate, its signature over the dialled statement, its nonce)
//   dialler -> dialled gateway: (hello_proof_atom, dialler id, the dialler's gateway,
//     its certificate, its signature over the dialler statement)
// and the dialled side then sends its frames to the gateway it was given.
using hello_atom = caf::atom_constant<caf::atom("sf_hello")>;
using hello_proof_atom = caf::atom_constant<caf::atom("sf_hproof")>;
// -> a non-dialling link: (adopt_atom, gateway) from the hello
using adopt_atom = caf::atom_constant<caf::atom("sf_adopt")>;
// a link's own messages
using flush_atom = caf::atom_constant<caf::atom("sf_flush")>;
using dial_atom = caf::atom_constant<caf::atom("sf_dial")>;

} // namespace sagaforge::cluster
