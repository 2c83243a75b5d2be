// process.hardening: the real sagaforge-node binary at the edges issue 16 found, one test per
// defect class, each asserting the exit code (docs/operations.md: 1 failed while running,
// 2 refused, 3 store damaged or lost) and the message (the path and the cause named):
//   one node per data folder; the store cannot be opened; a damaged data.mdb; a lost data.mdb
//   (no silent reset); a changed shard count; a full disk (the node waits, refuses new work
//   over HTTP with the reason, and resumes once space is freed); bad options.
// Every node gets HTTP on port 0 and a small store in a temporary folder. The full-disk and
// read-only cases mount a small tmpfs (root with CAP_SYS_ADMIN); where mounting is refused
// they say so and skip, they never pass silently.
#define CAF_SUITE process.hardening
#include "caf/test/unit_test.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/process/node_process.hpp"
#include "tests/support/shell_run.hpp"

using namespace sagaforge::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr int exit_failed = 1;
constexpr int exit_refused = 2;
constexpr int exit_damaged = 3;
constexpr uint64_t page_size = 4096;  // LMDB's page size on x86-64 Linux

/// A store the small demo wrote and a clean stop closed (8 shards), built once; each case
/// copies it.
class golden_store {
public:
  static golden_store& get() {
    static golden_store instance;
    return instance;
  }

  std::string data() const { return folder_ / "data"; }

  const std::string& error() const { return error_; }

private:
  golden_store() : folder_("golden") {
    auto r = run_node(node_args(data(), small_demo()), 90s);
    if (!r.exited_with(0))
      error_ = "the clean demo run that makes the test store ended with " + r.how() + r.tail();
  }
  temp_folder folder_;
  std::string error_;
};

/// A copy of the golden store's data folder in `into`/data; empty (and an error) when the
/// golden store could not be made.
std::string copy_store(const temp_folder& into) {
  auto& golden = golden_store::get();
  if (!golden.error().empty()) {
    CAF_ERROR(golden.error());
    return {};
  }
  auto dir = into / "data";
  fs::copy(golden.data(), dir, fs::copy_options::recursive);
  return dir;
}

void zero_bytes(const std::string& file, uint64_t offset, uint64_t length) {
  std::fstream f{file, std::ios::in | std::ios::out | std::ios::binary};
  f.seekp(static_cast<std::streamoff>(offset));
  std::string zeros(length, '\0');
  f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  if (!f)
    throw std::runtime_error("cannot zero bytes of " + file);
}

// -- where the pages are: just enough of LMDB's file format (lmdb/mdb.c, 64-bit) ------------
//
// A zeroed page that no tree uses (a free one) damages nothing, so the damaged-pages case zeroes
// a page the `log` table's tree holds: a leaf in the middle of it, reached through the newest
// meta page, the main tree's leaf that names `log`, and the branch pages above the leaf.
// Reading it, a cursor that steps onto that leaf from its left sibling trips LMDB's assertion
// IS_LEAF (mdb_cursor_next), the SIGABRT the issue saw.

std::string read_page(const std::string& file, uint64_t pgno) {
  std::ifstream in{file, std::ios::binary};
  in.seekg(static_cast<std::streamoff>(pgno * page_size));
  std::string page(page_size, '\0');
  in.read(page.data(), static_cast<std::streamsize>(page.size()));
  return in ? page : std::string{};
}

template <class T>
T field(const std::string& page, size_t offset) {
  T out{};
  if (offset + sizeof(T) <= page.size())
    std::memcpy(&out, page.data() + offset, sizeof(T));
  return out;
}

constexpr size_t page_header = 16;  // pgno 8, pad 2, flags 2, lower 2, upper 2
constexpr uint16_t p_branch = 0x01, p_leaf = 0x02;

uint16_t page_flags(const std::string& page) {
  return field<uint16_t>(page, 10);
}

size_t page_keys(const std::string& page) {
  return (field<uint16_t>(page, 12) - page_header) / 2;
}

size_t node_at(const std::string& page, size_t i) {
  return field<uint16_t>(page, page_header + 2 * i);
}

