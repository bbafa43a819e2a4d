#include "trust/policy.h"

#include <gtest/gtest.h>

#include "trust/trust_fixture.h"

namespace keyward::trust {
namespace {

using testing::TrustWorld;

TEST(TrustPolicyTest, ParsesTheDefaultDeployment) {
  TrustWorld w;
  auto p = TrustPolicy::Parse(w.PolicyText());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->mode(), TrustMode::kOverTheAir);
  EXPECT_EQ(p->ns(), "example.com/app");
  EXPECT_EQ(p->signers().size(), 4u);
  EXPECT_EQ(p->bundle_quorum(), "signers");
  EXPECT_EQ(p->max_age(), 30 * 86400);
  EXPECT_EQ(p->clock_skew(), 300);
  EXPECT_EQ(p->log_policy().logs().size(), 1u);
  EXPECT_EQ(p->log_policy().witnesses().size(), 3u);
  EXPECT_EQ(p->log_policy().quorum(), "witnesses");
  EXPECT_EQ(p->pinned(), nullptr);
  EXPECT_TRUE(p->BundleQuorumSatisfied({"org-a", "org-b"}));
  EXPECT_TRUE(p->BundleQuorumSatisfied({"emergency-1", "emergency-2"}));
  EXPECT_FALSE(p->BundleQuorumSatisfied({"org-a", "emergency-2"}));
  EXPECT_FALSE(p->BundleQuorumSatisfied({"org-a"}));
  const PolicySigner* a = p->FindSignerByKeyId(w.signer("org-a").keyid());
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name, "org-a");
  EXPECT_EQ(p->text(), w.PolicyText());
  // Format() is canonical and re-parses to the same policy.
  auto q = TrustPolicy::Parse(p->Format());
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->Format(), p->Format());
  EXPECT_EQ(q->signers().size(), 4u);
}

TEST(TrustPolicyTest, PinnedPoliciesStillWork) {
  std::string key = HexEncode(testing::TestFleetKey("f"));
  auto p = TrustPolicy::Parse("namespace ns\nfleet f1 " + key + "\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->mode(), TrustMode::kPinned);
  ASSERT_NE(p->pinned(), nullptr);
  EXPECT_EQ(p->pinned()->fleets().size(), 1u);
  EXPECT_FALSE(p->BundleQuorumSatisfied({"x"}));
  // Pinned and over-the-air lines do not mix; the error names the line.
  TrustWorld w;
  auto mixed = TrustPolicy::Parse("namespace ns\nfleet f1 " + key + "\n" + w.SignerLine("org-a"));
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("line 3"), std::string::npos) << mixed.status().message();
}

TEST(TrustPolicyTest, RejectsBadPoliciesWithLineNumbers) {
  TrustWorld w;
  std::string base = w.PolicyText();
  struct Case {
    std::string text;
    std::string needle;
  };
  std::string a = w.SignerLine("org-a");
  const std::vector<Case> cases = {
      {"", "namespace"},
      {"namespace ns\n", "neither"},
      {"namespace ns\nnamespace ns\n", "line 2"},
      {"namespace bad space\n", "line 1"},
      {"namespace ns\r\n", "line 1"},
      {"namespace ns\nfrobnicate x\n", "line 2"},
      {base + a, "line"},                                   // same key twice
      {base + "bundle-quorum main\n", "second `bundle-quorum`"},
      {base + "quorum witnesses\n", "quorum"},
      {base + "max-age 1d\n", "second `max-age`"},
      {"namespace ns\nmax-age 5x\n", "duration"},
      {"namespace ns\nclock-skew 2d\n", "at most 1d"},
      {base + "countersign org-a over nobody\n", "countersign"},
      {base + "countersign org-a over org-a\n", "itself"},
      {base + "group mix all org-a w1\n", "all be signers"},
      {base + "group again all org-a\n", "line"},            // org-a already in a group
      {base + "signer w1 " + w.signer("org-c").verifier_key() + "\n", "already"},
      {"namespace ns\n" + a + "bundle-quorum org-a\n" + "quorum none\n", "`log`"},
      {"namespace ns\n" + a + w.LogLines(), "bundle-quorum"},
      {"namespace ns\nsigner x " + std::string("notakey") + "\n", "line 2"},
      {"namespace ns\n" + a + "bundle-quorum nobody\n", "line 3"},
      {"namespace ns\n# caf\xe9\n", "UTF-8"},
  };
  for (const Case& c : cases) {
    auto p = TrustPolicy::Parse(c.text);
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_NE(p.status().message().find(c.needle), std::string::npos)
        << "want \"" << c.needle << "\" in: " << p.status().message();
  }
}

TEST(TrustPolicyTest, Durations) {
  EXPECT_EQ(*ParseDuration("300s"), 300);
  EXPECT_EQ(*ParseDuration("5m"), 300);
  EXPECT_EQ(*ParseDuration("12h"), 43200);
  EXPECT_EQ(*ParseDuration("30d"), 2592000);
  EXPECT_EQ(*ParseDuration("0s"), 0);
  for (const char* bad : {"", "s", "5", "05m", "-5m", "5 m", "5M", "99999999999d", "1.5h"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatDuration(2592000), "30d");
  EXPECT_EQ(FormatDuration(300), "5m");
  EXPECT_EQ(FormatDuration(301), "301s");
}

TEST(TrustPolicyTest, LoadNamesThePath) {
  auto p = TrustPolicy::Load("/nonexistent/policy.txt");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("/nonexistent/policy.txt"), std::string::npos);
}

}  // namespace
}  // namespace keyward::trust
