// Validation and hashing of entity refs.
#include "runtime/entity_ref.hpp"

#include "runtime/errors.hpp"

namespace sagaforge {

namespace {

bool type_char(char c, bool first) {
  if (c >= 'a' && c <= 'z')
    return true;
  return !first && ((c >= '0' && c <= '9') || c == '_');
}

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
         || c == '_' || c == '-' || c == '.' || c == ':';
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 80))
    out += (c >= 32 && c < 127) ? c : '?';
  return out + (s.size() > 80 ? "...'" : "'");
}

} // namespace

caf::error validate_id(std::string_view id) {
  if (id.empty())
    return make_runtime_error(runtime_errc::invalid_ref, "empty id");
  if (id.size() > max_id_len)
    return make_runtime_error(runtime_errc::invalid_ref,
                              "id longer than " + std::to_string(max_id_len)
                                + " characters: " + quoted(id));
  for (char c : id)
    if (!id_char(c))
      return make_runtime_error(runtime_errc::invalid_ref,
                                "id " + quoted(id)
                                  + " may only contain letters, digits and _ - . :");
  return {};
}

caf::error validate_ref(std::string_view ref) {
  auto slash = ref.find('/');
  if (slash == std::string_view::npos)
    return make_runtime_error(runtime_errc::invalid_ref,
                              "ref " + quoted(ref) + " is not of the form type/id");
  auto type = ref.substr(0, slash);
  if (type.empty() || type.size() > max_type_len)
    return make_runtime_error(runtime_errc::invalid_ref,
                              "ref " + quoted(ref) + " has an empty or too long type");
  for (size_t i = 0; i < type.size(); ++i)
    if (!type_char(type[i], i == 0))
      return make_runtime_error(runtime_errc::invalid_ref,
                                "type in " + quoted(ref) + " must match [a-z][a-z0-9_]*");
  return validate_id(ref.substr(slash + 1));
}

std::string_view ref_type(std::string_view ref) {
  return ref.substr(0, ref.find('/'));
}

std::string_view ref_id(std::string_view ref) {
  auto slash = ref.find('/');
  return slash == std::string_view::npos ? std::string_view{} : ref.substr(slash + 1);
}

bool is_client_ref(std::string_view ref) {
  return ref_type(ref) == "client";
}

uint64_t stable_hash(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

} // namespace sagaforge
