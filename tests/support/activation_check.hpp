// activation_check: reads the activation logs of a cluster's nodes (runtime/activation_log.hpp,
// format in docs/operations.md) and checks that no entity was active on two nodes at once.
// Per ref, the activations of different nodes must not overlap in time (back to back is
// fine), nor two of the same node. An activation without an end record (its process was
// killed, or its last ends were still buffered) is taken conservatively: it lasted until the
// next incarnation of its node opened its log (that process held the data folder's lock, so
// the old one was gone), or, without one, until the end of the run. With the shard map, the
// epoch each activation recorded must be one its node served the shard at: one node per
// (shard, epoch), none beyond the map's epoch, and the map's epoch only by the map's owner.
// Plain C++ (no CAF, no JSON), for the in-process unit case and the process suites alike.
#pragma once

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace sagaforge::testing {

struct shard_owner {
  std::string node;
  uint64_t epoch = 0;
};

struct activation_check_result {
  size_t nodes = 0;           // nodes with a log
  size_t incarnations = 0;    // processes (open lines)
  size_t unclosed = 0;        // incarnations without a close line (killed, crashed, running)
  size_t refs = 0;            // refs activated at least once
  size_t activations = 0;     // start records
  size_t ended = 0;           // ...with an end record
  size_t ended_by_restart = 0;  // ...without one, bounded by their node's next incarnation
  size_t open_at_end = 0;     // ...without one, taken as lasting until the end of the run
  size_t partial_tails = 0;   // logs whose last line was still being written (left out)
  std::map<std::string, size_t> by_node;  // start records per node
  std::vector<std::string> violations;

  bool ok() const { return violations.empty(); }

  std::string summary() const {
    std::ostringstream out;
    out << activations << " activations of " << refs << " refs on " << by_node.size()
        << " nodes (";
    for (auto i = by_node.begin(); i != by_node.end(); ++i)
      out << (i == by_node.begin() ? "" : ", ") << i->first << " " << i->second;
    out << "), " << nodes << " logs, " << incarnations << " incarnations (" << unclosed
        << " not closed); " << ended << " ended on record, " << ended_by_restart
        << " ended by their node's restart, " << open_at_end << " open at the end of the run; "
        << violations.size() << " violations";
    if (partial_tails > 0)
      out << " (" << partial_tails << " logs ended in a line still being written: left out)";
    return out.str();
  }
};

class activation_checker {
public:
  /// One node's log (appended across the node's restarts). A missing file is a violation.
  void read_file(const std::string& path) {
    std::ifstream in{path};
    if (!in) {
      problems_.push_back(path + ": cannot be read");
      return;
    }
    std::stringstream text;
    text << in.rdbuf();
    read_text(text.str(), path);
  }

  /// A last line without its newline is being written by a running node: it is left out
  /// (counted in `partial_tails`); read the log again once the node has stopped.
  void read_text(std::string text, const std::string& source) {
    if (auto nl = text.rfind('\n'); !text.empty() && nl != text.size() - 1) {
      text.resize(nl == std::string::npos ? 0 : nl + 1);
      ++partial_tails_;
    }
    std::istringstream in{text};
    std::string raw;
    for (size_t n = 1; std::getline(in, raw); ++n) {
      if (raw.empty() || raw[0] == '#')
        continue;
      auto where = source + ":" + std::to_string(n);
      std::vector<std::string> f;
      std::istringstream fields{raw};
      for (std::string x; std::getline(fields, x, '\t');)
        f.push_back(x);
      if (f.size() != 9) {
        problems_.push_back(where + ": " + std::to_string(f.size()) + " fields, 9 expected");
        continue;
      }
      record r{to_i64(f[0]), f[1], f[2], f[3], f[4], 0, 0, f[7], f[8], where};
      if (r.event == "start" || r.event == "end") {
        r.shard = static_cast<uint32_t>(to_i64(f[5]));
        r.epoch = static_cast<uint64_t>(to_i64(f[6]));
      }
      records_.push_back(std::move(r));
    }
  }

  /// The shard map the run ended with (index = shard); without one, epochs are not checked.
  void set_map(std::vector<shard_owner> map) { map_ = std::move(map); }

  activation_check_result check(int64_t run_end_us) const {
    activation_check_result out;
    out.violations = problems_;
    out.partial_tails = partial_tails_;
    std::map<inc_key, incarnation> incs;
    std::map<std::tuple<std::string, std::string, std::string>, interval> acts;  // node, inc, id
    std::set<std::string> nodes;
    for (auto& r : records_) {
      nodes.insert(r.node);
      auto& inc = incs[{r.node, r.incarnation}];
      if (r.event == "open") {
        inc.open_us = r.time_us;
        inc.opened = true;
      } else if (r.event == "close") {
        inc.closed = true;
      } else if (r.event == "full") {
        out.violations.push_back(r.where + ": the log of " + r.node
                                 + " is full: activations after it are not on record");
      } else if (r.event == "start") {
        auto [it, fresh] = acts.try_emplace({r.node, r.incarnation, r.activation});
        if (!fresh) {
          out.violations.push_back(r.where + ": activation " + r.activation + " started twice");
          continue;
        }
        it->second = interval{r.ref, r.node, r.incarnation, r.shard, r.epoch, r.time_us, 0,
                              false, r.where};
        ++out.by_node[r.node];
      } else if (r.event == "end") {
        auto it = acts.find({r.node, r.incarnation, r.activation});
        if (it == acts.end() || it->second.ref != r.ref || it->second.has_end) {
          out.violations.push_back(r.where + ": an end of " + r.ref + " without its start");
          continue;
        }
        it->second.end_us = r.time_us;
        it->second.has_end = true;
      } else {
        out.violations.push_back(r.where + ": unknown event '" + r.event + "'");
      }
    }
    for (auto& [key, inc] : incs) {
      if (!inc.opened)
        out.violations.push_back(key.first + " incarnation " + key.second
                                 + ": records without an open line");
      out.unclosed += inc.closed ? 0 : 1;
    }
    out.nodes = nodes.size();
    out.incarnations = incs.size();
    std::map<std::string, std::vector<interval>> by_ref;
    for (auto& [key, a] : acts) {
      auto iv = a;
      if (!iv.has_end && incs.at({a.node, a.incarnation}).closed)
        out.violations.push_back(a.where + ": " + a.ref + " has no end, yet its process "
                                 "closed its log in order");
      if (iv.has_end) {
        ++out.ended;
      } else if (auto next = next_open(incs, a.node, a.incarnation)) {
        iv.end_us = *next;
        ++out.ended_by_restart;
      } else {
        iv.end_us = run_end_us;
        ++out.open_at_end;
      }
      by_ref[a.ref].push_back(iv);
    }
    out.activations = acts.size();
    out.refs = by_ref.size();
    for (auto& [ref, ivs] : by_ref)
      check_ref(ref, ivs, out.violations);
    check_epochs(acts, out.violations);
    return out;
  }

private:
  struct record {
    int64_t time_us;
    std::string event, node, incarnation, ref;
    uint32_t shard;
    uint64_t epoch;
    std::string activation, note, where;
  };
  using inc_key = std::pair<std::string, std::string>;  // node, incarnation
  struct incarnation {
    int64_t open_us = 0;
    bool opened = false;
    bool closed = false;
  };
  struct interval {
    std::string ref, node, incarnation;
    uint32_t shard = 0;
    uint64_t epoch = 0;
    int64_t start_us = 0, end_us = 0;
    bool has_end = false;
    std::string where;
  };

  static int64_t to_i64(const std::string& s) {
    try {
      return std::stoll(s);
    } catch (...) {
      return -1;
    }
  }

  /// When the node's next process opened its log, if one did.
  static const int64_t* next_open(const std::map<inc_key, incarnation>& incs,
                                  const std::string& node, const std::string& inc) {
    auto self = incs.find({node, inc});
    const int64_t* best = nullptr;
    for (auto& [key, other] : incs)
      if (key.first == node && other.opened && other.open_us > self->second.open_us
          && (!best || other.open_us < *best))
        best = &other.open_us;
    return best;
  }

  static void check_ref(const std::string& ref, std::vector<interval>& ivs,
                        std::vector<std::string>& violations) {
    std::sort(ivs.begin(), ivs.end(),
              [](auto& a, auto& b) { return a.start_us < b.start_us; });
    std::map<std::string, const interval*> latest;  // per node: the interval ending last
    for (auto& iv : ivs) {
      if (iv.shard != ivs.front().shard)
        violations.push_back(iv.where + ": " + ref + " recorded in shard "
                             + std::to_string(iv.shard) + " and "
                             + std::to_string(ivs.front().shard));
      for (auto& [node, prev] : latest)
        if (prev->end_us > iv.start_us)  // back to back (end == start) is no overlap
          violations.push_back(ref + " active on " + prev->node + " (" + prev->where + ", until "
                               + std::to_string(prev->end_us)
                               + (prev->has_end ? "" : " at the latest: no end on record")
                               + ") and on " + iv.node + " (" + iv.where + ", from "
                               + std::to_string(iv.start_us) + ") at once");
      auto& slot = latest[iv.node];
      if (!slot || slot->end_us < iv.end_us)
        slot = &iv;
    }
  }

  template <class Acts>
  void check_epochs(const Acts& acts, std::vector<std::string>& violations) const {
    if (map_.empty())
      return;
    std::map<std::pair<uint32_t, uint64_t>, std::string> served_by;  // (shard, epoch) -> node
    for (auto& [key, a] : acts) {
      if (a.shard >= map_.size()) {
        violations.push_back(a.where + ": shard " + std::to_string(a.shard) + " of "
                             + std::to_string(map_.size()));
        continue;
      }
      auto& row = map_[a.shard];
      auto [it, fresh] = served_by.try_emplace({a.shard, a.epoch}, a.node);
      if (!fresh && it->second != a.node)
        violations.push_back(a.where + ": shard " + std::to_string(a.shard) + " at epoch "
                             + std::to_string(a.epoch) + " served by " + it->second + " and "
                             + a.node);
      if (a.epoch == 0 || a.epoch > row.epoch || (a.epoch == row.epoch && a.node != row.node))
        violations.push_back(a.where + ": " + a.ref + " activated on " + a.node + " at epoch "
                             + std::to_string(a.epoch) + " of shard " + std::to_string(a.shard)
                             + ", which the map gives to " + row.node + " at epoch "
                             + std::to_string(row.epoch));
    }
  }

  std::vector<record> records_;
  std::vector<std::string> problems_;
  size_t partial_tails_ = 0;
  std::vector<shard_owner> map_;
};

} // namespace sagaforge::testing