/// The root page of the main tree (the one naming the tables) in the newer meta page; 0 when
/// the file does not read as expected.
uint64_t newest_main_root(const std::string& file) {
  // Meta pages 0 and 1: MDB_meta after the page header; the newer transaction id wins. The
  // main tree is mm_dbs[1], its root at byte 16 + 72 + 40, the txnid at byte 16 + 128.
  uint64_t main_root = 0, best_txn = 0;
  for (uint64_t m = 0; m < 2; ++m) {
    auto meta = read_page(file, m);
    if (meta.empty() || field<uint32_t>(meta, 16) != 0xBEEFC0DE)
      return 0;
    if (auto txn = field<uint64_t>(meta, 144); txn >= best_txn) {
      best_txn = txn;
      main_root = field<uint64_t>(meta, 128);
    }
  }
  return main_root;
}

/// The page number of a leaf in the middle of the `log` table's tree; 0 when the file does
/// not read as expected (the caller says so).
uint64_t middle_log_leaf(const std::string& file) {
  auto main_root = newest_main_root(file);
  // The main tree of a store with four tables is one leaf: node = lo 2, hi 2, flags 2,
  // ksize 2, key, then the table's MDB_db (root at byte 40 of it).
  auto main = main_root > 1 ? read_page(file, main_root) : std::string{};
  if (main.empty() || !(page_flags(main) & p_leaf))
    return 0;
  uint64_t pgno = 0;
  for (size_t i = 0; i < page_keys(main); ++i) {
    auto n = node_at(main, i);
    auto ksize = field<uint16_t>(main, n + 6);
    if (std::string{main.data() + n + 8, std::min<size_t>(ksize, page_size - n - 8)} == "log")
      pgno = field<uint64_t>(main, n + 8 + ksize + 40);
  }
  // Down the branch pages, always through the middle child; a branch node's child page
  // number is its lo, hi and flags fields (48 bits).
  for (int depth = 0; pgno != 0 && depth < 8; ++depth) {
    auto page = read_page(file, pgno);
    if (page.empty())
      return 0;
    if (page_flags(page) & p_leaf)
      return pgno;
    if (!(page_flags(page) & p_branch) || page_keys(page) < 2)
      return 0;
    auto n = node_at(page, std::max<size_t>(1, page_keys(page) / 2));
    pgno = uint64_t{field<uint16_t>(page, n)} | uint64_t{field<uint16_t>(page, n + 2)} << 16
           | uint64_t{field<uint16_t>(page, n + 4)} << 32;
  }
  return 0;
}

/// Checks exit code and message of one refused (or failed) run; the line found is printed.
/// Not fatal (CAF_FAIL would abort the runner and leave folders and mounts behind).
void expect(const std::string& what, const node_run& r, int code,
            std::initializer_list<std::string> fragments) {
  auto line = r.find(fragments);
  bool ok = r.exited_with(code) && line >= 0;
  std::string want;
  for (auto& f : fragments)
    want += " '" + f + "'";
  SAGAFORGE_CHECK_MSG(ok, what << ": expected exit " << code << " and a line with" << want
                               << ", got " << r.how() << " after " << r.seconds
                               << " s; last lines:" << r.tail());
  if (ok)
    CAF_MESSAGE(what << ": " << r.how() << ": " << r.lines[static_cast<size_t>(line)]);
}

} // namespace

