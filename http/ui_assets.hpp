// The web view's static files (ui/), compiled into the node by http/CMakeLists.txt from
// ui_assets.cpp.in, so /ui/ needs no install path. Read-only data; any thread.
#pragma once

#include <string_view>

namespace sagaforge::http {

struct ui_asset {
  std::string_view name;     // "index.html", "app.js"
  std::string_view content;
};

/// The asset called `name`, or null.
const ui_asset* find_ui_asset(std::string_view name);

}  // namespace sagaforge::http
