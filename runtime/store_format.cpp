// Store format marker: read, judge, write.
#include "runtime/store_format.hpp"

#include <charconv>
#include <string>

#include "runtime/errors.hpp"

namespace sagaforge {

caf::error check_store_format(store& st) {
  auto raw = st.get(table::meta, store_format_key);
  if (!raw)
    return raw.error();
  if (*raw) {
    const auto& text = **raw;
    uint32_t found = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), found);
    if (ec != std::errc{} || end != text.data() + text.size() || found == 0)
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
      return {};
  }
  return st.write({mutation{table::meta, std::string{store_format_key},
                            std::to_string(store_format_current), false}});
}

} // namespace sagaforge