CAF_TEST(a second node on a data folder in use exits 2 naming the folder and the holder) {
  temp_folder tmp{"lock"};
  auto dir = tmp / "data";
  auto t0 = node_clock::now();
  child_process first{node_args(dir), true};
  // The lock is taken when the store opens, before "node up" is logged.
  std::vector<std::string> first_lines;
  while (!first.eof() && node_clock::now() - t0 < 30s
         && std::none_of(first_lines.begin(), first_lines.end(),
                         [](auto& l) { return l.find("node up") != std::string::npos; }))
    first.read_lines(100ms, first_lines);
  if (first.eof()) {
    CAF_ERROR("the first node ended before it was up: " << child_process::describe_status(
                first.wait()));
    return;
  }
  auto second = run_node(node_args(dir), 30s);
  expect("second node", second, exit_refused,
         {"data folder " + dir + " is in use by another process (pid "
            + std::to_string(first.pid()) + ")",
          "one node per data folder"});
  // The first node was not disturbed: it stops cleanly on SIGTERM.
  first.send_signal(SIGTERM);
  auto r = finish_node(first, node_clock::now(), 30s);
  CAF_CHECK(r.exited_with(0));
  // Its lock died with it: the next node on the folder runs.
  auto third = run_node(node_args(dir, {"--node.demo", "--node.demo-entities=2",
                                        "--node.demo-commands=10", "--node.demo-orders=0",
                                        "--node.demo-redemptions=0"}),
                        60s);
  SAGAFORGE_CHECK_MSG(third.exited_with(0), "after the holder stopped: " << third.how()
                                                                       << third.tail());
}

CAF_TEST(a store that cannot be opened is refused with its path and cause) {
  temp_folder tmp{"open"};
  expect("missing parent folder", run_node(node_args(tmp / "no/such/data")), exit_refused,
         {"data folder " + tmp.path() + "/no/such/data cannot be created: its parent "
            + tmp.path() + "/no/such does not exist"});
  write_file(tmp / "empty-dir.conf", "[sagaforge.store]\ndata-dir=\"\"\n");
  expect("empty store.data-dir",
         run_node({SAGAFORGE_NODE, "--config-file=" + (tmp / "empty-dir.conf"),
                   "--sagaforge.http.port=0"}),
         exit_refused, {"store.data-dir is empty"});
  expect("empty store.data-dir on the command line",
         run_node({SAGAFORGE_NODE, "--sagaforge.store.data-dir=\"\"", "--sagaforge.http.port=0"}),
         exit_refused, {"store.data-dir is empty"});
  write_file(tmp / "a-file", "not a folder\n");
  expect("data-dir is a regular file", run_node(node_args(tmp / "a-file")), exit_refused,
         {"data folder " + tmp.path() + "/a-file is not a folder (a regular file)"});
  expect("data-dir is /dev/null", run_node(node_args("/dev/null")), exit_refused,
         {"data folder /dev/null is not a folder (a character device)"});
  fs::create_directories(tmp / "dir-mdb/data.mdb");
  expect("data.mdb is a folder", run_node(node_args(tmp / "dir-mdb")), exit_refused,
         {"cannot open the store in " + tmp.path() + "/dir-mdb",
          "data.mdb or lock.mdb is a folder, not a file"});
  {
    temp_folder meta{"meta"};
    auto dir = copy_store(meta);
    if (dir.empty())
      return;
    zero_bytes(dir + "/data.mdb", 0, 2 * page_size);  // both meta pages
    expect("zeroed meta pages", run_node(node_args(dir)), exit_damaged,
           {dir + "/data.mdb is damaged (MDB_INVALID", "restore the folder from backup"});
  }
  expect("map-size-mb below its range",
         run_node(node_args(tmp / "small-map", {"--sagaforge.store.map-size-mb=0"})),
         exit_refused, {"sagaforge.store.map-size-mb: 0 is outside [16, 1048576]"});
  expect("map-size-mb above its range",
         run_node(node_args(tmp / "big-map", {"--sagaforge.store.map-size-mb=1048577"})),
         exit_refused, {"sagaforge.store.map-size-mb: 1048577 is outside [16, 1048576]"});
#ifndef SAGAFORGE_SANITIZED
  // Inside the range but more than the address space allows: mmap fails (it used to be a
  // SIGSEGV in the shutdown of a runtime that never started). ASan reserves terabytes of
  // shadow memory and cannot run under ulimit -v, so the sanitized build skips this one.
  expect("map-size-mb beyond ulimit -v",
         run_node({"/bin/sh", "-c", "ulimit -v 8388608 && exec \"$0\" \"$@\"", SAGAFORGE_NODE,
                   "--sagaforge.store.data-dir=" + (tmp / "ulimit"), "--sagaforge.http.port=0",
                   "--sagaforge.store.shard-count=8", "--sagaforge.store.map-size-mb=1048576"}),
         exit_refused,
         {"cannot open the store in " + tmp.path() + "/ulimit",
          "cannot map store.map-size-mb=1048576 MiB"});
#else
  CAF_MESSAGE("map-size-mb beyond ulimit -v: skipped in the sanitized build (ASan's shadow "
              "memory does not fit under ulimit -v)");
#endif
  // Read-only: root writes through chmod, so it takes a read-only mount.
  tmpfs_mount ro{"1m"};
  if (ro.mounted())
    fs::create_directory(ro.path() + "/data");  // the folder exists, its file system is read-only
  if (ro.mounted() && ro.remount_read_only()) {
    expect("read-only file system", run_node(node_args(ro.path() + "/data")), exit_refused,
           {"data folder " + ro.path() + "/data is on a read-only file system"});
  } else {
    CAF_MESSAGE("read-only file system: SKIPPED, cannot make a read-only mount here: "
                << ro.error());
  }
}

