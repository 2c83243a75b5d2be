// proc_stats: what Linux says about this process — resident memory (now and peak) and
// CPU time per thread (from /proc/self/task/<tid>/schedstat, in ns). Any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace sagaforge::bench {

struct memory_sample {
  uint64_t rss_kb = 0;       // VmRSS
  uint64_t peak_rss_kb = 0;  // VmHWM
  uint64_t rss_anon_kb = 0;  // RssAnon (heap, stacks; excludes LMDB's file mapping)
  uint64_t rss_file_kb = 0;  // RssFile (LMDB pages touched through its read-only map)
};

memory_sample read_memory();

/// Returns unused heap to the kernel first (malloc_trim, or tcmalloc's ReleaseFreeMemory), so
/// deltas measure live memory.
memory_sample read_memory_trimmed();

struct thread_cpu {
  uint64_t ns = 0;   // time on a core
  std::string name;  // /proc/.../comm, e.g. "caf.clock"
};

/// CPU time of every thread of this process, by Linux thread id.
std::map<int, thread_cpu> thread_cpu_ns();

/// CPU time of the whole process (user + system), ns.
uint64_t process_cpu_ns();

/// CPU time of the calling thread, seconds.
double thread_cpu_s();

/// CPU time of the whole process, seconds.
inline double process_cpu_s() {
  return static_cast<double>(process_cpu_ns()) / 1e9;
}

int current_tid();

/// Flush latency of the disk right now: `n` times (append 4 KiB + fdatasync) to a new
/// file in `dir` (removed). Returns {p50, p99} in microseconds ({0, 0} on error).
std::pair<double, double> fsync_probe_us(const std::string& dir, int n = 200);

/// The 1-minute load average (/proc/loadavg): other work on this machine during a run.
double load_average_1m();

} // namespace sagaforge::bench
