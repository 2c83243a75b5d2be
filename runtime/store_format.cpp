// Store format marker: read, judge, write.
#include "runtime/store_format.hpp"

#include <charconv>
#include <string>

#include "runtime/errors.hpp"

namespace sagaforge {

caf::expected<bool> judge_store_format(store& st) {
  auto raw = st.get(table::meta, store_format_key);
  if (!raw)
    return raw.error();
  if (*raw) {
    const auto& text = **raw;
    uint32_t found = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), found);
    bool digits = !text.empty() && text[0] != '0' && end == text.data() + text.size();
    if (digits && ec == std::errc::result_out_of_range)
      found = UINT32_MAX;  // a format number this binary cannot even hold: newer
    else if (!digits || ec != std::errc{})
      return make_runtime_error(runtime_errc::invalid_config,
                                "the store's format marker '" + text
                                  + "' is unreadable: not a data folder of sagaforge?");
    if (found > store_format_current)
      return make_runtime_error(
        runtime_errc::invalid_config,
        "the store is of format " + std::to_string(found) + ", newer than this binary reads ("
          + std::to_string(store_format_current)
          + "): run the release that wrote it (see docs/storage-format.md)");
    if (found == store_format_current)
      return false;
  }
  return true;
}

caf::error mark_store_format(store& st) {
  return st.write({mutation{table::meta, std::string{store_format_key},
                            std::to_string(store_format_current), false}});
}

caf::error check_store_format(store& st) {
  auto needs = judge_store_format(st);
  if (!needs)
    return needs.error();
  return *needs ? mark_store_format(st) : caf::error{};
}

} // namespace sagaforge
