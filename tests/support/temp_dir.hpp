// A fresh folder under $TMPDIR (or /tmp) for one test's data: mkdtemp, so parallel suites and
// repeated runs never share one; the prefix names the suite in a leftover folder.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace sagaforge::testing {

inline std::string make_temp_dir(const std::string& prefix) {
  std::string base = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  std::string tmpl = base + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed in " + base);
  return buf.data();
}

} // namespace sagaforge::testing
