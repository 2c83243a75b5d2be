// sagaforge-crash-driver: the child process of the process.sigkill suite. It runs one real
// node (threaded group commit, LMDB with fsync durability, real CAF scheduler) on a given
// data folder and speaks a line protocol on stdout, one write(2) per line, so that a parent
// that SIGKILLs it at any moment has every line written before the kill.
//
//   sagaforge-crash-driver load   --dir D --sources N --dests M [--in-flight K] [--seed S]
//                                 [--window W] [--max-seconds T] [--nosync 1]
//     Drives commands through the node's client actor until killed (or T seconds pass):
//       Forward{to: dst(i), amount 1..9}  to counter/src-i   (dst(i) = counter/dst-(i mod M))
//       Add{amount 1..9}                  to counter/src-i
//       Add{amount 1000..9000}            to counter/dst-j   (multiples of 1000, so a
//                                         duplicated forward (1..9) can never pass for one)
//     Lines:  I <target> <seq> <F|A> <amount>   written BEFORE the command is sent
//             K <target> <seq>                  written only AFTER its ack arrived (the ack
//                                               follows the durable commit of the step)
//             E <target> <seq> <why>            a command failed or was rejected
//
//   sagaforge-crash-driver verify --dir D --sources N --dests M [--window W] [--timeout-s T]
//     Restarts on the same folder (start-up scan resumes every outbox), waits until every
//     counter's outbox is empty, then prints the counters.
//     Lines:  P <elapsed_ms> <outbox_total> <entities_with_outbox>   progress, ~every 100 ms
//             S <ref> <value> <applied> <forwarded> <outbox> <mode>
//             DL <dead letters>
//             STATS <steps> <duplicates> <resends> <dropped_busy> <startup_s> <log_records>
//                   <reactivated>
//             DONE                         (exit 0)  |  TIMEOUT ... (exit 3)
//
// Exit codes: 0 ok, 2 usage, 1 start failure, 3 verify timeout, 4 load failure or stall,
// 6 the node's actors did not stop after shutdown.
//
// Negative controls (to see the suite fail; never set by the suite):
// SAGAFORGE_CRASH_DRIVER_FAULT=early-ack    load reports "K" when it sends, not on the ack
// SAGAFORGE_CRASH_DRIVER_FAULT=extra-effect verify first adds 5 to counter/dst-0, like a
//                                           forward applied twice
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "caf/all.hpp"

#include "actors/counter/counter.hpp"
#include "counter.pb.h"
#include "runtime/client_actor.hpp"
#include "runtime/errors.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/runtime_config.hpp"

