// report implementation.
#include "bench/report.hpp"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace sagaforge::bench {

namespace {

/// 1234567.8 -> "1,234,568" (decimals = 0) or "1,234,567.80".
std::string grouped(double v, int decimals) {
  if (!std::isfinite(v))
    return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(v));
  std::string s{buf};
  auto dot = s.find('.');
  auto int_end = dot == std::string::npos ? s.size() : dot;
  std::string out;
  for (size_t i = 0; i < int_end; ++i) {
    out += s[i];
    auto left = int_end - i - 1;
    if (left > 0 && left % 3 == 0)
      out += ',';
  }
  out += s.substr(int_end);
  return (v < 0 ? "-" : "") + out;
}

} // namespace

void report::add(std::string key, double value, std::string label, int decimals) {
  entries_.push_back(entry{std::move(key), value, std::move(label), decimals, false});
}

void report::add(std::string key, std::string value, std::string label) {
  entries_.push_back(entry{std::move(key), std::move(value), std::move(label), 0, false});
}

void report::section(std::string title) {
  entries_.push_back(entry{"", std::string{}, std::move(title), 0, true});
}

void report::print(bool json) const {
  if (json) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (auto& e : entries_) {
      if (e.is_section)
        continue;
      if (auto* d = std::get_if<double>(&e.value)) {
        if (!std::isfinite(*d))
          j[e.key] = nullptr;
        else if (e.decimals == 0 && std::fabs(*d) < 9e15)
          j[e.key] = static_cast<int64_t>(std::llround(*d));
        else
          j[e.key] = *d;
      } else {
        j[e.key] = std::get<std::string>(e.value);
      }
    }
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  for (auto& e : entries_) {
    if (e.is_section) {
      std::printf("%s\n", e.label.c_str());
      continue;
    }
    std::string value = std::holds_alternative<double>(e.value)
                          ? grouped(std::get<double>(e.value), e.decimals)
                          : std::get<std::string>(e.value);
    std::printf("  %-44s %14s   [%s]\n", e.label.c_str(), value.c_str(), e.key.c_str());
  }
  std::fflush(stdout);
}

void progress(const char* fmt, ...) {
  std::fprintf(stderr, "[bench] ");
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "\n");
}

} // namespace sagaforge::bench
