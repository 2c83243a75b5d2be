// sim_rng: the simulator's only source of randomness — splitmix64, seeded by the run's seed.
// Written out (not <random>'s distributions) so the choices a seed makes are the same with
// every standard library: a seed printed by a failing CI run replays the same schedule here.
#pragma once

#include <cstdint>

namespace sagaforge::sim {

class sim_rng {
public:
  // The start is the seed hashed, not the seed scaled: splitmix64 walks its state by a fixed
  // increment, so a linear start would make seed n+1's stream seed n's shifted by one draw
  // (neighbouring seeds replaying nearly the same choices).
  explicit sim_rng(uint64_t seed) : s_(mix(seed ^ 0x6A09E667F3BCC909ull)) {}

  uint64_t next() { return mix(s_ += 0x9E3779B97F4A7C15ull); }

  /// Uniform in [0, n); n > 0. (The modulo bias is far below anything a schedule notices.)
  uint64_t below(uint64_t n) { return next() % n; }

  /// Uniform in [lo, hi].
  int64_t range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }

  /// True with probability permille / 1000.
  bool chance(int64_t permille) { return static_cast<int64_t>(below(1000)) < permille; }

private:
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  uint64_t s_;
};

} // namespace sagaforge::sim
