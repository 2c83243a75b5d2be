// powerloss_undo: rolls a data.mdb back to what a power cut would have left, from the log that
// powerloss_shim.cpp wrote while the killed process ran (the record layout is in that file):
// the volatile writes since the last sync are undone newest first, the file is cut back to its
// size at the last sync, and the synchronous writes since are applied again in order.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace sagaforge::testing {

struct powerloss_rollback {
  int64_t undone = 0;          // volatile writes undone
  int64_t redone = 0;          // synchronous writes kept
  int64_t bytes_undone = 0;
  bool cut_record = false;     // the log ended inside a record (the kill came mid-append)
};

inline powerloss_rollback roll_back_unsynced(const std::string& log_path,
                                             const std::string& data_file) {
  constexpr uint32_t record_magic = 0x504c4f47;
  struct record {
    char kind;
    uint64_t off, len, size_before;
    std::string bytes;
  };
  std::ifstream in{log_path, std::ios::binary};
  std::string raw{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  std::vector<record> recs;
  powerloss_rollback out;
  size_t at = 0;
  auto u64 = [&](size_t pos) {
    uint64_t v;
    std::memcpy(&v, raw.data() + pos, 8);
    return v;
  };
  while (at < raw.size()) {
    if (raw.size() - at < 32) {
      out.cut_record = true;
      break;
    }
    uint32_t head[2];
    std::memcpy(head, raw.data() + at, 8);
    if (head[0] != record_magic || (head[1] != 'U' && head[1] != 'R'))
      throw std::runtime_error("power-loss log " + log_path + " is damaged at byte "
                               + std::to_string(at));
    record r{static_cast<char>(head[1]), u64(at + 8), u64(at + 16), u64(at + 24), {}};
    size_t n = r.kind == 'R' ? r.len
                             : (r.off >= r.size_before ? 0 : std::min(r.len, r.size_before - r.off));
    if (raw.size() - at - 32 < n) {
      out.cut_record = true;
      break;
    }
    r.bytes = raw.substr(at + 32, n);
    at += 32 + n;
    recs.push_back(std::move(r));
  }
  int fd = ::open(data_file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error("cannot open " + data_file + ": " + std::strerror(errno));
  auto put = [&](const std::string& bytes, uint64_t off) {
    if (!bytes.empty()
        && ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(off))
             != static_cast<ssize_t>(bytes.size()))
      throw std::runtime_error("pwrite to " + data_file + " failed");
  };
  bool any_undo = false;
  uint64_t size_at_sync = 0;
  for (auto i = recs.rbegin(); i != recs.rend(); ++i) {
    if (i->kind != 'U')
      continue;
    put(i->bytes, i->off);
    any_undo = true;
    size_at_sync = i->size_before;  // ends as the oldest undo record's
    ++out.undone;
    out.bytes_undone += static_cast<int64_t>(i->len);
  }
  if (any_undo && ::ftruncate(fd, static_cast<off_t>(size_at_sync)) != 0)
    throw std::runtime_error("ftruncate of " + data_file + " failed");
  for (auto& r : recs)
    if (r.kind == 'R') {
      put(r.bytes, r.off);
      ++out.redone;
    }
  ::fsync(fd);
  ::close(fd);
  std::ofstream{log_path, std::ios::trunc};  // consumed
  return out;
}

} // namespace sagaforge::testing
