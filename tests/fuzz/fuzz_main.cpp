// sagaforge-fuzz: a bounded random mutation fuzzer (no libFuzzer: CI builds with gcc). Owns
// the driver only: command line, corpus, time box, and catching a crash with its input.
//
//   sagaforge-fuzz [--target T]... [--seed S] [--iterations N | --seconds X]
//                  [--corpus DIR] [--crash-dir DIR]
//   sagaforge-fuzz --target T --input FILE     run one input (a reproducer) and say what it did
//   sagaforge-fuzz --write-corpus DIR          write every target's seeds (real encoders)
//   sagaforge-fuzz --list
//
// Each target first runs every file of DIR/<target>/ as it is, then mutated inputs from a PRNG
// seeded by (S, target name): `--target T --seed S --iterations N` replays exactly the same N
// inputs. --seconds X splits X evenly over the targets (the whole run's time box); with both,
// whichever ends first. It prints iterations/s per target.
//
// A crash leaves its input in CRASH-DIR/crash-<target>.bin, written when it happens, not
// before every call: the current input stays in memory and is written by the sanitizers'
// death callback (ASan, UBSan reports), by a handler of SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGABRT
// (asserts, std::terminate for an exception nothing caught), by the driver for an exception
// escaping a target or a broken property (fuzz_target.hpp: a finding), and by a watchdog thread
// for an input that runs longer than --hang-seconds (default 20). Only SIGKILL escapes it.
// Exit status: 0 no finding, 1 a finding, 2 bad usage.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

#include <google/protobuf/stubs/logging.h>

#include "tests/fuzz/fuzz_target.hpp"
#include "tests/fuzz/mutator.hpp"

namespace fs = std::filesystem;
using namespace sagaforge::fuzz;

