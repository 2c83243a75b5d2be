// activation_log: an optional, append-only record of when each entity was active on this
// node, so that a test can check that no entity was ever active on two nodes at once. A test
// and diagnostic facility, off by default (sagaforge.diagnostics.activation-log), bounded by
// diagnostics.activation-log-max-bytes; the format is docs/operations.md's "Activation log".
// One tab-separated line per event: an `open` when the process opens the log (after it holds
// its data folder's lock), a `start` when the directory activates an entity, an `end` when
// the directory drops it (passivation, a broken or failed entity's retirement, a crash of its
// actor, an orderly shutdown), a `close` at the end of an orderly shutdown.
// Thread-safe: the directory writes from any actor's thread, under a stripe lock. A start is
// written to the file at once, before the entity's actor exists (so a kill -9 never loses
// the record of a running activation); ends are buffered and written by a flusher thread every
// activation-log-flush-ms, before the next start, and at close: a kill -9 can lose the ends of
// the last moments, so a reader must take an activation without an end as lasting until
// its process is known to be gone.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "caf/expected.hpp"

namespace sagaforge {

/// Why an activation ended (the `end` line's last field).
enum class activation_end : uint8_t {
  passivated,    // handed over after its final commit
  broken,        // a broken entity (corrupt store, unknown type) retired by the sweeper
  store_failed,  // its commit failed: the entity stopped (fail-stop)
  crashed,       // its actor exited abnormally
  shutdown,      // the node stopped in order; written once the actor has exited
  not_started,   // the directory could not start its actor
};

const char* to_string(activation_end why);

class activation_log {
public:
  struct options {
    std::string path;
    std::string node;           // the node id every line carries
    int64_t max_bytes = 268435456;  // the file's size at most (earlier processes' lines count)
    int64_t flush_ms = 200;     // buffered ends are written at least this often
    /// Wall-clock µs since the epoch (the system clock unless a test sets one).
    std::function<int64_t()> clock_us;
  };

  /// Opens (creates or appends to) the file and writes the `open` line; the error names
  /// the path and the cause (runtime.invalid_config).
  static caf::expected<std::shared_ptr<activation_log>> open(options opts);

  /// Stops the flusher and writes what is buffered, without a `close` line (not an orderly
  /// end: a reader then treats this process's activations without an end as open).
  ~activation_log();

  activation_log(const activation_log&) = delete;
  activation_log& operator=(const activation_log&) = delete;

  /// This process's incarnation: the time of its `open` line, µs since the epoch.
  int64_t incarnation() const { return incarnation_; }

  /// `epoch`: the shard's map epoch this node serves it at (0: no map, a single node).
  void started(std::string_view ref, uint32_t shard, uint64_t epoch, uint64_t activation);
  void ended(std::string_view ref, uint32_t shard, uint64_t epoch, uint64_t activation,
             activation_end why);

  /// Writes what is buffered (the flusher does this every flush_ms).
  void flush();

  /// Orderly end: a `close` line, everything written, the flusher stopped. Idempotent.
  void close();

private:
  activation_log(options opts, int fd, int64_t size);
  void append(std::string line, bool write_through);
  void write_out();  // with mtx_ held
  void flusher();

  options opts_;
  int fd_;
  int64_t incarnation_;
  std::mutex mtx_;
  std::condition_variable wake_;
  std::string buf_;
  int64_t bytes_;  // the file's size with buf_ written
  bool full_ = false;
  bool failed_ = false;
  bool stopping_ = false;
  bool closed_ = false;
  std::thread flusher_;
};

using activation_log_ptr = std::shared_ptr<activation_log>;

} // namespace sagaforge