CAF_TEST(a damaged data file is reported as store damaged with its path and not as a signal) {
  {
    temp_folder tmp{"half"};
    auto dir = copy_store(tmp);
    if (dir.empty())
      return;
    auto file = dir + "/data.mdb";
    auto size = fs::file_size(file);
    fs::resize_file(file, size / 2 / page_size * page_size);
    expect("data.mdb truncated to half", run_node(node_args(dir)), exit_damaged,
           {file + " is truncated", "store damaged, restore the folder from backup"});
  }
  {
    // A zeroed leaf of the log tree passes the size check and the meta pages; the page walk in
    // a child (store.verify-on-start=pages, the default) meets it. Without that walk the
    // start-up scan itself died of SIGABRT.
    temp_folder tmp{"zeroed"};
    auto dir = copy_store(tmp);
    if (dir.empty())
      return;
    auto file = dir + "/data.mdb";
    auto leaf = middle_log_leaf(file);
    SAGAFORGE_CHECK_MSG(leaf > 1, "no leaf of the log tree found in " << file);
    if (leaf <= 1)
      return;
    zero_bytes(file, leaf * page_size, page_size);
    auto r = run_node(node_args(dir));
    expect("a zeroed page (leaf " + std::to_string(leaf) + " of the log tree) in the middle", r,
           exit_damaged, {"store damaged: " + file + ": ", "restore the folder from backup"});
  }
}

// A zeroed root page of the main tree: the page walk once ended its loop at the first error
// without checking it was MDB_NOTFOUND, read the damage as "no tables", and the node's own
// mdb_dbi_open then refused without the path or what to do (found while writing this suite).
CAF_TEST(a zeroed root page of the main tree is reported as store damaged with its path) {
  temp_folder tmp{"mainroot"};
  auto dir = copy_store(tmp);
  if (dir.empty())
    return;
  auto file = dir + "/data.mdb";
  auto root = newest_main_root(file);
  SAGAFORGE_CHECK_MSG(root > 1, "no main tree root found in " << file);
  if (root <= 1)
    return;
  zero_bytes(file, root * page_size, page_size);
  expect("the main tree's root page (" + std::to_string(root) + ") zeroed", run_node(node_args(dir)),
         exit_damaged, {"store damaged: " + file + ": ", "restore the folder from backup"});
}

CAF_TEST(a lost data file is refused instead of starting an empty store) {
  {
    temp_folder tmp{"deleted"};
    auto dir = copy_store(tmp);
    if (dir.empty())
      return;
    fs::remove(dir + "/data.mdb");  // lock.mdb and sagaforge.id stay
    expect("data.mdb deleted", run_node(node_args(dir)), exit_damaged,
           {dir + "/data.mdb is missing, but " + dir + "/sagaforge.id says this folder held store",
            "the store was lost; restore the folder from backup"});
    CAF_CHECK(!fs::exists(dir + "/data.mdb"));  // nothing created in its place
  }
  {
    temp_folder tmp{"emptied"};
    auto dir = copy_store(tmp);
    if (dir.empty())
      return;
    fs::resize_file(dir + "/data.mdb", 0);
    expect("data.mdb truncated to zero", run_node(node_args(dir)), exit_damaged,
           {dir + "/data.mdb is empty, but " + dir + "/sagaforge.id says this folder held store",
            "the store was lost; restore the folder from backup"});
    CAF_CHECK_EQUAL(fs::file_size(dir + "/data.mdb"), 0u);
  }
}

