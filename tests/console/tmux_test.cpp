// console.tmux: the interactive console in a real terminal, as a person uses it. tmux (own
// server socket per test) runs sagaforge-console against a node holding a dead letter made on
// purpose; keys go in with send-keys and the screen is read with capture-pane, polled until
// the expected text shows (10 s bound, no fixed sleeps): tab completion of commands,
// subcommands, types and dead-letter ids, history recall with Up, the y/N confirmation of a
// replay (answered no, then yes), Ctrl-C dropping a line and stopping a watch, Ctrl-D
// leaving the lines in the history file, NO_COLOR.
#define CAF_SUITE console.tmux
#include "caf/test/unit_test.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tests/console/console_fixture.hpp"

using namespace sagaforge::testing;

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return out + "'";
}

struct fixture : console_fixture {
  std::string sock = "sagaforge-console-test-" + std::to_string(::getpid());
  std::string history = (dir.path / "history").string();

  fixture() : console_fixture("console-tmux") {}

  ~fixture() { run("tmux -L " + sock + " kill-server 2>/dev/null"); }

  static std::string run(const std::string& cmd) {
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        out.append(buf, n);
      ::pclose(p);
    }
    return out;
  }

  void start(const std::string& env) {
    auto console = std::string{"env -i PATH=/usr/bin:/bin HOME=/tmp TERM=xterm "} + env + " "
                   + SAGAFORGE_CONSOLE + " --url " + url() + " --token " + admin_token
                   + " --history-file " + history;
    run("tmux -L " + sock + " new-session -d -s c -x 160 -y 50 " + shell_quote(console));
  }

  /// send-keys; "--" so that typed text starting with '-' is not read as a tmux flag.
  void keys(const std::string& k) { run("tmux -L " + sock + " send-keys -t c -- " + k); }

  std::string screen(bool escapes = false) {
    return run("tmux -L " + sock + " capture-pane -p " + (escapes ? "-e " : "") + "-t c");
  }

  /// Polls the screen until `pred` holds (10 s); returns the last screen.
  template <class Pred>
  std::string await(Pred pred, bool escapes = false) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    std::string s;
    do {
      s = screen(escapes);
      if (pred(s))
        return s;
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    } while (std::chrono::steady_clock::now() < deadline);
    CAF_MESSAGE("screen:\n" << s);
    return s;
  }

  static size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1))
      ++n;
    return n;
  }

  bool session_alive() { return run("tmux -L " + sock + " has-session -t c 2>&1").empty(); }
};

auto shows(const std::string& what) {
  return [what](const std::string& s) { return s.find(what) != std::string::npos; };
}

}  // namespace

CAF_TEST_FIXTURE_SCOPE(console_tmux, fixture)

CAF_TEST(completion history confirmation and ctrl d in a real terminal) {
  json_cmd(R"(send counter/b1 sagaforge.counter.Boom '{"why":"on purpose"}')");
  CAF_REQUIRE_EQUAL(val(json_cmd("dl ls").doc()["items"].size()), 1u);
  start("NO_COLOR=1");
  CAF_REQUIRE(shows("sagaforge>")(await(shows("sagaforge>"))));
  // "dl l" + Tab completes the subcommand; the table of dead letters follows.
  keys("'dl l' Tab");
  CAF_CHECK(shows("sagaforge> dl ls")(await(shows("dl ls"))));
  keys("Enter");
  auto s = await(shows("counter/b1"));
  CAF_CHECK(shows("RECEIVER")(s));
  CAF_CHECK(shows("poison")(s));
  // A command word, then an entity type completed from the node's types.
  keys("'ty' Tab Enter");
  CAF_CHECK(shows("KNOWN")(await(shows("KNOWN"))));
  keys("'ls cata' Tab");
  CAF_CHECK(shows("ls catalog")(await(shows("ls catalog"))));
  keys("'-n 2' Enter");  // completion appended the space
  CAF_CHECK(shows("catalog/")(await(shows("catalog/"))));
  // Up recalls the previous line: the listing shows a second time.
  keys("Up Enter");
  CAF_CHECK_EQUAL(count(await([](const std::string& x) { return count(x, "LAST ACTIVE") >= 2; }),
                        "LAST ACTIVE"),
                  2u);
  // A dead-letter id completed from the last listing, then the confirmation prompt.
  keys("'dl replay ' Tab");
  CAF_CHECK(shows("dl replay 1")(await(shows("dl replay 1"))));
  keys("Enter");
  CAF_CHECK(shows("[y/N]")(await(shows("[y/N]"))));
  keys("n Enter");
  CAF_CHECK(shows("not confirmed")(await(shows("not confirmed"))));
  CAF_CHECK_EQUAL(val(json_cmd("dl show 1").doc()["replayed"]), false);
  keys("'dl replay 1' Enter");
  await([](const std::string& x) { return count(x, "[y/N]") >= 2; });
  keys("y Enter");
  CAF_CHECK(shows("replayed #1")(await(shows("replayed #1"))));
  CAF_CHECK_EQUAL(val(json_cmd("dl show 1").doc()["replayed"]), true);
  // The saga actions complete after "saga " (the half-typed line is then dropped with Ctrl-C).
  keys("'saga comp' Tab");
  CAF_CHECK(shows("sagaforge> saga compensate")(await(shows("saga compensate"))));
  keys("C-c");
  // Ctrl-C drops a half-typed line and stops a watch; the session goes on.
  keys("'stat' C-c");
  keys("'watch --interval 300ms dl ls' Enter");
  await([](const std::string& x) { return count(x, "every 300ms") >= 2; });
  keys("C-c");
  keys("'dl show 1' Enter");
  CAF_CHECK(shows("correlation: console")(await(shows("correlation: console"))));
  CAF_CHECK(session_alive());
  // NO_COLOR: no escape sequences on the screen.
  CAF_CHECK(screen(true).find("\x1b[1m") == std::string::npos);
  // Ctrl-D leaves the prompt; the history file holds what was typed.
  keys("C-d");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (session_alive() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  CAF_CHECK(!session_alive());
  std::ifstream in{history};
  std::stringstream raw;
  raw << in.rdbuf();
  auto text_of = [](std::string s) {  // libedit writes a space as \040
    for (size_t at; (at = s.find("\\040")) != std::string::npos;)
      s.replace(at, 4, " ");
    return s;
  };
  std::stringstream text{text_of(raw.str())};
  CAF_CHECK(shows("dl ls")(text.str()));
  CAF_CHECK(shows("ls catalog -n 2")(text.str()));
  CAF_CHECK(shows("dl replay 1")(text.str()));
}

CAF_TEST(colour is used on a terminal unless NO_COLOR is set) {
  start("");
  await(shows("sagaforge>"));
  keys("types Enter");
  auto s = await(shows("KNOWN"), true);
  CAF_CHECK(s.find("\x1b[1m") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
