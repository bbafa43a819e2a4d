#include "trust/pinned.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>

#include "support/vectors.h"

namespace keyward::trust {
namespace {

crypto::ristretto::ElementBytes RandomKey() {
  crypto::ristretto::ElementBytes k;
  crypto_core_ristretto255_random(k.data());
  return k;
}

TEST(PinnedPolicyTest, ParsesHexAndBase64AndComments) {
  auto k1 = RandomKey();
  auto k2 = RandomKey();
  std::string text = "# my app\n\nnamespace example.com/vault\n  fleet eu-1\t" + HexEncode(k1) +
                     "\nfleet us-1 " + Base64Encode(k2);  // no final newline
  auto p = PinnedPolicy::Parse(text);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->ns(), "example.com/vault");
  ASSERT_EQ(p->fleets().size(), 2u);
  EXPECT_EQ(p->fleets()[0].id, "eu-1");
  EXPECT_EQ(p->fleets()[1].public_key, k2);
  EXPECT_EQ(p->ValidateFleetKey(k2)->id, "us-1");
  auto other = RandomKey();
  EXPECT_EQ(p->ValidateFleetKey(other).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(p->ValidateFleetKey(ByteSpan(k1).first(31)).status().code(),
            ErrorCode::kPermissionDenied);
}

TEST(PinnedPolicyTest, RoundTrips) {
  auto p = PinnedPolicy::Create("ns", {{"a", RandomKey()}, {"b", RandomKey()}});
  ASSERT_TRUE(p.ok());
  auto q = PinnedPolicy::Parse(p->Serialize());
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(*p, *q);
}

void ExpectRejected(const std::string& text, const std::string& needle) {
  auto p = PinnedPolicy::Parse(text);
  ASSERT_FALSE(p.ok()) << text;
  EXPECT_EQ(p.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find(needle), std::string::npos)
      << p.status().message() << " lacks " << needle;
}

TEST(PinnedPolicyTest, RejectsBadInputWithLineNumbers) {
  std::string k = HexEncode(RandomKey());
  ExpectRejected("namespace a\nfleet f " + k + "\nsigner x y\n", "line 3: unknown keyword");
  ExpectRejected("namespace a\nnamespace b\nfleet f " + k + "\n", "line 2: second");
  ExpectRejected("namespace a\nfleet f " + k + "\nfleet f " + HexEncode(RandomKey()) + "\n",
                 "line 3: duplicate");
  ExpectRejected("namespace a\nfleet f\n", "line 2: expected");
  ExpectRejected("namespace a\nfleet f " + k + " extra\n", "line 2: expected");
  ExpectRejected("namespace a\nfleet f " + k.substr(2) + "\n", "line 2: fleet key");
  ExpectRejected("namespace a\nfleet f " + std::string(64, '0') + "\n", "line 2: fleet key");
  ExpectRejected("namespace a\nfleet f " + std::string(64, 'f') + "\n", "line 2: fleet key");
  ExpectRejected("namespace a\nfleet b@d " + k + "\n", "line 2: fleet id");
  ExpectRejected("namespace a\r\nfleet f " + k + "\n", "line 1: carriage return");
  ExpectRejected("fleet f " + k + "\n", "no `namespace`");
  ExpectRejected("namespace a\n", "at least one `fleet`");
  ExpectRejected("namespace a b\nfleet f " + k + "\n", "line 1: expected");
}

TEST(PinnedPolicyTest, LoadNamesThePath) {
  testing::TempDir dir;
  auto missing = PinnedPolicy::Load(dir.path() / "nope.policy");
  EXPECT_EQ(missing.status().code(), ErrorCode::kIoError);
  auto path = dir.path() / "trust.policy";
  std::ofstream(path) << "namespace x\nbogus\n";
  auto bad = PinnedPolicy::Load(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(path.string()), std::string::npos);
}

}  // namespace
}  // namespace keyward::trust
