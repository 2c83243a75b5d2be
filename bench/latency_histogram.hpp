// latency_histogram: a lock-free log-linear histogram of durations in nanoseconds
// (16 sub-buckets per power of two, so a percentile is exact to within ~6 %). Recorded from
// any thread (CAF workers run the bench entity's decide); read once recording has stopped.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace sagaforge::bench {

class latency_histogram {
public:
  static constexpr int sub_bits = 4;
  static constexpr int bucket_count = 64 << sub_bits;

  void record(int64_t ns) {
    if (ns < 0)
      ns = 0;
    buckets_[index_of(static_cast<uint64_t>(ns))].fetch_add(1, std::memory_order_relaxed);
  }

  void reset() {
    for (auto& b : buckets_)
      b.store(0, std::memory_order_relaxed);
  }

  uint64_t count() const {
    uint64_t n = 0;
    for (auto& b : buckets_)
      n += b.load(std::memory_order_relaxed);
    return n;
  }

  /// The value (ns, bucket midpoint) below which a fraction `q` of the samples lie.
  double quantile_ns(double q) const {
    auto total = count();
    if (total == 0)
      return 0;
    auto rank = static_cast<uint64_t>(q * static_cast<double>(total - 1)) + 1;
    uint64_t seen = 0;
    for (int i = 0; i < bucket_count; ++i) {
      seen += buckets_[i].load(std::memory_order_relaxed);
      if (seen >= rank)
        return (static_cast<double>(lower_of(i)) + static_cast<double>(lower_of(i + 1))) / 2;
    }
    return static_cast<double>(lower_of(bucket_count - 1));
  }

private:
  static int index_of(uint64_t v) {
    if (v < (uint64_t{1} << sub_bits))
      return static_cast<int>(v);
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - sub_bits;
    auto sub = static_cast<int>((v >> shift) & ((1u << sub_bits) - 1));
    return ((shift + 1) << sub_bits) + sub;
  }

  static uint64_t lower_of(int i) {
    int major = i >> sub_bits;
    auto sub = static_cast<uint64_t>(i & ((1 << sub_bits) - 1));
    if (major == 0)
      return sub;
    int shift = major - 1;
    return ((uint64_t{1} << sub_bits) + sub) << shift;
  }

  std::array<std::atomic<uint64_t>, bucket_count> buckets_{};
};

} // namespace sagaforge::bench
