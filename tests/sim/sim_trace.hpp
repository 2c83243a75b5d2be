// sim_trace: what a run did, step by step — a running hash of every scheduling choice and
// fault (for the determinism check: same seed, same hash) and the last K steps as text (what
// a failure prints, so the schedule that broke an invariant can be read without a replay).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace sagaforge::sim {

class sim_trace {
public:
  explicit sim_trace(size_t keep = 40) : keep_(keep) {}

  void add(std::string line) {
    mix(line);
    ++steps_;
    tail_.push_back(std::to_string(steps_) + " " + std::move(line));
    if (tail_.size() > keep_)
      tail_.pop_front();
  }

  /// FNV-1a over everything added (and anything mixed in, such as the final state).
  void mix(const std::string& s) {
    for (unsigned char c : s) {
      hash_ ^= c;
      hash_ *= 0x100000001B3ull;
    }
    hash_ ^= 0xFF;
    hash_ *= 0x100000001B3ull;
  }

  uint64_t hash() const { return hash_; }
  uint64_t steps() const { return steps_; }
  std::vector<std::string> tail() const { return {tail_.begin(), tail_.end()}; }

private:
  size_t keep_;
  uint64_t hash_ = 0xCBF29CE484222325ull;
  uint64_t steps_ = 0;
  std::deque<std::string> tail_;
};

} // namespace sagaforge::sim