namespace {

// -- what the crash paths write (set before each call; read from signal context) -------------
char crash_path[4096];
char crash_target[128];
const char* volatile current_data = nullptr;
volatile size_t current_size = 0;
std::atomic<uint64_t> current_iter{0};
std::atomic<uint64_t> calls{0};  // inputs run so far: the watchdog's sign of progress
uint64_t current_seed = 0;
std::atomic<bool> written{false};

void say(const char* s) {
  auto n = ::write(2, s, std::strlen(s));
  (void) n;
}

void say_u64(uint64_t v) {
  char buf[24];
  char* p = buf + sizeof buf;
  *--p = '\0';
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  say(p);
}

/// Async-signal-safe: writes the current input once and says how to reproduce it.
void write_reproducer(const char* why) {
  if (written.exchange(true) || crash_path[0] == '\0')
    return;
  int fd = ::open(crash_path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd >= 0) {
    const char* d = current_data;
    size_t left = current_size;
    while (d && left > 0) {
      auto n = ::write(fd, d, left);
      if (n <= 0)
        break;
      d += n;
      left -= static_cast<size_t>(n);
    }
    ::close(fd);
  }
  say("\nsagaforge-fuzz: FINDING (");
  say(why);
  say(") in target ");
  say(crash_target);
  say(" at iteration ");
  say_u64(current_iter.load());
  say(" (seed ");
  say_u64(current_seed);
  say(")\nsagaforge-fuzz: input written to ");
  say(crash_path);
  say("\nsagaforge-fuzz: reproduce: sagaforge-fuzz --target ");
  say(crash_target);
  say(" --input ");
  say(crash_path);
  say("\n");
}

void on_signal(int sig) {
  write_reproducer(sig == SIGABRT ? "abort" : "signal");
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

#if defined(__SANITIZE_ADDRESS__)
void on_sanitizer_death() {
  write_reproducer("sanitizer report");
}
#endif

void install_crash_handlers() {
  for (int sig : {SIGABRT, SIGFPE, SIGILL, SIGBUS
#if !defined(__SANITIZE_ADDRESS__)
                  , SIGSEGV  // under ASan its own handler reports, then the death callback
#endif
       }) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
  }
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_set_death_callback(on_sanitizer_death);
#endif
}

// -- the driver --------------------------------------------------------------------------------

struct options {
  std::vector<std::string> targets;
  uint64_t seed = 1;
  uint64_t iterations = 0;  // per target; 0: until the time box
  double seconds = 0;       // the whole run; 0: no time box
  double hang_seconds = 20;
  std::string corpus = SAGAFORGE_SOURCE_DIR "/tests/fuzz/corpus";
  std::string crash_dir = ".";
  std::string input;
  std::string write_corpus;
  bool list = false;
};

int usage(const char* why) {
  std::fprintf(stderr, "sagaforge-fuzz: %s\n(see the comment atop tests/fuzz/fuzz_main.cpp)\n",
               why);
  return 2;
}

uint64_t name_hash(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string read_file(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> load_corpus(const options& o, target& t) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto& e : fs::directory_iterator{fs::path{o.corpus} / t.name, ec})
    if (e.is_regular_file())
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (auto& f : files)
    out.push_back(read_file(f));
  if (out.empty()) {
    std::fprintf(stderr, "sagaforge-fuzz: no corpus in %s/%s: using the built-in seeds\n",
                 o.corpus.c_str(), t.name.c_str());
    out = t.seeds();
  }
  if (out.empty())
    out.emplace_back();
  return out;
}

/// Runs one input; false (after writing the reproducer) when something escaped the target.
bool run_one(target& t, const std::string& input, uint64_t iter) {
  current_data = input.data();
  current_size = input.size();
  current_iter = iter;
  ++calls;
  try {
    t.run(input, t.caught, t.skipped);
    current_data = nullptr;
    return true;
  } catch (const finding& f) {
    write_reproducer("broken property");
    std::fprintf(stderr, "sagaforge-fuzz: %s\n", f.what());
  } catch (const std::exception& e) {
    write_reproducer("exception escaped");
    std::fprintf(stderr, "sagaforge-fuzz: std::exception escaped the target: %s\n", e.what());
  } catch (...) {
    write_reproducer("exception escaped");
    std::fprintf(stderr, "sagaforge-fuzz: a non-std exception escaped the target\n");
  }
  return false;
}

void start_watchdog(double hang_seconds) {
  std::thread{[hang_seconds] {
    auto last = calls.load();
    auto since = std::chrono::steady_clock::now();
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds{250});
      auto now_iter = calls.load();
      auto now = std::chrono::steady_clock::now();
      if (now_iter != last) {
        last = now_iter;
        since = now;
      } else if (std::chrono::duration<double>(now - since).count() > hang_seconds
                 && current_data != nullptr) {
        write_reproducer("hang");
        std::_Exit(1);
      }
    }
  }}.detach();
}