CAF_TEST(a shard count other than the one of the store is refused with exit 2 and what to set) {
  temp_folder tmp{"shards"};
  auto dir = copy_store(tmp);  // created with 8 shards
  if (dir.empty())
    return;
  for (auto count : {"16", "4"})
    expect(std::string{"shard count 8 -> "} + count,
           run_node(node_args(dir, {std::string{"--sagaforge.store.shard-count="} + count})),
           exit_refused,
           {"the store in " + dir + " was created with 8 shards, the configuration says "
              + count,
            "set sagaforge.store.shard-count=8"});
  // The refusals changed nothing: the right count still runs.
  auto r = run_node(node_args(dir, {"--node.demo", "--node.demo-entities=2",
                                    "--node.demo-commands=10", "--node.demo-orders=0",
                                    "--node.demo-redemptions=0"}),
                    60s);
  SAGAFORGE_CHECK_MSG(r.exited_with(0), "with the store's own shard count: " << r.how() << r.tail());
}

CAF_TEST(a full disk pauses the node with a clear error and freeing space resumes it) {
  tmpfs_mount small{"18m"};
  if (!small.mounted()) {
    CAF_MESSAGE("disk full: SKIPPED, cannot mount a small tmpfs here: " << small.error());
    return;
  }
  auto dir = small.path() + "/data";
  auto filler = small.path() + "/filler";
  write_file(filler, std::string(6 << 20, 'x'));  // the room an operator frees later
  // Far more than the 12 MiB left of log: the store fills up in the counter phase.
  auto t0 = node_clock::now();
  child_process child{node_args(dir, {"--node.demo", "--node.demo-entities=200",
                                      "--node.demo-commands=1000000", "--node.demo-orders=2000",
                                      "--node.demo-redemptions=2000"}),
                      true};
  node_run r;
  int port = 0;
  auto wait_for = [&](const std::string& fragment, std::chrono::seconds limit) -> long {
    auto until = node_clock::now() + limit;
    while (!child.eof() && node_clock::now() < until) {
      auto seen = r.lines.size();
      child.read_lines(20ms, r.lines);
      r.at.resize(r.lines.size(), std::chrono::duration<double>(node_clock::now() - t0).count());
      for (auto i = seen; i < r.lines.size(); ++i) {
        auto& l = r.lines[i];
        if (auto at = l.find("http: listening on "); at != std::string::npos && port == 0)
          port = std::atoi(l.c_str() + l.rfind(':') + 1);
        if (l.find(fragment) != std::string::npos)
          return static_cast<long>(i);
      }
    }
    return -1;
  };
  auto full = wait_for("commits wait for space", 90s);
  SAGAFORGE_CHECK_MSG(full >= 0, "no 'commits wait for space' within 90 s: " << r.tail(20));
  if (full >= 0)
    CAF_CHECK(r.lines[static_cast<size_t>(full)].find("no space left on device: the file system of "
                                                      + dir + " has")
              != std::string::npos);
  // While it waits: not ready, and new work is refused with the reason (reads still work).
  SAGAFORGE_CHECK_MSG(port > 0, "the node logged no HTTP port");
  if (full >= 0 && port > 0) {
    std::string out;
    auto url = "http://127.0.0.1:" + std::to_string(port);
    shell_run("curl -s -w ' %{http_code}' " + url + "/health/ready", out);
    CAF_MESSAGE("/health/ready while full: " << out);
    CAF_CHECK(out.find("\"store_problem\":\"runtime.no_space: no space left") != std::string::npos);
    CAF_CHECK(out.size() >= 4 && out.substr(out.size() - 4) == " 503");
    shell_run("curl -s -w ' %{http_code}' -X POST -H 'Content-Type: application/json' -d "
              "'{\"customer_id\":\"c1\",\"lines\":[{\"sku\":\"SKU-1\",\"quantity\":1,"
              "\"unit_price_cents\":100}],\"card\":\"ok\",\"ship_to\":\"EU\"}' "
                + url + "/v1/orders",
              out);
    CAF_MESSAGE("POST /v1/orders while full: " << out);
    CAF_CHECK(out.find("\"no_space\"") != std::string::npos);
    CAF_CHECK(out.size() >= 4 && out.substr(out.size() - 4) == " 503");
    shell_run("curl -s -o /dev/null -w '%{http_code}' " + url + "/health/live", out);
    CAF_CHECK_EQUAL(out, "200");
  }
  std::remove(filler.c_str());
  auto freed = node_clock::now();
  auto back = wait_for("space is back: commits resumed", 10s);
  SAGAFORGE_CHECK_MSG(back >= 0, "no 'space is back' within 10 s of freeing space: " << r.tail(20));
  auto resumed_s = std::chrono::duration<double>(node_clock::now() - freed).count();
  CAF_MESSAGE("disk full: waited from " << (full >= 0 ? r.at[static_cast<size_t>(full)] : -1)
                                        << " s; resumed " << resumed_s
                                        << " s after the space was freed");
  CAF_CHECK_LESS(resumed_s, 5.0);
  child.kill9();  // it fills the disk again; what it committed is process.diskfull's to check
  child.wait();
}

