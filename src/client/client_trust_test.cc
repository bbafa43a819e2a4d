// ClientTrust: adoption of inline bundles and the fleet choice in both trust modes.
#include "client/client_trust.h"

#include <gtest/gtest.h>

#include "support/vectors.h"
#include "trust/trust_fixture.h"

namespace keyward::client {
namespace {

using trust::FleetState;
using trust::testing::TestFleet;
using trust::testing::TrustWorld;

class ClientTrustTest : public ::testing::Test {
 protected:
  std::unique_ptr<ClientTrust> Make(std::string vault = "fleet-1.vault.example:7443", std::string fleet_id = "") {
    ClientTrust::Options o;
    o.policy_text = world_.PolicyText();
    o.state_path = dir_.path() / "state.json";
    o.vault_address = std::move(vault);
    o.fleet_id = std::move(fleet_id);
    o.now = TrustWorld::kNow;
    auto t = ClientTrust::Create(std::move(o));
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::move(*t) : nullptr;
  }
  std::string Deliver(uint64_t epoch, std::vector<trust::FleetEntry> fleets) {
    return world_.Deliver(world_.Signed(world_.MakePayload(epoch, std::move(fleets))));
  }
  static ByteSpan Key(const trust::FleetEntry& f) { return f.opaque_public_key; }
  TrustWorld world_;
  testing::TempDir dir_;
};

TEST_F(ClientTrustTest, NothingIsTrustedBeforeABundleIsAdopted) {
  auto t = Make();
  EXPECT_EQ(t->mode(), trust::TrustMode::kOverTheAir);
  EXPECT_EQ(t->request_epoch(), 0u);
  EXPECT_EQ(t->FleetForRegistration(Key(TestFleet("fleet-1"))).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_FALSE(t->FleetForRecovery().ok());
  EXPECT_TRUE(t->Adopt("").ok());  // no bundle attached: nothing happens
}

TEST_F(ClientTrustTest, AdoptsAndPersistsThenChoosesFleetsByState) {
  auto t = Make();
  auto f1 = TestFleet("fleet-1"), f2 = TestFleet("fleet-2"), f3 = TestFleet("fleet-3", FleetState::kRevoked);
  ASSERT_TRUE(t->Adopt(Deliver(1, {f1, f2, f3})).ok());
  EXPECT_EQ(t->request_epoch(), 1u);
  auto reg = t->FleetForRegistration(Key(f2));
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ(reg->id, "fleet-2");
  ASSERT_TRUE(reg->argon2id.has_value());
  EXPECT_EQ(reg->argon2id->memory_kib, 65536u);
  EXPECT_FALSE(t->FleetForRegistration(Key(f3)).ok());                            // revoked
  EXPECT_FALSE(t->FleetForRegistration(Key(TestFleet("unknown"))).ok());           // not in the bundle
  auto rec = t->FleetForRecovery();  // by endpoint
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->id, "fleet-1");
  // The state file holds the high-water mark: a new process refuses the older epoch.
  auto again = Make();
  Status old = again->Adopt(Deliver(0 + 1, {f1}));  // same epoch, other bytes
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.message().find("rejected: equivocation"), std::string::npos) << old.ToString();
}

TEST_F(ClientTrustTest, RetiringRecoversButDoesNotRegisterAndNamesTheActiveFleet) {
  auto t = Make();
  auto f1 = TestFleet("fleet-1", FleetState::kRetiring), f2 = TestFleet("fleet-2");
  ASSERT_TRUE(t->Adopt(Deliver(2, {f1, f2})).ok());
  EXPECT_FALSE(t->FleetForRegistration(Key(f1)).ok());
  auto rec = t->FleetForRecovery();
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->state, FleetState::kRetiring);
  auto active = t->ActiveFleet();
  ASSERT_TRUE(active.has_value());
  EXPECT_EQ(active->id, "fleet-2");
  EXPECT_EQ(active->endpoints.front(), "fleet-2.vault.example:7443");
}

TEST_F(ClientTrustTest, RevokedFleetIsRefusedForRecovery) {
  auto t = Make();
  ASSERT_TRUE(t->Adopt(Deliver(3, {TestFleet("fleet-1", FleetState::kRevoked), TestFleet("fleet-2")})).ok());
  auto rec = t->FleetForRecovery();
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.status().message().find("revoked"), std::string::npos);
}

TEST_F(ClientTrustTest, RejectedBundlesChangeNothing) {
  auto t = Make();
  ASSERT_TRUE(t->Adopt(Deliver(5, {TestFleet("fleet-1")})).ok());
  Status rollback = t->Adopt(Deliver(4, {TestFleet("fleet-1"), TestFleet("fleet-2")}));
  ASSERT_FALSE(rollback.ok());
  EXPECT_EQ(rollback.code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(rollback.message().find("rejected: rollback"), std::string::npos) << rollback.ToString();
  // One organisation alone.
  std::string single = world_.Deliver(world_.Signed(world_.MakePayload(6, {TestFleet("fleet-2")}), {"org-a"}));
  Status s = t->Adopt(single);
  EXPECT_NE(s.message().find("rejected: single-organisation"), std::string::npos) << s.ToString();
  EXPECT_EQ(t->request_epoch(), 5u);
  EXPECT_FALSE(t->FleetForRegistration(Key(TestFleet("fleet-2"))).ok());
}

TEST(ClientTrustPinned, PinnedPolicyNeedsNoStateAndChecksKeys) {
  auto key = trust::testing::TestFleetKey("fleet:p1");
  ClientTrust::Options o;
  o.policy_text = "namespace a.example\nfleet p1 " + HexEncode(key) + "\n";
  auto t = ClientTrust::Create(o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->mode(), trust::TrustMode::kPinned);
  EXPECT_TRUE((*t)->FleetForRegistration(key).ok());
  EXPECT_FALSE((*t)->FleetForRegistration(trust::testing::TestFleetKey("other")).ok());
  EXPECT_TRUE((*t)->FleetForRecovery().ok());
  EXPECT_TRUE((*t)->Adopt("anything").ok());  // pinned: inline bundles are ignored
}

TEST(ClientTrustPinned, OverTheAirPolicyNeedsAStateFile) {
  TrustWorld world;
  ClientTrust::Options o;
  o.policy_text = world.PolicyText();
  EXPECT_EQ(ClientTrust::Create(o).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace keyward::client
