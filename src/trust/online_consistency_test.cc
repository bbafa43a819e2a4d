// HttpConsistencyFetcher's local failures (the real-log behaviour, forks included, is tested with
// real daemons in tests/trustflow/consistency_test.cc).
#include "trust/online_consistency.h"

#include <gtest/gtest.h>

namespace keyward::trust {
namespace {

TEST(HttpConsistencyFetcherTest, FailsClearlyWithoutAUsableUrl) {
  HttpConsistencyFetcher f;
  auto none = f.FetchConsistencyProof("log.example/x", std::nullopt, 1, 2);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("no URL"), std::string::npos) << none.status().ToString();
  auto https = f.FetchConsistencyProof("log.example/x", std::string("https://log.example/"), 1, 2);
  ASSERT_FALSE(https.ok());
  EXPECT_NE(https.status().message().find("http://"), std::string::npos) << https.status().ToString();
  EXPECT_FALSE(f.FetchConsistencyProof("log.example/x", std::string("http://127.0.0.1:1"), 2, 2).ok());
}

TEST(HttpConsistencyFetcherTest, UnreachableLogIsUnavailableWithinTheBudget) {
  HttpConsistencyFetcher::Options o;
  o.total_timeout = std::chrono::milliseconds(2000);
  HttpConsistencyFetcher f(o);
  const auto start = std::chrono::steady_clock::now();
  auto r = f.FetchConsistencyProof("log.example/x", std::string("http://127.0.0.1:1"), 3, 700);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable) << r.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace keyward::trust