CAF_TEST(bad options are refused with exit 2 before anything starts) {
  temp_folder tmp{"options"};
  // Each case gets its own folder, which must never be created: options are checked first.
  int n = 0;
  auto refused = [&](const std::string& what, std::vector<std::string> extra,
                     std::initializer_list<std::string> fragments) {
    auto dir = tmp / ("data-" + std::to_string(++n));
    expect(what, run_node(node_args(dir, std::move(extra))), exit_refused, fragments);
    SAGAFORGE_CHECK_MSG(!fs::exists(dir), what << ": the data folder was created");
  };
  refused("scheduler.max-threads=0", {"--scheduler.max-threads=0"},
          {"scheduler.max-threads: 0 is outside [1, 256]"});
  refused("unknown scheduler policy", {"--scheduler.policy='bogus'"},
          {"scheduler.policy: 'bogus' is not 'sharing' or 'stealing'"});
  write_file(tmp / "misspelt.conf", "[sheduler]\nmax-threads=2\n");
  refused("misspelt section", {"--config-file=" + (tmp / "misspelt.conf")},
          {"unknown option 'sheduler.max-threads'", "misspelt section or key"});
  write_file(tmp / "no-section.conf", "max-threads=2\n");
  refused("key outside any section", {"--config-file=" + (tmp / "no-section.conf")},
          {"unknown option 'max-threads'", "a key outside any [section]"});
  write_file(tmp / "sagaforge-misspelt.conf", "[sagaforge.stor]\nshard-count=8\n");
  refused("misspelt sagaforge section", {"--config-file=" + (tmp / "sagaforge-misspelt.conf")},
          {"sagaforge.stor.shard-count: unknown option"});
  fs::create_directory(tmp / "conf-dir");
  refused("config file is a directory", {"--config-file=" + (tmp / "conf-dir")},
          {"config-file " + (tmp / "conf-dir") + " is not a regular file"});
  refused("node.demo-entities=0", {"--node.demo", "--node.demo-entities=0"},
          {"node.demo-entities: 0 is outside [1, 1000000]"});
  for (auto key : {"demo-commands", "demo-orders", "demo-redemptions"})
    refused(std::string{"negative node."} + key, {"--node.demo", "--node." + std::string{key} + "=-5"},
            {"node." + std::string{key} + ": -5 is outside [0, "});
}
