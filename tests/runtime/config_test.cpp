// Configuration: CAF 0.17 keeps mistyped values silently; the runtime must refuse them
// with a message that names the option, the value and the rule.
#define CAF_SUITE runtime.config
#include "caf/test/unit_test.hpp"

#include <fstream>
#include <sstream>

#include "runtime/errors.hpp"
#include "runtime/runtime_config.hpp"

using namespace sagaforge;

namespace {

caf::expected<runtime_settings> load(const std::string& ini) {
  runtime_system_config cfg;
  std::istringstream in{ini};
  if (auto err = cfg.parse(0, nullptr, in))
    return err;
  return load_runtime_settings(cfg);
}

std::string error_of(const std::string& ini) {
  auto r = load(ini);
  return r ? std::string{} : describe(r.error());
}

} // namespace

CAF_TEST(defaults load without a file) {
  auto r = load("");
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(r->durability_name, "fsync");
  CAF_CHECK_EQUAL(r->shard_count, 64);
}

CAF_TEST(valid values are read) {
  auto r = load("[sagaforge.store]\ndurability=\"nosync\"\nshard-count=16\n"
                "[sagaforge.retry]\nmax-attempts=7\n");
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(r->durability_name, "nosync");
  CAF_CHECK_EQUAL(r->shard_count, 16);
  CAF_CHECK_EQUAL(r->retry_max_attempts, 7);
  CAF_CHECK(r->mode() == durability::nosync);
}

CAF_TEST(a mistyped value is refused with the option name) {
  auto e = error_of("[sagaforge.store]\nmap-size-mb=\"big\"\n");
  CAF_CHECK_NOT_EQUAL(e.find("sagaforge.store.map-size-mb"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(e.find("expects an integer"), std::string::npos);
}

CAF_TEST(an unknown option is refused) {
  auto e = error_of("[sagaforge.store]\ndurabilty=\"fsync\"\n");
  CAF_CHECK_NOT_EQUAL(e.find("unknown option"), std::string::npos);
}

CAF_TEST(out of range values are refused with the range) {
  auto e = error_of("[sagaforge.commit]\nmax-batch-steps=0\n");
  CAF_CHECK_NOT_EQUAL(e.find("outside [1, 1000000]"), std::string::npos);
}

CAF_TEST(a bad durability name is refused) {
  auto e = error_of("[sagaforge.store]\ndurability=\"sometimes\"\n");
  CAF_CHECK_NOT_EQUAL(e.find("fsync, nosync or memory"), std::string::npos);
}

CAF_TEST(a retention shorter than the resend horizon is refused) {
  auto e = error_of("[sagaforge.retry]\nmax-age-ms=1000\ndedup-retention-ms=1000\n");
  CAF_CHECK_NOT_EQUAL(e.find("dedup-retention-ms"), std::string::npos);
}

CAF_TEST(every option is documented in docs/configuration.md) {
  std::ifstream in{SAGAFORGE_SOURCE_DIR "/docs/configuration.md"};
  CAF_REQUIRE(in.good());
  std::stringstream buf;
  buf << in.rdbuf();
  for (auto& o : runtime_options()) {
    auto name = std::string{"`sagaforge."} + o.section + "." + o.name + "`";
    if (buf.str().find(name) == std::string::npos)
      CAF_FAIL("docs/configuration.md does not document " << name);
  }
}
