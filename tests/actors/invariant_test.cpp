// Always-on assertions (runtime/invariant.hpp): every entity type's apply stops the process
// with file:line on an event of no known kind (a corrupt record, or one written by a newer
// build) instead of going on with state it did not change. Each check runs in a forked child.
#define CAF_SUITE actors.invariants
#include "caf/test/unit_test.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "actors/catalog/catalog.hpp"
#include "actors/counter/counter.hpp"
#include "actors/fulfillment/fulfillment_config.hpp"
#include "actors/redemption/loyalty_config.hpp"
#include "runtime/invariant.hpp"

using namespace sagaforge;

namespace {

struct outcome {
  bool aborted = false;
  std::string stderr_text;
};

/// Runs `body` in a child whose stderr is captured; reports whether it died of SIGABRT.
template <class F>
outcome in_child(F body) {
  int fds[2];
  CAF_REQUIRE_EQUAL(::pipe(fds), 0);
  auto pid = ::fork();
  CAF_REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    body();
    ::_exit(0);
  }
  ::close(fds[1]);
  outcome out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    out.stderr_text.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  out.aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
  return out;
}

std::vector<entity_logic_ptr> every_logic() {
  fulfillment::fulfillment_config cfg;
  cfg.catalog = {"SKU-0000"};
  auto all = fulfillment::make_fulfillment_logics(cfg);
  for (auto& l : loyalty::make_loyalty_logic())
    all.push_back(l);
  all.push_back(counter::make_counter_logic());
  all.push_back(catalog::make_catalog_logic());
  return all;
}

} // namespace

CAF_TEST(a failed assertion aborts with file and line) {
  auto r = in_child([] { SAGAFORGE_ASSERT(1 + 1 == 3, "arithmetic"); });
  CAF_CHECK(r.aborted);
  CAF_CHECK_NOT_EQUAL(r.stderr_text.find("invariant violated at"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(r.stderr_text.find("invariant_test.cpp:"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(r.stderr_text.find("1 + 1 == 3 (arithmetic)"), std::string::npos);
  auto fine = in_child([] { SAGAFORGE_ASSERT(1 + 1 == 2, "arithmetic"); });
  CAF_CHECK(!fine.aborted);
}

CAF_TEST(every entity type refuses to apply an event of no kind) {
  auto logics = every_logic();
  CAF_REQUIRE_GREATER_OR_EQUAL(logics.size(), 12u);
  for (auto& logic : logics) {
    auto r = in_child([&] {
      auto state = logic->new_state();
      auto event = logic->new_event();  // no field of its oneof set
      logic->apply(*state, *event);
    });
    CAF_MESSAGE(logic->type_name() << ": " << r.stderr_text);
    CAF_CHECK(r.aborted);
    CAF_CHECK_NOT_EQUAL(r.stderr_text.find("of no kind"), std::string::npos);
  }
}
