// Dead-letter look-up and removal (see dead_letter_admin.hpp).
#include "runtime/dead_letter_admin.hpp"

#include "runtime/errors.hpp"
#include "runtime/log_keys.hpp"
#include "runtime/record_codec.hpp"

namespace sagaforge {

caf::expected<DeadLetter> get_dead_letter(store& st, uint64_t id) {
  auto raw = st.get(table::dead_letters, id_key(id));
  if (!raw)
    return raw.error();
  if (!*raw)
    return make_runtime_error(runtime_errc::not_found, "no dead letter " + std::to_string(id));
  auto decoded = decode_dead_letter(**raw);  // checks the record's CRC too
  if (!decoded)
    return make_runtime_error(runtime_errc::corrupt_record, "dead letter " + std::to_string(id)
                                                              + ": " + describe(decoded.error()));
  return decoded;
}

caf::error drop_dead_letter(store& st, uint64_t id) {
  auto found = get_dead_letter(st, id);
  if (!found)
    return found.error();
  return st.write({mutation{table::dead_letters, id_key(id), {}, true}});
}

}  // namespace sagaforge
