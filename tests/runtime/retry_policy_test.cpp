// runtime/retry_policy.hpp: the one backoff rule (capped doubling) and the attempt limit that
// the runtime's resend and the sagas' retries and compensation timeouts share.
#define CAF_SUITE runtime.retry_policy
#include "caf/test/unit_test.hpp"

#include "runtime/retry_policy.hpp"

using sagaforge::retry_policy;

CAF_TEST(the delay doubles per attempt up to the cap) {
  retry_policy p{200, 5000, 4};
  CAF_CHECK_EQUAL(p.base_delay_ms(0), 200);
  CAF_CHECK_EQUAL(p.base_delay_ms(1), 200);
  CAF_CHECK_EQUAL(p.base_delay_ms(2), 400);
  CAF_CHECK_EQUAL(p.base_delay_ms(5), 3200);
  CAF_CHECK_EQUAL(p.base_delay_ms(6), 5000);
  CAF_CHECK_EQUAL(p.base_delay_ms(4'000'000'000u), 5000);  // no overflow, no long loop
}

CAF_TEST(a cap below the initial delay wins) {
  retry_policy p{5000, 1000, 0};
  CAF_CHECK_EQUAL(p.base_delay_ms(1), 1000);
  CAF_CHECK_EQUAL(p.base_delay_ms(9), 1000);
}

CAF_TEST(zero attempts means no limit and N means N sends) {
  retry_policy unbounded{100, 1000, 0};
  CAF_CHECK(!unbounded.exhausted(1));
  CAF_CHECK(!unbounded.exhausted(4'000'000'000u));
  retry_policy four{100, 1000, 4};
  CAF_CHECK(!four.exhausted(3));
  CAF_CHECK(four.exhausted(4));
  CAF_CHECK(four.exhausted(5));
}
