// counter_cycles: the harness of the crash-and-restart suites over sagaforge-crash-driver's
// counter load (process.sigkill, process.failpoints, process.powerloss). One data folder; each
// cycle runs the load until it is killed (by the harness, or by itself at a failpoint),
// restarts on the folder, waits for every outbox to drain and checks the counters against the
// commands issued and acknowledged (the rules are in sigkill_test.cpp's comment and in
// check_cycle).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "caf/test/unit_test.hpp"

#include "tests/process/child_process.hpp"

#ifndef SAGAFORGE_CRASH_DRIVER
#error "SAGAFORGE_CRASH_DRIVER must name the sagaforge-crash-driver executable"
#endif

namespace sagaforge::testing {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;


inline constexpr int64_t n_sources = 8;
inline constexpr int64_t n_dests = 3;

inline std::string src_ref(int64_t i) {
  return "counter/src-" + std::to_string(i);
}

inline std::string dst_ref(int64_t j) {
  return "counter/dst-" + std::to_string(j);
}

inline int64_t env_int(const char* name, int64_t fallback) {
  if (auto* v = std::getenv(name); v && *v)
    return std::strtoll(v, nullptr, 10);
  return fallback;
}

inline std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in{line};
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

inline int64_t ms_since(clock_type::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t).count();
}

struct issued_cmd {
  char kind;  // 'F' forward, 'A' add
  int64_t amount;
};

struct channel_log {  // one receiver's commands from one driver incarnation
  std::vector<issued_cmd> issued;
  uint64_t acked_max = 0;
  uint64_t acks = 0;
};

struct counter_view {
  int64_t value = 0;
  int64_t applied = 0;
  int64_t forwarded = 0;
  int64_t outbox = 0;
  std::string mode;
};

struct load_outcome {
  bool killed = false;       // by the harness
  bool self_killed = false;  // by a failpoint in the driver
  int64_t paused_ms = 0;     // SIGSTOPped that long on the way
  int64_t issued = 0;
  int64_t acked = 0;
  int64_t ran_ms = 0;
};

struct verify_outcome {
  bool done = false;
  bool killed = false;
  int status = 0;
  int64_t ms = 0;
  int64_t outbox_at_kill = -1;
  int64_t first_outbox = -1;  // outbox total at the first progress line
  int64_t dead_letters = -1;
  std::string stats;
  std::string failure;
  std::map<std::string, counter_view> states;
};

struct counter_cycles {
  std::string dir;
  std::mt19937_64 rng;
  uint64_t seed;
  std::map<std::string, channel_log> logs;      // current cycle
  std::map<std::string, counter_view> before;   // state verified after the previous cycle
  int violations = 0;
  /// Sensitivity runs expect violations: they are counted and printed, not failures.
  bool counting_violations = false;
  /// When > 0, run_load stops the driver (SIGSTOP) this long halfway to its kill.
  int64_t pause_ms = 0;
  /// When set, run_load calls it after the first ack, every ~20 ms, with the acks so far and
  /// the milliseconds since the last one; `true` kills the load now (kill_after_ms stays the
  /// deadline).
  std::function<bool(int64_t acked, int64_t ms_since_last_ack)> steer;

  /// `name` names the data folder (BASE/sagaforge-NAME-XXXXXX, BASE = `base_dir` or TMPDIR);
  /// `seed_var` the environment variable that repeats a run's random choices.
  counter_cycles(const std::string& name, const char* seed_var, std::string base = {}) {
    seed = static_cast<uint64_t>(env_int(seed_var, std::random_device{}()));
    rng.seed(seed);
    if (base.empty())
      base = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
    std::string tmpl = base + "/sagaforge-" + name + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed in " + base);
    dir = buf.data();
  }

