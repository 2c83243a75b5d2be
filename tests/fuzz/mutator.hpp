// The mutation engine: a seeded PRNG (splitmix64, the same sequence on every platform and
// standard library) and stacked mutations of corpus entries: bit flips, byte replace, insert
// and delete, truncation, chunk duplication, splicing two entries, interesting integers
// (0, 0xff, 0x7f..., lengths near the input's size, both byte orders) and dictionary tokens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sagaforge::fuzz {

class prng {
public:
  explicit prng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform enough in [0, n) for n > 0 (modulo bias is irrelevant here).
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
  bool one_in(size_t n) { return below(n) == 0; }

private:
  uint64_t s_;
};

/// A new input from `corpus` (not empty): one entry, mutated 1 to 8 times, at most `max_len`.
std::string mutate(prng& rng, const std::vector<std::string>& corpus,
                   const std::vector<std::string>& dictionary, size_t max_len);

} // namespace sagaforge::fuzz
