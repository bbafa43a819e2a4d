// Rotation tests (issue 5 "What must be shown" 3).
#include "trust/rotation.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/vectors.h"
#include "trust/adopt.h"

#include "trust/delivered.h"
#include "trust/trust_fixture.h"

namespace keyward::trust {
namespace {

using testing::TrustWorld;

constexpr UnixSeconds kNow = TrustWorld::kNow;

// The policy after rotating org-b out and org-c in.
std::string RotatedPolicyText(TrustWorld& w) {
  std::string t = "namespace " + std::string(TrustWorld::kNamespace) + "\n";
  for (const char* n : {"org-a", "org-c", "emergency-1", "emergency-2"}) t += w.SignerLine(n);
  t += "group main all org-a org-c\ngroup emergency all emergency-1 emergency-2\n"
       "group signers any main emergency\nbundle-quorum signers\n";
  return t + w.LogLines() + "max-age 30d\n";
}

class RotationTest : public ::testing::Test {
 protected:
  std::string Update(uint64_t version, std::initializer_list<const char*> by,
                     std::string text = "") {
    auto next = TrustPolicy::Parse(text.empty() ? RotatedPolicyText(w_) : text);
    KW_CHECK(next.ok());
    auto e = CreatePolicyUpdate(*next, version, kNow - 60);
    KW_CHECK(e.ok());
    for (const char* n : by) KW_CHECK(AddSignature(*e, w_.signer(n)).ok());
    return w_.Deliver(*e);
  }
  std::string Apply(const std::string& delivered) {
    auto current = EffectivePolicy(configured_, state_);
    KW_CHECK(current.ok());
    TrustState before = state_;
    auto r = ApplyPolicyUpdate(*current, AsBytes(delivered), state_, kNow);
    if (!r.ok()) {
      EXPECT_EQ(state_, before);
      return RejectionCode(r.rejection().code);
    }
    return "accepted";
  }
  std::string VerifyCode(const std::string& delivered) {
    auto current = EffectivePolicy(configured_, state_);
    KW_CHECK(current.ok());
    auto r = VerifyBundle(*current, AsBytes(delivered), state_, kNow);
    return r.ok() ? "accepted" : RejectionCode(r.rejection().code);
  }

  TrustWorld w_;
  TrustPolicy configured_ = w_.Policy();
  TrustState state_;
};

TEST_F(RotationTest, AcceptedWithBothQuorums) {
  std::string old_bundle = w_.Deliver(w_.Signed(w_.MakePayload(1)));
  ASSERT_EQ(VerifyCode(old_bundle), "accepted");
  // Old quorum: org-a + org-b. New quorum: org-a + org-c.
  ASSERT_EQ(Apply(Update(1, {"org-a", "org-b", "org-c"})), "accepted");
  ASSERT_TRUE(state_.policy.has_value());
  EXPECT_EQ(state_.policy->version, 1u);
  auto now_policy = EffectivePolicy(configured_, state_);
  ASSERT_TRUE(now_policy.ok());
  EXPECT_NE(now_policy->FindSignerByName("org-c"), nullptr);
  EXPECT_EQ(now_policy->FindSignerByName("org-b"), nullptr);
  // The epoch high-water mark survived the rotation.
  EXPECT_EQ(state_.namespaces.begin()->second.epoch, 1u);
  // New bundles need org-a + org-c now.
  EXPECT_EQ(VerifyCode(w_.Deliver(w_.Signed(w_.MakePayload(2), {"org-a", "org-b"}))),
            "single-organisation");
  EXPECT_EQ(VerifyCode(w_.Deliver(w_.Signed(w_.MakePayload(2), {"org-a", "org-c"}))), "accepted");
  // The same update again (Ed25519 is deterministic: same bytes) is a harmless re-delivery; the
  // same version with other bytes (one more signature) is equivocation.
  EXPECT_EQ(Apply(Update(1, {"org-a", "org-b", "org-c"})), "accepted");
  EXPECT_EQ(Apply(Update(1, {"org-a", "org-b", "org-c", "emergency-1"})), "equivocation");
  // The state survives a save/load.
  std::string text = SerializeState(state_);
  auto loaded = ParseState(text);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, state_);
}

TEST_F(RotationTest, RefusedWithOnlyOneQuorum) {
  // Only the old quorum (org-c, the new member, did not sign).
  EXPECT_EQ(Apply(Update(1, {"org-a", "org-b"})), "rotation-quorum");
  // Only the new quorum (org-b, the outgoing member, did not sign).
  EXPECT_EQ(Apply(Update(1, {"org-a", "org-c"})), "rotation-quorum");
  // One organisation alone.
  EXPECT_EQ(Apply(Update(1, {"org-a"})), "rotation-quorum");
  EXPECT_FALSE(state_.policy.has_value());
}

TEST_F(RotationTest, EmergencyPairCanSign) {
  // org-b is unavailable: the emergency pair satisfies the old quorum (signers = any main
  // emergency) and also the new one.
  EXPECT_EQ(Apply(Update(1, {"emergency-1", "emergency-2"})), "accepted");
  EXPECT_EQ(state_.policy->version, 1u);
}

TEST_F(RotationTest, PreRotationBundleReplayedAfterRotationIsRefused) {
  // A bundle signed by the old signers, logged before the rotation, with a HIGHER epoch than the
  // client ever saw: after the rotation it must not be accepted.
  std::string pre = w_.Deliver(w_.Signed(w_.MakePayload(9), {"org-a", "org-b"}));
  ASSERT_EQ(Apply(Update(1, {"org-a", "org-b", "org-c"})), "accepted");
  EXPECT_EQ(VerifyCode(pre), "single-organisation");
}

TEST_F(RotationTest, VersionsOnlyMoveForward) {
  std::string v2 = Update(2, {"org-a", "org-b", "org-c"});
  ASSERT_EQ(Apply(v2), "accepted");
  // An older version signed by the current quorum: rollback.
  std::string v1 = Update(1, {"org-a", "org-c"}, RotatedPolicyText(w_));
  EXPECT_EQ(Apply(v1), "rollback");
  // The exact same update again: a no-op re-delivery.
  EXPECT_EQ(Apply(v2), "accepted");
  // A chained rotation: v3 must satisfy the v2 policy (org-a + org-c) and itself.
  std::string back = w_.PolicyText();
  EXPECT_EQ(Apply(Update(3, {"org-a", "org-b"}, back)), "rotation-quorum");
  EXPECT_EQ(Apply(Update(3, {"org-a", "org-b", "org-c"}, back)), "accepted");
  EXPECT_EQ(state_.policy->version, 3u);
}

TEST_F(RotationTest, UpdatesMustBeLoggedAndWellFormed) {
  auto next = TrustPolicy::Parse(RotatedPolicyText(w_));
  ASSERT_TRUE(next.ok());
  auto e = CreatePolicyUpdate(*next, 1, kNow - 60);
  ASSERT_TRUE(e.ok());
  for (const char* n : {"org-a", "org-b", "org-c"}) ASSERT_TRUE(AddSignature(*e, w_.signer(n)).ok());
  // Witness quorum missing.
  EXPECT_EQ(Apply(w_.Deliver(*e, {1})), "witness-quorum");
  // Proof for other bytes.
  std::string bytes = SerializeEnvelope(*e);
  uint64_t other = w_.Append(AsBytes("something else"));
  EXPECT_EQ(Apply(SerializeDeliveredBundle({ToBytes(bytes), w_.Proof(other)})), "not-logged");
  // A fleet bundle is not a policy update.
  EXPECT_EQ(Apply(w_.Deliver(w_.Signed(w_.MakePayload(1)))), "malformed");
  // Another namespace.
  std::string other_ns = RotatedPolicyText(w_);
  other_ns.replace(other_ns.find(TrustWorld::kNamespace), TrustWorld::kNamespace.size(), "other.example/app");
  EXPECT_EQ(Apply(Update(1, {"org-a", "org-b", "org-c"}, other_ns)), "namespace");
  // A pinned policy is not a valid update target.
  EXPECT_FALSE(CreatePolicyUpdate(*TrustPolicy::Parse("namespace ns\nfleet f " +
                                                      HexEncode(testing::TestFleetKey("k")) + "\n"),
                                  1, kNow).ok());
  EXPECT_FALSE(state_.policy.has_value());
}

TEST_F(RotationTest, PayloadRoundTripAndPayloadType) {
  PolicyUpdatePayload p{"example.com/app", 7, kNow, "namespace example.com/app\n"};
  std::string json = SerializePolicyUpdatePayload(p);
  auto back = ParsePolicyUpdatePayload(AsBytes(json));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, p);
  std::string zero = json;
  zero.replace(zero.find("\"version\":7"), 11, "\"version\":0");
  EXPECT_FALSE(ParsePolicyUpdatePayload(AsBytes(zero)).ok());
  auto t = DeliveredPayloadType(AsBytes(Update(1, {"org-a"})));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, kPolicyPayloadType);
}

}  // namespace
}  // namespace keyward::trust