  ~counter_cycles() {
    if ((violations == 0 || counting_violations) && caf::test::engine::current_test()
        && caf::test::engine::current_test()->bad() == 0) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    } else {
      CAF_TEST_PRINT_ERROR("data folder kept for inspection: " << dir);
    }
  }

  /// Empties the data folder and forgets the counters' state: the next cycle starts on a new
  /// store. Long runs call it every few dozen cycles, since start-up still reads the whole
  /// log (issue 17) and would grow with every cycle's tens of thousands of steps.
  void fresh_folder() {
    std::error_code ec;
    for (auto& entry : std::filesystem::directory_iterator{dir, ec})
      std::filesystem::remove_all(entry.path(), ec);
    before.clear();
  }

  int64_t uniform(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
  }

  std::vector<std::string> driver_args(const std::string& mode, int64_t window) {
    return {SAGAFORGE_CRASH_DRIVER, mode,
            "--dir", dir,
            "--sources", std::to_string(n_sources),
            "--dests", std::to_string(n_dests),
            "--window", std::to_string(window)};
  }

  void violation(int cycle, const std::string& what) {
    ++violations;
    if (counting_violations)
      CAF_MESSAGE("cycle " << cycle << " (expected): " << what);
    else
      CAF_ERROR("cycle " << cycle << ": " << what);
  }

  /// Runs the load and SIGKILLs it `kill_after_ms` after its first acknowledgement, unless it
  /// kills itself first (a failpoint named in `env`: then `self_killed`). `extra_args` go to
  /// the driver, `env` ("NAME=value") to its environment.
  load_outcome run_load(int cycle, int64_t window, int64_t in_flight, int64_t kill_after_ms,
                        const std::vector<std::string>& env = {},
                        const std::vector<std::string>& extra_args = {}) {
    load_outcome out;
    logs.clear();
    auto args = driver_args("load", window);
    args.insert(args.end(), {"--in-flight", std::to_string(in_flight), "--seed",
                             std::to_string(rng() % 1000000000), "--max-seconds", "60"});
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    child_process child{args, false, env};
    auto t0 = clock_type::now();
    std::optional<clock_type::time_point> first_ack;
    auto last_ack = t0;
    std::vector<std::string> lines;
    while (!child.eof()) {
      lines.clear();
      child.read_lines(20ms, lines);
      for (auto& line : lines) {
        auto w = words(line);
        if (w.empty())
          continue;
        if (w[0] == "I" && w.size() == 5) {
          auto& log = logs[w[1]];
          auto seq = std::stoull(w[2]);
          if (seq != log.issued.size() + 1)
            violation(cycle, "driver numbered " + w[1] + " seq " + w[2] + " out of order");
          log.issued.push_back(issued_cmd{w[3][0], std::stoll(w[4])});
          ++out.issued;
        } else if (w[0] == "K" && w.size() == 3) {
          auto& log = logs[w[1]];
          auto seq = std::stoull(w[2]);
          if (seq == 0 || seq > log.issued.size())
            violation(cycle, "ack for " + w[1] + " seq " + w[2] + " that was never issued");
          log.acked_max = std::max<uint64_t>(log.acked_max, seq);
          ++log.acks;
          ++out.acked;
          last_ack = clock_type::now();
          if (!first_ack)
            first_ack = last_ack;
        } else if (w[0] == "READY") {
          CAF_MESSAGE("cycle " << cycle << ": load driver pid " << child.pid() << " up ("
                               << line << ")");
        } else if (w[0] == "E" || w[0] == "END") {
          violation(cycle, "load driver reported '" + line + "' before it was killed");
        } else {
          violation(cycle, "unexpected line from the load driver: '" + line + "'");
        }
      }
      if (pause_ms > 0 && out.paused_ms == 0 && first_ack
          && ms_since(*first_ack) >= kill_after_ms / 2) {
        // Halfway to the kill the whole process stops (SIGSTOP: a stalled VM, a debugger)
        // and resumes: its timers, resends and timeouts all fall due at once.
        child.send_signal(SIGSTOP);
        std::this_thread::sleep_for(std::chrono::milliseconds{pause_ms});
        child.send_signal(SIGCONT);
        out.paused_ms = pause_ms;
      }
      if (!out.killed && first_ack
          && (ms_since(*first_ack) >= kill_after_ms + out.paused_ms
              || (steer && steer(out.acked, ms_since(last_ack))))) {
        child.kill9();
        out.killed = true;
        out.ran_ms = ms_since(t0);
      }
      if (!out.killed && !first_ack && ms_since(t0) > 30000) {
        violation(cycle, "no acknowledgement within 30 s of starting the load");
        child.kill9();
        out.killed = true;
      }
      if (out.killed && ms_since(t0) > out.ran_ms + 20000) {
        violation(cycle, "the killed load driver's pipe did not close within 20 s");
        break;
      }
    }
    if (!out.killed) {  // the pipe closed: the driver died by itself
      out.self_killed = true;
      out.ran_ms = ms_since(t0);
    }
    if (!child.partial().empty())
      violation(cycle, "half a line at the end of the load output: '" + child.partial() + "'");
    auto status = child.wait();
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
      violation(cycle, "load driver ended with " + child_process::describe_status(status)
                         + " instead of being killed");
    return out;
  }

  /// Restarts on the folder and waits for every outbox to drain; with `kill_mid_resend`
  /// the restarted node is SIGKILLed while it still has outbox entries to resend.
  verify_outcome run_verify(int cycle, int64_t window, bool kill_mid_resend,
                            int64_t kill_after_ms = 0, const std::vector<std::string>& env = {}) {
    verify_outcome out;
    auto args = driver_args("verify", window);
    args.insert(args.end(), {"--timeout-s", "90"});
    child_process child{args, false, env};
    auto t0 = clock_type::now();
    std::optional<clock_type::time_point> ready;
    std::vector<std::string> lines;
    while (!child.eof()) {
      lines.clear();
      child.read_lines(20ms, lines);
      for (auto& line : lines) {
        auto w = words(line);
        if (w.empty())
          continue;
        if (w[0] == "READY") {
          ready = clock_type::now();
          CAF_MESSAGE("cycle " << cycle << ": verify driver pid " << child.pid() << " up ("
                               << line << ")");
        } else if (w[0] == "P" && w.size() == 4) {
          auto outbox = std::stoll(w[2]);
          if (out.first_outbox < 0)
            out.first_outbox = outbox;
          if (kill_mid_resend && !out.killed && ready && ms_since(*ready) >= kill_after_ms
              && outbox > 0) {
            child.kill9();
            out.killed = true;
            out.outbox_at_kill = outbox;
          }
        } else if (w[0] == "S" && w.size() == 7) {
          counter_view v;
          v.value = std::stoll(w[2]);
          v.applied = std::stoll(w[3]);
          v.forwarded = std::stoll(w[4]);
          v.outbox = std::stoll(w[5]);
          v.mode = w[6];
          out.states[w[1]] = v;
        } else if (w[0] == "DL" && w.size() == 2) {
          out.dead_letters = std::strtoll(w[1].c_str(), nullptr, 10);
          if (w[1].find_first_not_of("0123456789") != std::string::npos)
            out.failure = "dead letters unreadable: " + line;
        } else if (w[0] == "STATS") {
          out.stats = line;
        } else if (w[0] == "DONE") {
          out.done = true;
        } else if (w[0] == "TIMEOUT" || w[0] == "E") {
          out.failure = line;
        } else {
          violation(cycle, "unexpected line from the verify driver: '" + line + "'");
        }
      }
      if (ms_since(t0) > 150000) {
        violation(cycle, "verify driver still running after 150 s");
        child.kill9();
        break;
      }
    }
    out.status = child.wait();
    out.ms = ms_since(t0);
    return out;
  }

  /// The checks of one cycle, against the state verified before it (see the file comment).
  void check_cycle(int cycle, const verify_outcome& v) {
    struct totals {
      int64_t issued = 0, acked = 0, applied = 0, applied_unacked = 0;
    } t;
    std::map<std::string, int64_t> fw_sum, fw_count;  // per destination, this cycle
    auto prefix_of = [](const channel_log& log, int64_t delta) -> int64_t {
      int64_t sum = 0;
      for (size_t n = 0;; ++n) {
        if (sum == delta)
          return static_cast<int64_t>(n);
        if (n == log.issued.size() || sum > delta)
          return -1;
        sum += log.issued[n].amount;
      }
    };
    auto describe_log = [](const channel_log& log) {
      int64_t total = 0, acked_sum = 0;
      for (size_t n = 0; n < log.issued.size(); ++n) {
        total += log.issued[n].amount;
        if (n < log.acked_max)
          acked_sum += log.issued[n].amount;
      }
      return std::to_string(log.issued.size()) + " commands issued (sum " + std::to_string(total)
             + "), acknowledged up to seq " + std::to_string(log.acked_max) + " (prefix sum "
             + std::to_string(acked_sum) + ")";
    };
    auto account = [&](const channel_log& log, int64_t k) {
      t.issued += static_cast<int64_t>(log.issued.size());
      t.acked += static_cast<int64_t>(log.acks);
      t.applied += k;
      t.applied_unacked += k - static_cast<int64_t>(log.acked_max);
    };
    for (int64_t i = 0; i < n_sources; ++i) {
      auto ref = src_ref(i);
      auto& log = logs[ref];
      auto& now = v.states.at(ref);
      auto& was = before[ref];
      auto dv = now.value - was.value;
      auto k = prefix_of(log, dv);
      if (k < 0) {
        violation(cycle, ref + " value grew by " + std::to_string(dv)
                           + ", which is no prefix of its commands: " + describe_log(log)
                           + ". An effect was lost or applied twice.");
        continue;
      }
      int64_t fsum = 0, fcount = 0, adds = 0;
      for (int64_t n = 0; n < k; ++n) {
        auto& c = log.issued[static_cast<size_t>(n)];
        if (c.kind == 'F') {
          fsum += c.amount;
          ++fcount;
        } else {
          ++adds;
        }
      }
      if (k < static_cast<int64_t>(log.acked_max))
        violation(cycle, ref + " took only the first " + std::to_string(k)
                           + " commands but seq " + std::to_string(log.acked_max)
                           + " was acknowledged: an acknowledged step was lost");
      if (now.forwarded - was.forwarded != fsum)
        violation(cycle, ref + " forwarded grew by " + std::to_string(now.forwarded - was.forwarded)
                           + ", its first " + std::to_string(k) + " commands forward "
                           + std::to_string(fsum));
      if (now.applied - was.applied != adds)
        violation(cycle, ref + " applied grew by " + std::to_string(now.applied - was.applied)
                           + ", its first " + std::to_string(k) + " commands hold "
                           + std::to_string(adds) + " adds");
      auto dst = dst_ref(i % n_dests);
      fw_sum[dst] += now.forwarded - was.forwarded;
      fw_count[dst] += fcount;
      account(log, k);
    }
    for (int64_t j = 0; j < n_dests; ++j) {
      auto ref = dst_ref(j);
      auto& log = logs[ref];
      auto& now = v.states.at(ref);
      auto& was = before[ref];
      auto direct = now.value - was.value - fw_sum[ref];
      auto k = prefix_of(log, direct);
      if (k < 0) {
        violation(cycle, ref + " value grew by " + std::to_string(now.value - was.value)
                           + "; its senders recorded " + std::to_string(fw_sum[ref])
                           + " forwarded, which leaves " + std::to_string(direct)
                           + ", no prefix of its direct adds: " + describe_log(log)
                           + ". A forward was lost or applied twice.");
        continue;
      }
      if (k < static_cast<int64_t>(log.acked_max))
        violation(cycle, ref + " took only the first " + std::to_string(k)
                           + " direct adds but seq " + std::to_string(log.acked_max)
                           + " was acknowledged: an acknowledged step was lost");
      if (now.applied - was.applied != fw_count[ref] + k)
        violation(cycle, ref + " applied grew by " + std::to_string(now.applied - was.applied)
                           + ", expected " + std::to_string(fw_count[ref]) + " forwards + "
                           + std::to_string(k) + " direct adds (a duplicate effect?)");
      account(log, k);
    }
    CAF_MESSAGE("cycle " << cycle << ": " << t.issued << " commands issued, " << t.acked
                         << " acknowledged, " << t.applied << " applied (" << t.applied_unacked
                         << " of them committed but not acknowledged before the kill, "
                         << (t.issued - t.applied) << " lost unacknowledged)");
    if (t.applied < t.acked)
      violation(cycle, "fewer commands applied than acknowledged");
    if (t.applied > t.issued)
      violation(cycle, "more commands applied than issued");
  }

  void check_drained(int cycle, const verify_outcome& v) {
    if (!v.done || !WIFEXITED(v.status) || WEXITSTATUS(v.status) != 0)
      violation(cycle, "verify did not finish: " + child_process::describe_status(v.status)
                         + (v.failure.empty() ? "" : " (" + v.failure + ")"));
    if (!v.failure.empty())
      violation(cycle, "verify reported: " + v.failure);
    CAF_CHECK_EQUAL(v.dead_letters, 0);
    for (int64_t i = 0; i < n_sources + n_dests; ++i) {
      auto ref = i < n_sources ? src_ref(i) : dst_ref(i - n_sources);
      auto s = v.states.find(ref);
      if (s == v.states.end()) {
        violation(cycle, "verify printed no state for " + ref);
        continue;
      }
      if (s->second.outbox != 0 || s->second.mode != "running")
        violation(cycle, ref + " is " + s->second.mode + " with " + std::to_string(s->second.outbox)
                           + " outbox entries after the drain");
    }
  }
};

} // namespace sagaforge::testing
