// The sample counter's commands as the runtime suites send them (one place, not one copy
// per suite).
#pragma once

#include <cstdint>
#include <string>

#include "counter.pb.h"

namespace sagaforge::testing {

inline counter::Add add(int64_t n) {
  counter::Add a;
  a.set_amount(n);
  return a;
}

inline counter::Forward forward(const std::string& to, int64_t n) {
  counter::Forward f;
  f.set_to(to);
  f.set_amount(n);
  return f;
}

} // namespace sagaforge::testing
