// A fixed-bucket histogram of relaxed atomics: written on a hot path (the commit writer, an
// HTTP worker) without a lock, read at scrape time by /metrics (http/metrics_collector).
// Buckets are upper bounds in the metric's base unit (seconds, steps); a read is a
// consistent-enough view for monitoring, not an exact cut.
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <memory>
#include <vector>

namespace sagaforge {

class atomic_histogram {
public:
  struct reading {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;  // per bucket (not cumulative); the last is above all bounds
    double sum = 0;
    uint64_t count = 0;
  };

  explicit atomic_histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
    for (size_t i = 0; i < bounds_.size(); ++i)
      assert(i == 0 || bounds_[i - 1] < bounds_[i]);  // ascending, or buckets lie
    for (size_t i = 0; i <= bounds_.size(); ++i)
      counts_[i].store(0);
  }

  void observe(double v) {
    size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i])
      ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    auto old = sum_.load(std::memory_order_relaxed);
    while (!sum_.compare_exchange_weak(old, old + v, std::memory_order_relaxed)) {
    }
    count_.fetch_add(1, std::memory_order_relaxed);
  }

  reading read() const {
    reading r;
    r.bounds = bounds_;
    for (size_t i = 0; i <= bounds_.size(); ++i)
      r.counts.push_back(counts_[i].load(std::memory_order_relaxed));
    r.sum = sum_.load(std::memory_order_relaxed);
    r.count = 0;
    for (auto c : r.counts)
      r.count += c;  // from the buckets, so count == the +Inf bucket in the exposition
    return r;
  }

  /// Exponential bounds: first, first*factor, ... (n of them).
  static std::vector<double> exponential(double first, double factor, size_t n) {
    std::vector<double> out;
    for (double b = first; out.size() < n; b *= factor)
      out.push_back(b);
    return out;
  }

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

}  // namespace sagaforge
