#include "node/rate_limiter.h"

#include <gtest/gtest.h>

namespace keyward::node {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiterTest, FreeAttemptsThenDoublingDelays) {
  RateLimiter limiter({.enabled = true, .free_attempts = 2, .base_delay = milliseconds(100),
                       .max_delay = milliseconds(350), .max_users = 10});
  auto t = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(limiter.TryAttempt("u", t).count(), 0);
  EXPECT_EQ(limiter.TryAttempt("u", t).count(), 0);
  EXPECT_EQ(limiter.TryAttempt("u", t).count(), 100);  // third attempt waits base_delay
  EXPECT_EQ(limiter.TryAttempt("u", t + milliseconds(40)).count(), 60);
  EXPECT_EQ(limiter.TryAttempt("u", t + milliseconds(100)).count(), 0);
  t += milliseconds(100);
  EXPECT_EQ(limiter.TryAttempt("u", t).count(), 200);  // doubled
  t += milliseconds(200);
  EXPECT_EQ(limiter.TryAttempt("u", t).count(), 0);
  EXPECT_EQ(limiter.TryAttempt("u", t).count(), 350);  // capped at max_delay
  EXPECT_EQ(limiter.TryAttempt("other", t).count(), 0);  // per user
  limiter.Reset("u");
  EXPECT_EQ(limiter.TryAttempt("u", t).count(), 0);
}

TEST(RateLimiterTest, BoundedMemoryEvictsLeastRecentlyUsed) {
  RateLimiter limiter({.enabled = true, .free_attempts = 0, .base_delay = milliseconds(1000),
                       .max_delay = milliseconds(1000), .max_users = 3});
  auto t = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.TryAttempt("u" + std::to_string(i), t).count(), 0);
  EXPECT_EQ(limiter.tracked_users(), 3u);
  EXPECT_GT(limiter.TryAttempt("u99", t).count(), 0);  // still tracked
}

TEST(RateLimiterTest, DisabledNeverDelays) {
  RateLimiter limiter({.enabled = false});
  auto t = RateLimiter::Clock::now();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(limiter.TryAttempt("u", t).count(), 0);
  EXPECT_EQ(limiter.tracked_users(), 0u);
}

}  // namespace
}  // namespace keyward::node