int write_corpus(const options& o, std::vector<target>& all) {
  for (auto& t : all) {
    if (!o.targets.empty()
        && std::find(o.targets.begin(), o.targets.end(), t.name) == o.targets.end())
      continue;
    auto dir = fs::path{o.write_corpus} / t.name;
    fs::create_directories(dir);
    auto seeds = t.seeds();
    for (size_t i = 0; i < seeds.size(); ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "seed-%03zu", i);
      std::ofstream{dir / name, std::ios::binary} << seeds[i];
    }
    std::printf("%s: %zu seeds in %s\n", t.name.c_str(), seeds.size(), dir.c_str());
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage(("missing value after " + a).c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--target")
      o.targets.push_back(value());
    else if (a == "--seed")
      o.seed = std::stoull(value());
    else if (a == "--iterations")
      o.iterations = std::stoull(value());
    else if (a == "--seconds")
      o.seconds = std::stod(value());
    else if (a == "--hang-seconds")
      o.hang_seconds = std::stod(value());
    else if (a == "--corpus")
      o.corpus = value();
    else if (a == "--crash-dir")
      o.crash_dir = value();
    else if (a == "--input")
      o.input = value();
    else if (a == "--write-corpus")
      o.write_corpus = value();
    else if (a == "--list")
      o.list = true;
    else
      return usage(("unknown argument " + a).c_str());
  }
  auto all = all_targets();
  if (o.list) {
    for (auto& t : all)
      std::printf("%s\n", t.name.c_str());
    return 0;
  }
  for (auto& name : o.targets)
    if (std::none_of(all.begin(), all.end(), [&](auto& t) { return t.name == name; }))
      return usage(("no target " + name + " (--list names them)").c_str());
  if (!o.write_corpus.empty())
    return write_corpus(o, all);
  std::vector<target*> chosen;
  for (auto& t : all)
    if (o.targets.empty() || std::find(o.targets.begin(), o.targets.end(), t.name)
                               != o.targets.end())
      chosen.push_back(&t);
  if (!o.input.empty() && chosen.size() != 1)
    return usage("--input needs exactly one --target");
  if (o.input.empty() && o.iterations == 0 && o.seconds <= 0)
    return usage("give --iterations N or --seconds X (or --input FILE)");

  // Protobuf logs every invalid UTF-8 string it parses: millions of lines here.
  google::protobuf::SetLogHandler(nullptr);
  install_crash_handlers();
  start_watchdog(o.hang_seconds);
  current_seed = o.seed;
  fs::create_directories(o.crash_dir);

  if (!o.input.empty()) {
    auto& t = *chosen[0];
    std::snprintf(crash_target, sizeof crash_target, "%s", t.name.c_str());
    crash_path[0] = '\0';  // the input is on disk already
    auto bytes = read_file(o.input);
    bool ok = run_one(t, bytes, 0);
    std::printf("%s: %zu bytes: %s (%llu caught as the node catches)\n", t.name.c_str(),
                bytes.size(), ok ? "no finding" : "FINDING",
                static_cast<unsigned long long>(t.caught));
    return ok ? 0 : 1;
  }

  using clock = std::chrono::steady_clock;
  double per_target = o.seconds > 0 ? o.seconds / static_cast<double>(chosen.size()) : 0;
  uint64_t total = 0;
  double total_secs = 0;
  for (auto* tp : chosen) {
    auto& t = *tp;
    std::snprintf(crash_target, sizeof crash_target, "%s", t.name.c_str());
    std::snprintf(crash_path, sizeof crash_path, "%s/crash-%s.bin", o.crash_dir.c_str(),
                  t.name.c_str());
    auto corpus = load_corpus(o, t);
    auto t0 = clock::now();
    // The corpus as it is first: each entry is a regression case.
    for (auto& in : corpus)
      if (!run_one(t, in, 0))
        return 1;
    prng rng{o.seed ^ name_hash(t.name)};
    uint64_t n = 0;
    double secs = 0;
    for (;;) {
      if (o.iterations && n >= o.iterations)
        break;
      if (per_target > 0 && (n & 15) == 0) {
        secs = std::chrono::duration<double>(clock::now() - t0).count();
        if (secs >= per_target)
          break;
      }
      auto input = mutate(rng, corpus, t.dictionary, t.max_len);
      if (!run_one(t, input, ++n))
        return 1;
    }
    secs = std::chrono::duration<double>(clock::now() - t0).count();
    std::printf("%-12s %9llu iterations in %6.1f s: %8.0f/s (corpus %zu, caught %llu, skipped %llu)\n",
                t.name.c_str(), static_cast<unsigned long long>(n), secs,
                static_cast<double>(n) / std::max(secs, 1e-9), corpus.size(),
                static_cast<unsigned long long>(t.caught),
                static_cast<unsigned long long>(t.skipped));
    std::fflush(stdout);
    total += n;
    total_secs += secs;
  }
  current_data = nullptr;
  std::printf("sagaforge-fuzz: %llu iterations over %zu targets in %.1f s (seed %llu): no "
              "finding\n",
              static_cast<unsigned long long>(total), chosen.size(), total_secs,
              static_cast<unsigned long long>(o.seed));
  return 0;
}
