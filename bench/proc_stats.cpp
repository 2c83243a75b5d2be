// proc_stats implementation (Linux /proc).
#include "bench/proc_stats.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#ifdef SAGAFORGE_TCMALLOC
#include <gperftools/malloc_extension.h>
#endif
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace sagaforge::bench {

memory_sample read_memory() {
  memory_sample m;
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f)
    return m;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    auto field = [&](const char* name, uint64_t& out) {
      auto n = std::strlen(name);
      if (std::strncmp(line, name, n) == 0)
        out = std::strtoull(line + n, nullptr, 10);
    };
    field("VmRSS:", m.rss_kb);
    field("VmHWM:", m.peak_rss_kb);
    field("RssAnon:", m.rss_anon_kb);
    field("RssFile:", m.rss_file_kb);
  }
  std::fclose(f);
  return m;
}

memory_sample read_memory_trimmed() {
#ifdef SAGAFORGE_TCMALLOC
  MallocExtension::instance()->ReleaseFreeMemory();
#else
  malloc_trim(0);
#endif
  return read_memory();
}

std::map<int, thread_cpu> thread_cpu_ns() {
  std::map<int, thread_cpu> out;
  DIR* d = opendir("/proc/self/task");
  if (!d)
    return out;
  while (auto* e = readdir(d)) {
    if (e->d_name[0] == '.')
      continue;
    auto dir = std::string{"/proc/self/task/"} + e->d_name;
    thread_cpu t;
    if (FILE* f = std::fopen((dir + "/schedstat").c_str(), "r")) {
      unsigned long long ns = 0;
      if (std::fscanf(f, "%llu", &ns) == 1)
        t.ns = ns;
      std::fclose(f);
    }
    if (FILE* f = std::fopen((dir + "/comm").c_str(), "r")) {
      char name[64] = {};
      if (std::fgets(name, sizeof name, f))
        t.name = name;
      std::fclose(f);
      while (!t.name.empty() && (t.name.back() == '\n' || t.name.back() == ' '))
        t.name.pop_back();
    }
    out[std::atoi(e->d_name)] = std::move(t);
  }
  closedir(d);
  return out;
}

uint64_t process_cpu_ns() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto ns = [](const timeval& tv) {
    return static_cast<uint64_t>(tv.tv_sec) * 1000000000ull
           + static_cast<uint64_t>(tv.tv_usec) * 1000ull;
  };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

std::pair<double, double> fsync_probe_us(const std::string& dir, int n) {
  auto path = dir + "/fsync-probe.tmp";
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0)
    return {0, 0};
  std::vector<double> us;
  char block[4096];
  std::memset(block, 'f', sizeof block);
  for (int i = 0; i < n; ++i) {
    if (::write(fd, block, sizeof block) != static_cast<ssize_t>(sizeof block))
      break;
    auto t0 = std::chrono::steady_clock::now();
    if (::fdatasync(fd) != 0)
      break;
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                   .count());
  }
  ::close(fd);
  ::unlink(path.c_str());
  if (us.empty())
    return {0, 0};
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100]};
}

double load_average_1m() {
  double l = 0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &l) != 1)
      l = 0;
    std::fclose(f);
  }
  return l;
}

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int current_tid() {
  return static_cast<int>(syscall(SYS_gettid));
}

} // namespace sagaforge::bench
