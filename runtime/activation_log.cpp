// The activation log (see activation_log.hpp; format in docs/operations.md).
#include "runtime/activation_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <spdlog/spdlog.h>

#include "runtime/errors.hpp"

namespace sagaforge {

namespace {

constexpr size_t buffer_max = 65536;  // buffered ends written at once beyond this

int64_t system_clock_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

/// time_us, event, node, incarnation, ref, shard, epoch, activation, note.
std::string line(int64_t at_us, const char* event, const std::string& node, int64_t inc,
                 std::string_view ref, std::string shard, std::string epoch,
                 std::string activation, std::string_view note) {
  std::string out;
  out.reserve(96 + ref.size());
  out += std::to_string(at_us);
  for (std::string_view field : {std::string_view{event}, std::string_view{node}})
    out.append("\t").append(field);
  out.append("\t").append(std::to_string(inc));
  out.append("\t").append(ref.empty() ? "-" : ref);
  for (auto* field : {&shard, &epoch, &activation})
    out.append("\t").append(*field);
  out.append("\t").append(note.empty() ? "-" : note).append("\n");
  return out;
}

} // namespace

const char* to_string(activation_end why) {
  switch (why) {
    case activation_end::passivated:
      return "passivated";
    case activation_end::broken:
      return "broken";
    case activation_end::store_failed:
      return "store-failed";
    case activation_end::crashed:
      return "crashed";
    case activation_end::shutdown:
      return "shutdown";
    case activation_end::not_started:
      return "not-started";
  }
  return "?";
}

caf::expected<std::shared_ptr<activation_log>> activation_log::open(options opts) {
  if (!opts.clock_us)
    opts.clock_us = system_clock_us;
  int fd = ::open(opts.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    auto cause = std::strerror(errno);
    if (fd >= 0)
      ::close(fd);
    return make_runtime_error(runtime_errc::invalid_config,
                              "sagaforge.diagnostics.activation-log: cannot open " + opts.path
                                + ": " + cause);
  }
  std::shared_ptr<activation_log> log{new activation_log(std::move(opts), fd, st.st_size)};
  log->append("# sagaforge activation log: time_us event node incarnation ref shard epoch "
              "activation note\n",
              false);
  log->append(line(log->incarnation_, "open", log->opts_.node, log->incarnation_, {}, "-", "-",
                   "-", "pid=" + std::to_string(::getpid())),
              true);
  log->flusher_ = std::thread{[p = log.get()] { p->flusher(); }};
  return log;
}

activation_log::activation_log(options opts, int fd, int64_t size)
  : opts_(std::move(opts)), fd_(fd), incarnation_(opts_.clock_us()), bytes_(size) {
}

activation_log::~activation_log() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
    if (!closed_)
      write_out();
  }
  wake_.notify_all();
  if (flusher_.joinable())
    flusher_.join();
  ::close(fd_);
}

void activation_log::started(std::string_view ref, uint32_t shard, uint64_t epoch,
                             uint64_t activation) {
  append(line(opts_.clock_us(), "start", opts_.node, incarnation_, ref, std::to_string(shard),
              std::to_string(epoch), std::to_string(activation), {}),
         true);
}

void activation_log::ended(std::string_view ref, uint32_t shard, uint64_t epoch,
                           uint64_t activation, activation_end why) {
  append(line(opts_.clock_us(), "end", opts_.node, incarnation_, ref, std::to_string(shard),
              std::to_string(epoch), std::to_string(activation), to_string(why)),
         false);
}

void activation_log::flush() {
  std::lock_guard<std::mutex> guard{mtx_};
  write_out();
}

void activation_log::close() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closed_)
      return;
    // Appended by hand: append() takes the lock.
    if (!full_)
      buf_ += line(opts_.clock_us(), "close", opts_.node, incarnation_, {}, "-", "-", "-", {});
    write_out();
    closed_ = true;
    stopping_ = true;
  }
  wake_.notify_all();
  if (flusher_.joinable())
    flusher_.join();
}

void activation_log::append(std::string text, bool write_through) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_ || full_ || failed_)
    return;
  if (bytes_ + static_cast<int64_t>(buf_.size() + text.size()) > opts_.max_bytes) {
    // Past the bound nothing more is recorded; the one line that says so lets a reader
    // refuse to draw conclusions from what is missing.
    full_ = true;
    buf_ += line(opts_.clock_us(), "full", opts_.node, incarnation_, {}, "-", "-", "-",
                 "max-bytes=" + std::to_string(opts_.max_bytes));
    write_out();
    spdlog::warn("activation log {} reached {} bytes: nothing more is recorded", opts_.path,
                 opts_.max_bytes);
    return;
  }
  buf_ += text;
  if (write_through || buf_.size() >= buffer_max)
    write_out();
}

void activation_log::write_out() {
  size_t done = 0;
  while (done < buf_.size() && !failed_) {
    auto n = ::write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      failed_ = true;
      spdlog::error("activation log {}: write failed ({}): nothing more is recorded",
                    opts_.path, std::strerror(errno));
      break;
    }
    done += static_cast<size_t>(n);
  }
  bytes_ += static_cast<int64_t>(done);
  buf_.clear();
}

void activation_log::flusher() {
  std::unique_lock<std::mutex> guard{mtx_};
  while (!stopping_) {
    wake_.wait_for(guard, std::chrono::milliseconds{opts_.flush_ms});
    if (!buf_.empty())
      write_out();
  }
}

} // namespace sagaforge
