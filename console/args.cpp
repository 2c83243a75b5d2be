// Command-line words, flags and values (see args.hpp).
#include "console/args.hpp"

#include <regex>

namespace sagaforge::console {

bool split_words(const std::string& line, std::vector<std::string>& out, std::string& why) {
  out.clear();
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote)
        quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < line.size())
        cur.push_back(line[++i]);
      else
        cur.push_back(c);
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      cur.push_back(line[++i]);
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word)
        out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur.push_back(c);
      in_word = true;
    }
  }
  if (quote) {
    why = std::string{"unterminated "} + quote + " quote";
    return false;
  }
  if (in_word)
    out.push_back(cur);
  return true;
}

bool parse_args(const std::vector<std::string>& words, const flag_spec& spec, parsed_args& out,
                std::string& why) {
  bool flags_done = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const auto& w = words[i];
    if (flags_done || w.size() < 2 || w[0] != '-' || std::isdigit(static_cast<unsigned char>(w[1]))) {
      out.positional.push_back(w);
      continue;
    }
    if (w == "--") {
      flags_done = true;
      continue;
    }
    auto eq = w.find('=');
    auto name = w.substr(0, eq);
    if (spec.switches.count(name) && eq == std::string::npos) {
      out.values[name] = "";
    } else if (spec.with_value.count(name)) {
      if (eq != std::string::npos)
        out.values[name] = w.substr(eq + 1);
      else if (i + 1 < words.size())
        out.values[name] = words[++i];
      else {
        why = name + " needs a value";
        return false;
      }
    } else {
      why = "unknown flag " + name.substr(0, 40);
      return false;
    }
  }
  return true;
}

bool parse_count(const std::string& text, int64_t lo, int64_t hi, int64_t& out) {
  if (text.empty() || text.size() > 18)
    return false;
  for (char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
  out = std::stoll(text);
  return out >= lo && out <= hi;
}

bool parse_duration(const std::string& text, int64_t& ms) {
  static const std::regex shape{R"(^([0-9]{1,12})(ms|s|m|h|d)?$)"};
  std::smatch m;
  if (!std::regex_match(text, m, shape))
    return false;
  int64_t n = std::stoll(m[1]);
  std::string unit = m[2];
  int64_t mult = unit == "s" ? 1000 : unit == "m" ? 60000 : unit == "h" ? 3600000
               : unit == "d" ? 86400000 : 1;
  if (n > 366LL * 86400000 / mult)
    return false;
  ms = n * mult;
  return true;
}

bool valid_ref(const std::string& ref) {
  static const std::regex shape{R"(^[a-z][a-z0-9_]{0,63}/[^/\s]{1,200}$)"};
  return std::regex_match(ref, shape);
}

}  // namespace sagaforge::console
