// Validation of the options outside "sagaforge." (see process_options.hpp).
#include "runtime/process_options.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "caf/actor_system_config.hpp"
#include "caf/atom.hpp"
#include "caf/config_option.hpp"
#include "caf/config_value.hpp"
#include "caf/deep_to_string.hpp"

#include "runtime/errors.hpp"

namespace sagaforge {

namespace {

caf::error bad(const std::string& what) {
  return make_runtime_error(runtime_errc::invalid_config, what);
}

caf::error check_config_file(const caf::config_value& v) {
  auto* path = caf::get_if<std::string>(&v);
  if (!path)
    return bad("config-file: expects a path, got " + caf::deep_to_string(v));
  struct stat st {};
  if (::stat(path->c_str(), &st) != 0)
    return bad("config-file " + *path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return bad("config-file " + *path + " is not a regular file (a directory?)");
  return {};
}

caf::error check_leaf(const std::string& name, const caf::config_value& v,
                      const caf::config_option& opt) {
  // CAF's check lets a string pass for an atom, then drops the value unread.
  bool string_for_atom = caf::holds_alternative<std::string>(v) && opt.type_name() == "atom";
  if (string_for_atom || opt.check(v))
    return bad(name + ": expects " + std::string{opt.type_name().data(), opt.type_name().size()}
               + ", got " + caf::deep_to_string(v)
               + (string_for_atom ? " (atoms take single quotes: 'sharing')" : ""));
  return {};
}

/// Walks a group: a key is either a declared option (checked) or a nested group.
caf::error check_group(const std::string& prefix, const caf::settings& group,
                       const caf::config_option_set& declared) {
  for (auto& [key, value] : group) {
    auto name = prefix.empty() ? key : prefix + "." + key;
    if (prefix.empty() && key == "sagaforge")
      continue;  // load_runtime_settings owns it
    if (prefix.empty() && key == "config-file") {
      if (auto err = check_config_file(value))
        return err;
      continue;
    }
    // Top-level scalars are CAF's "global" options (e.g. --help, --dump-config).
    auto lookup = prefix.empty() ? "global." + key : name;
    if (auto* opt = declared.qualified_name_lookup(lookup)) {
      if (auto err = check_leaf(name, value, *opt))
        return err;
      continue;
    }
    if (auto* sub = caf::get_if<caf::settings>(&value)) {
      if (auto err = check_group(name, *sub, declared))
        return err;
      continue;
    }
    return bad("unknown option '" + name + "'"
               + (prefix.empty() ? " (a key outside any [section]?)"
                                 : " (a misspelt section or key? --help lists every option)"));
  }
  return {};
}

caf::error check_scheduler(const caf::settings& content) {
  if (auto n = caf::get_if<size_t>(&content, "scheduler.max-threads"); n && (*n < 1 || *n > 256))
    return bad("scheduler.max-threads: " + std::to_string(*n)
               + " is outside [1, 256] (0 threads would start a node that does nothing)");
  if (auto p = caf::get_if<caf::atom_value>(&content, "scheduler.policy")) {
    if (*p != caf::atom("sharing") && *p != caf::atom("stealing"))
      return bad("scheduler.policy: '" + caf::to_string(*p)
                 + "' is not 'sharing' or 'stealing'");
  }
  return {};
}

} // namespace

caf::error validate_process_options(const caf::settings& content,
                                    const caf::config_option_set& declared) {
  if (auto err = check_group("", content, declared))
    return err;
  // CAF drops a file's value of the wrong type from `content` without a word (policy="x"
  // for an atom): read the file again, untyped, and check every value it holds.
  if (auto path = caf::get_if<std::string>(&content, "config-file")) {
    auto raw = caf::actor_system_config::parse_config_file(path->c_str());
    if (!raw)
      return bad("config-file " + *path + ": " + caf::to_string(raw.error()));
    if (auto err = check_group("", *raw, declared))
      return err;
  }
  return check_scheduler(content);
}

} // namespace sagaforge
