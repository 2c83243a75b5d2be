// Entity refs: "type/id" strings, their validation, and the shard a ref belongs to.
// Refs stay plain strings on the hot path; this file is the one place that says what
// a valid ref is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "caf/error.hpp"

namespace sagaforge {

constexpr size_t max_type_len = 32;
constexpr size_t max_id_len = 64;

/// Checks "type/id": type is [a-z][a-z0-9_]*, id is [A-Za-z0-9_.:-]+, both bounded.
/// Returns a default (empty) error when valid.
caf::error validate_ref(std::string_view ref);

/// Checks an id alone (the part after '/').
caf::error validate_id(std::string_view id);

/// "order/ORD-1" -> "order". Assumes a valid ref.
std::string_view ref_type(std::string_view ref);

/// "order/ORD-1" -> "ORD-1". Assumes a valid ref.
std::string_view ref_id(std::string_view ref);

/// True for refs of external callers ("client/<name>"): not entities, never activated.
bool is_client_ref(std::string_view ref);

/// Stable 64-bit FNV-1a: the shard hash must not change between builds or nodes.
uint64_t stable_hash(std::string_view s);

inline uint32_t shard_of(std::string_view ref, uint32_t shard_count) {
  return static_cast<uint32_t>(stable_hash(ref) % shard_count);
}

} // namespace sagaforge
