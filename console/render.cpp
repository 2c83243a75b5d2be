// Tables, times and colour (see render.hpp).
#include "console/render.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <sstream>

#include <sys/ioctl.h>
#include <unistd.h>

namespace sagaforge::console {

render_style render_style::detect(bool no_color) {
  render_style st;
  bool tty = ::isatty(STDOUT_FILENO) == 1;
  winsize ws{};
  if (tty && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    st.width = ws.ws_col;
  else if (auto* c = std::getenv("COLUMNS"); c && std::atoi(c) > 0 && std::atoi(c) < 10000)
    st.width = static_cast<size_t>(std::atoi(c));
  auto* nc = std::getenv("NO_COLOR");
  st.color = tty && !no_color && (nc == nullptr || *nc == '\0');
  return st;
}

namespace {

/// Display width, counting UTF-8 lead bytes only.
size_t text_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    n += (c & 0xC0) != 0x80;
  return n;
}

/// Cuts `s` to `w` columns, marking the cut with '~'.
std::string fit(const std::string& s, size_t w) {
  if (text_width(s) <= w)
    return s + std::string(w - text_width(s), ' ');
  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80 && ++n > w - 1)
      break;
    out.push_back(s[i]);
  }
  return out + "~";
}

}  // namespace

std::string table::str(const render_style& st) const {
  size_t cols = header_.size();
  std::vector<size_t> w(cols, 0);
  auto measure = [&](const std::vector<std::string>& r) {
    for (size_t i = 0; i < cols && i < r.size(); ++i)
      w[i] = std::max(w[i], text_width(r[i]));
  };
  measure(header_);
  for (auto& r : rows_)
    measure(r);
  if (st.width > 0) {  // shrink the widest column until the row (with gaps) fits
    auto total = [&] {
      size_t t = cols > 0 ? 2 * (cols - 1) : 0;
      for (auto x : w)
        t += x;
      return t;
    };
    while (total() > st.width) {
      auto widest = std::max_element(w.begin(), w.end());
      if (*widest <= 4)
        break;
      --*widest;
    }
  }
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& r, bool head) {
    std::string text;
    for (size_t i = 0; i < cols; ++i) {
      auto c = fit(i < r.size() ? r[i] : "", w[i]);
      text += (i ? "  " : "") + c;
    }
    while (!text.empty() && text.back() == ' ')
      text.pop_back();
    out << (head ? bold(st, text) : text) << "\n";
  };
  line(header_, true);
  for (auto& r : rows_)
    line(r, false);
  return out.str();
}

std::string at_text(int64_t ms) {
  if (ms <= 0)
    return "-";
  std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms % 1000));
  return std::string{buf} + frac;
}

std::string time_text(int64_t ms) {
  auto full = at_text(ms);
  return full.size() > 11 ? full.substr(11) : full;
}

std::string age_text(int64_t ms) {
  if (ms < 0)
    return "-";
  char buf[32];
  if (ms < 1000)
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
  else if (ms < 60000)
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000);
  else if (ms < 3600000)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60000),
                  static_cast<long long>(ms / 1000 % 60));
  else if (ms < 86400000)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(ms / 3600000),
                  static_cast<long long>(ms / 60000 % 60));
  else
    std::snprintf(buf, sizeof buf, "%lldd%lldh", static_cast<long long>(ms / 86400000),
                  static_cast<long long>(ms / 3600000 % 24));
  return buf;
}

std::string cell(const nlohmann::json& v) {
  if (v.is_null())
    return "-";
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_boolean())
    return v.get<bool>() ? "yes" : "no";
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {
std::string paint(const render_style& st, const char* code, const std::string& s) {
  return st.color ? std::string{"\x1b["} + code + "m" + s + "\x1b[0m" : s;
}
}  // namespace

std::string bold(const render_style& st, const std::string& s) {
  return paint(st, "1", s);
}
std::string red(const render_style& st, const std::string& s) {
  return paint(st, "31", s);
}
std::string green(const render_style& st, const std::string& s) {
  return paint(st, "32", s);
}
std::string yellow(const render_style& st, const std::string& s) {
  return paint(st, "33", s);
}

std::string fields(const std::vector<std::pair<std::string, std::string>>& kv) {
  size_t w = 0;
  for (auto& [k, v] : kv)
    w = std::max(w, k.size());
  std::string out;
  for (auto& [k, v] : kv)
    out += k + ":" + std::string(w - k.size() + 1, ' ') + v + "\n";
  return out;
}

}  // namespace sagaforge::console