namespace keyward::trust {
namespace {

TEST(AdoptTest, DispatchesVerifiesAndPersists) {
  TrustWorld w;
  TrustPolicy configured = w.Policy();
  keyward::testing::TempDir dir;
  auto path = dir.path() / "state.json";
  auto a = AdoptDelivered(configured, AsBytes(w.Deliver(w.Signed(w.MakePayload(1)))), path, kNow);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(a->ok()) << a->rejection().ToString();
  ASSERT_TRUE((*a)->bundle.has_value());
  EXPECT_EQ((*a)->bundle->epoch, 1u);
  EXPECT_EQ(LoadState(path)->namespaces.begin()->second.epoch, 1u);
  // A rotation through the same entry point, then a bundle under the new policy.
  auto next = TrustPolicy::Parse(RotatedPolicyText(w));
  ASSERT_TRUE(next.ok());
  auto e = CreatePolicyUpdate(*next, 1, kNow);
  for (const char* n : {"org-a", "org-b", "org-c"}) ASSERT_TRUE(AddSignature(*e, w.signer(n)).ok());
  auto u = AdoptDelivered(configured, AsBytes(w.Deliver(*e)), path, kNow);
  ASSERT_TRUE(u.ok() && u->ok());
  EXPECT_EQ((*u)->policy_version, 1u);
  EXPECT_EQ(LoadState(path)->policy->version, 1u);
  auto b = AdoptDelivered(configured, AsBytes(w.Deliver(w.Signed(w.MakePayload(2)))), path, kNow);
  ASSERT_TRUE(b.ok());
  ASSERT_FALSE(b->ok());
  EXPECT_EQ(b->rejection().code, Rejection::kSingleOrganisation);
  EXPECT_EQ(LoadState(path)->namespaces.begin()->second.epoch, 1u);
  auto c = AdoptDelivered(configured, AsBytes(w.Deliver(w.Signed(w.MakePayload(2), {"org-a", "org-c"}))),
                          path, kNow);
  ASSERT_TRUE(c.ok() && c->ok());
  EXPECT_EQ(LoadState(path)->namespaces.begin()->second.epoch, 2u);
  // A corrupt state file is a local error, not a verdict.
  { std::ofstream(path) << "{"; }
  EXPECT_FALSE(AdoptDelivered(configured, AsBytes("x"), path, kNow).ok());
}

}  // namespace
}  // namespace keyward::trust