namespace {

using namespace sagaforge;
using clock_type = std::chrono::steady_clock;

struct args {
  std::string mode;
  std::string dir;
  int64_t sources = 8;
  int64_t dests = 3;
  int64_t in_flight = 256;
  uint64_t seed = 1;
  int64_t window = 64;
  int64_t max_seconds = 60;
  int64_t timeout_s = 60;
  int64_t nosync = 0;  // 1: LMDB without fsync (process.powerloss's sensitivity run)
};

/// One line, one write(2): a SIGKILL never leaves half a line behind a complete one.
void emit(const std::string& line) {
  std::string buf = line;
  buf.push_back('\n');
  const char* p = buf.data();
  size_t left = buf.size();
  while (left > 0) {
    auto n = ::write(STDOUT_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      std::_Exit(5);  // the parent went away
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

std::string fault() {
  auto* f = std::getenv("SAGAFORGE_CRASH_DRIVER_FAULT");
  return f ? f : "";
}

std::string src_ref(int64_t i) {
  return "counter/src-" + std::to_string(i);
}

std::string dst_ref(int64_t j) {
  return "counter/dst-" + std::to_string(j);
}

bool parse_args(int argc, char** argv, args& a) {
  if (argc < 2)
    return false;
  a.mode = argv[1];
  if (a.mode != "load" && a.mode != "verify")
    return false;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    char* end = nullptr;
    auto num = std::strtoll(argv[i + 1], &end, 10);
    bool is_num = end != argv[i + 1] && *end == '\0';
    if (k == "--dir") {
      a.dir = argv[i + 1];
      continue;
    }
    if (!is_num || num < 0) {
      std::fprintf(stderr, "crash-driver: %s expects a non-negative integer, got '%s'\n",
                   k.c_str(), argv[i + 1]);
      return false;
    }
    if (k == "--sources")
      a.sources = num;
    else if (k == "--dests")
      a.dests = num;
    else if (k == "--in-flight")
      a.in_flight = num;
    else if (k == "--seed")
      a.seed = static_cast<uint64_t>(num);
    else if (k == "--window")
      a.window = num;
    else if (k == "--max-seconds")
      a.max_seconds = num;
    else if (k == "--timeout-s")
      a.timeout_s = num;
    else if (k == "--nosync")
      a.nosync = num;
    else {
      std::fprintf(stderr, "crash-driver: unknown option %s\n", k.c_str());
      return false;
    }
  }
  if ((argc - 2) % 2 != 0) {
    std::fprintf(stderr, "crash-driver: option without a value\n");
    return false;
  }
  return !a.dir.empty() && a.sources > 0 && a.dests > 0 && a.in_flight > 0 && a.window > 0;
}

runtime_settings settings_for(const args& a) {
  runtime_settings s;
  s.data_dir = a.dir;
  s.durability_name = a.nosync != 0 ? "nosync" : "fsync";
  s.map_size_mb = 4096;
  s.shard_count = 16;  // fixed for the folder's life: both modes use the same value
  s.channel_window = a.window;
  s.retry_initial_backoff_ms = 100;
  s.retry_max_backoff_ms = 2000;
  s.retry_max_attempts = 1000;  // nothing may end as a dead letter in this test
  s.log_level = "warn";
  return s;
}

int run_load(node_runtime& node, const args& a) {
  caf::scoped_actor self{node.context().system()};
  std::mt19937_64 rng{a.seed};
  // This driver numbers the commands per target in send order. A receiver processes one
  // sender's envelopes in send order and acks each after its commit, so the client's
  // answers from one target arrive in that order too: the oldest outstanding command of a
  // target is the one an ack from it answers. (The client's own channel seqs are not
  // 1, 2, 3 per target: it keeps them only while requests are pending.)
  std::map<std::string, uint64_t> seqs;
  std::map<std::string, std::deque<uint64_t>> outstanding;
  int64_t in_flight = 0;
  auto deadline = clock_type::now() + std::chrono::seconds{a.max_seconds};
  auto issue = [&] {
    auto roll = rng() % 10;
    std::string target;
    typed_bytes msg;
    char kind = 'A';
    int64_t amount = 0;
    if (roll < 6) {  // forward through a source
      auto i = static_cast<int64_t>(rng() % static_cast<uint64_t>(a.sources));
      target = src_ref(i);
      amount = static_cast<int64_t>(rng() % 9) + 1;
      counter::Forward fw;
      fw.set_to(dst_ref(i % a.dests));
      fw.set_amount(amount);
      msg = typed_bytes::of(fw);
      kind = 'F';
    } else if (roll < 8) {  // add at a source
      target = src_ref(static_cast<int64_t>(rng() % static_cast<uint64_t>(a.sources)));
      amount = static_cast<int64_t>(rng() % 9) + 1;
      counter::Add add;
      add.set_amount(amount);
      msg = typed_bytes::of(add);
    } else {  // add directly at a destination
      target = dst_ref(static_cast<int64_t>(rng() % static_cast<uint64_t>(a.dests)));
      amount = 1000 * (static_cast<int64_t>(rng() % 9) + 1);
      counter::Add add;
      add.set_amount(amount);
      msg = typed_bytes::of(add);
    }
    auto seq = ++seqs[target];
    outstanding[target].push_back(seq);
    emit("I " + target + " " + std::to_string(seq) + " " + kind + " " + std::to_string(amount));
    self->send(node.client(), send_atom::value, target, msg.type, msg.payload,
               target + "#" + std::to_string(seq));
    if (fault() == "early-ack")
      emit("K " + target + " " + std::to_string(seq));
    ++in_flight;
  };
  int rc = 0;
  bool stalled = false;
  while (rc == 0 && !stalled) {
    bool issuing = clock_type::now() < deadline;
    if (!issuing && in_flight == 0)
      break;
    while (issuing && in_flight < a.in_flight)
      issue();
    self->receive(
      [&](const std::string& bytes) {
        --in_flight;
        Ack ack;
        if (!ack.ParseFromString(bytes)) {
          emit("E ? 0 ack-does-not-parse");
          rc = 4;
          return;
        }
        auto& queue = outstanding[ack.receiver()];
        if (queue.empty()) {
          emit("E " + ack.receiver() + " 0 ack-without-outstanding-command");
          rc = 4;
          return;
        }
        auto id = ack.receiver() + " " + std::to_string(queue.front());
        queue.pop_front();
        if (!ack.reply_error().empty() || ack.failed()) {
          emit("E " + id + " " + (ack.failed() ? "failed:" + ack.error() : ack.reply_error()));
          rc = 4;
          return;
        }
        emit("K " + id);
      },
      [&](caf::error& err) {
        --in_flight;
        emit("E ? 0 " + describe(err));
        rc = 4;
      },
      caf::after(std::chrono::seconds{20}) >> [&] {
        emit("E ? 0 no-ack-for-20s");
        stalled = true;
      });
  }
  if (stalled)
    rc = 4;
  emit(rc == 0 ? "END" : "END failed");
  return rc;
}

int run_verify(node_runtime& node, const args& a) {
  if (fault() == "extra-effect") {
    counter::Add add;
    add.set_amount(5);
    if (auto ack = node.ask(dst_ref(0), add); !ack)
      emit("E " + dst_ref(0) + " 0 " + describe(ack.error()));
  }
  std::vector<std::string> refs;
  for (int64_t i = 0; i < a.sources; ++i)
    refs.push_back(src_ref(i));
  for (int64_t j = 0; j < a.dests; ++j)
    refs.push_back(dst_ref(j));
  auto t0 = clock_type::now();
  auto deadline = t0 + std::chrono::seconds{a.timeout_s};
  std::vector<EntityReport> reports;
  bool drained = false;
  std::string why;
  for (;;) {
    reports.clear();
    uint64_t total = 0, busy = 0;
    bool all_ok = true;
    for (auto& ref : refs) {
      auto rep = node.inspect(ref, std::chrono::seconds{10});
      if (!rep) {
        all_ok = false;
        why = ref + ": " + describe(rep.error());
        reports.emplace_back();
        reports.back().set_ref(ref);
        continue;
      }
      if (!rep->error().empty() || rep->mode() != "running") {
        all_ok = false;
        why = ref + " is " + rep->mode() + ": " + rep->error();
      }
      total += rep->outbox_size();
      busy += rep->outbox_size() > 0 ? 1 : 0;
      reports.push_back(std::move(*rep));
    }
    auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
    emit("P " + std::to_string(elapsed) + " " + std::to_string(total) + " "
         + std::to_string(busy));
    if (all_ok && total == 0) {
      drained = true;
      break;
    }
    if (clock_type::now() > deadline) {
      if (why.empty())
        why = std::to_string(total) + " outbox entries left in " + std::to_string(busy)
              + " entities";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  for (auto& r : reports) {
    counter::CounterState s;
    if (!s.ParseFromString(r.state())) {
      emit("S " + r.ref() + " unparsable-state");
      continue;
    }
    emit("S " + r.ref() + " " + std::to_string(s.value()) + " " + std::to_string(s.applied())
         + " " + std::to_string(s.forwarded()) + " " + std::to_string(r.outbox_size()) + " "
         + (r.mode().empty() ? "?" : r.mode()));
  }
  auto dls = node.dead_letters();
  emit("DL " + (dls ? std::to_string(dls->size()) : "error:" + describe(dls.error())));
  auto& c = node.context().counters();
  auto& st = node.startup();
  char startup_s[32];
  std::snprintf(startup_s, sizeof startup_s, "%.3f", st.seconds);
  emit("STATS " + std::to_string(c.steps.load()) + " " + std::to_string(c.duplicates.load()) + " "
       + std::to_string(c.resends.load()) + " " + std::to_string(c.dropped_busy.load()) + " "
       + startup_s + " " + std::to_string(st.log_records) + " "
       + std::to_string(st.reactivated));
  if (!drained) {
    emit("TIMEOUT " + why);
    return 3;
  }
  emit("DONE");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  args a;
  if (!parse_args(argc, argv, a)) {
    std::fprintf(stderr,
                 "usage: sagaforge-crash-driver load|verify --dir D --sources N --dests M "
                 "[--in-flight K] [--seed S] [--window W] [--max-seconds T] [--timeout-s T]\n");
    return 2;
  }
  // stdout carries the protocol: logs go to stderr.
  auto logger = spdlog::stderr_color_mt("crash-driver");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);
  spdlog::set_pattern("%H:%M:%S.%e crash-driver[%P] %^%l%$ %v");
  sagaforge::runtime_system_config cfg;  // the production scheduler settings
  caf::actor_system sys{cfg};
  sagaforge::node_runtime::options opts;
  opts.settings = settings_for(a);
  opts.threaded_commit = true;
  auto node = sagaforge::node_runtime::start(sys, opts, {sagaforge::counter::make_counter_logic()});
  if (!node) {
    emit("E ? 0 start-failed " + sagaforge::describe(node.error()));
    return 1;
  }
  auto& st = (*node)->startup();
  char line[160];
  std::snprintf(line, sizeof line, "READY %.3f %llu %llu", st.seconds,
                static_cast<unsigned long long>(st.log_records),
                static_cast<unsigned long long>(st.reactivated));
  emit(line);
  int rc = a.mode == "load" ? run_load(**node, a) : run_verify(**node, a);
  // The node's actors use its context until they are gone: make sure (bounded) they are
  // before the node is destroyed. If they do not end, leave without destructors: every
  // commit is already durable (fsync).
  (*node)->shutdown();
  auto deadline = clock_type::now() + std::chrono::seconds{20};
  while (sys.registry().running() > 0 && clock_type::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  if (auto n = sys.registry().running(); n > 0) {
    std::fprintf(stderr, "crash-driver: %zu actors still running 20 s after shutdown\n", n);
    std::fflush(stderr);
    std::_Exit(rc == 0 ? 6 : rc);
  }
  return rc;
}
