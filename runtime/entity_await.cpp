// Polling many entities until each has reached a state.
#include "runtime/entity_await.hpp"

#include <thread>

namespace sagaforge {

std::vector<std::string>
await_entities(node_runtime& node, std::string_view type,
               const std::function<bool(const EntityReport&)>& done,
               std::chrono::steady_clock::time_point deadline,
               const std::function<void(const EntityReport&)>& on_done) {
  auto open = node.known_refs(std::string{type});
  for (;;) {
    std::vector<std::string> still;
    for (auto& ref : open) {
      auto rep = node.inspect(ref, std::chrono::seconds{5});
      if (rep && rep->error().empty() && done(*rep)) {
        if (on_done)
          on_done(*rep);
      } else {
        still.push_back(ref);
      }
    }
    open.swap(still);
    if (open.empty() || !node.context().pipeline().healthy()
        || std::chrono::steady_clock::now() > deadline)
      return open;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
}

} // namespace sagaforge
