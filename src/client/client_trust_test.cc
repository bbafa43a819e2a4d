// ClientTrust: adoption of inline bundles and the fleet choice in both trust modes.
#include "client/client_trust.h"

#include <gtest/gtest.h>

#include "support/vectors.h"
#include "trust/rotation.h"
#include "trust/trust_fixture.h"

namespace keyward::client {
namespace {

using trust::FleetState;
using trust::testing::TestFleet;
using trust::testing::TrustWorld;

// The log's consistency proofs, straight from the test world's in-memory log.
class WorldFetcher : public trust::ConsistencyFetcher {
 public:
  explicit WorldFetcher(const tlog::MemoryHashStore& store) : store_(store) {}
  StatusOr<std::vector<tlog::Hash>> FetchConsistencyProof(std::string_view, const std::optional<std::string>&,
                                                          uint64_t old_size, uint64_t new_size) override {
    ++calls;
    return tlog::ConsistencyProof(old_size, new_size, store_);
  }
  int calls = 0;

 private:
  const tlog::MemoryHashStore& store_;
};

class ClientTrustTest : public ::testing::Test {
 protected:
  std::unique_ptr<ClientTrust> Make(std::string vault = "fleet-1.vault.example:7443", std::string fleet_id = "") {
    ClientTrust::Options o;
    o.policy_text = world_.PolicyText();
    o.state_path = dir_.path() / "state.json";
    o.vault_address = std::move(vault);
    o.fleet_id = std::move(fleet_id);
    o.now = TrustWorld::kNow;
    o.fetcher = fetcher_;
    auto t = ClientTrust::Create(std::move(o));
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::move(*t) : nullptr;
  }
  std::string Deliver(uint64_t epoch, std::vector<trust::FleetEntry> fleets) {
    return world_.Deliver(world_.Signed(world_.MakePayload(epoch, std::move(fleets))));
  }
  static ByteSpan Key(const trust::FleetEntry& f) { return f.opaque_public_key; }
  // The policy after rotating org-b out and org-c in (version `version`), signed by `by`.
  std::string RotatedText() {
    std::string t = "namespace " + std::string(TrustWorld::kNamespace) + "\n";
    for (const char* n : {"org-a", "org-c"}) t += world_.SignerLine(n);
    return t + "group main all org-a org-c\nbundle-quorum main\n" + world_.LogLines();
  }
  std::string Update(uint64_t version, std::initializer_list<const char*> by) {
    auto next = trust::TrustPolicy::Parse(RotatedText());
    EXPECT_TRUE(next.ok());
    auto e = trust::CreatePolicyUpdate(*next, version, TrustWorld::kNow - 60);
    EXPECT_TRUE(e.ok());
    for (const char* n : by) EXPECT_TRUE(trust::AddSignature(*e, world_.signer(n)).ok());
    return world_.Deliver(*e);
  }
  TrustWorld world_;
  std::shared_ptr<WorldFetcher> fetcher_ = std::make_shared<WorldFetcher>(world_.store());
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

TEST_F(ClientTrustTest, PolicyUpdateInlineIsAdoptedBeforeTheBundleItAuthorises) {
  auto t = Make();
  ASSERT_TRUE(t->Adopt(Deliver(1, {TestFleet("fleet-1")})).ok());
  EXPECT_EQ(t->request_policy_version(), 0u);
  // One response: the rotation (old AND new quorum) and a bundle signed under the NEW policy only.
  const std::string update = Update(1, {"org-a", "org-b", "org-c"});
  const std::string bundle =
      world_.Deliver(world_.Signed(world_.MakePayload(2, {TestFleet("fleet-1"), TestFleet("fleet-2")}), {"org-a", "org-c"}));
  std::string warnings = "stale";
  Status s = t->Adopt(bundle, {update}, &warnings);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(warnings, "");
  EXPECT_GE(fetcher_->calls, 1);  // log consistency checked online between the checkpoints
  EXPECT_EQ(t->request_policy_version(), 1u);
  EXPECT_EQ(t->request_epoch(), 2u);
  EXPECT_TRUE(t->FleetForRegistration(Key(TestFleet("fleet-2"))).ok());
  // Persisted: a new process holds version 1 and epoch 2's high-water mark; nothing else was reset.
  auto again = Make();
  EXPECT_EQ(again->request_policy_version(), 1u);
  auto st = trust::LoadState(dir_.path() / "state.json");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->namespaces.at(std::string(TrustWorld::kNamespace)).epoch, 2u);
  EXPECT_EQ(st->logs.size(), 1u);
  // The pre-rotation signers alone no longer count.
  Status old = again->Adopt(world_.Deliver(world_.Signed(world_.MakePayload(3, {TestFleet("fleet-1")}))));
  EXPECT_NE(old.message().find("rejected: single-organisation"), std::string::npos) << old.ToString();
}

TEST_F(ClientTrustTest, PolicyUpdateWithOneQuorumIsRefusedInlineAndTheClientKeepsWorking) {
  auto t = Make();
  const std::string bad = Update(1, {"org-a", "org-b"});  // the old quorum only
  std::string warnings;
  Status s = t->Adopt(Deliver(1, {TestFleet("fleet-1")}), {bad}, &warnings);
  ASSERT_TRUE(s.ok()) << s.ToString();  // the bundle is valid under the policy in force
  EXPECT_NE(warnings.find("rejected: rotation-quorum"), std::string::npos) << warnings;
  EXPECT_EQ(t->request_policy_version(), 0u);
  EXPECT_EQ(t->request_epoch(), 1u);
  EXPECT_TRUE(t->FleetForRecovery().ok());
  // A later, correct update in the same list is still applied (each is checked on its own).
  const std::string good = Update(2, {"org-a", "org-b", "org-c"});
  ASSERT_TRUE(t->Adopt("", {bad, good}, &warnings).ok());
  EXPECT_EQ(t->request_policy_version(), 2u);
  EXPECT_NE(warnings.find("rotation-quorum"), std::string::npos) << warnings;
  // The fleets adopted under the old policy (signed by org-a + org-b) no longer verify: dropped.
  EXPECT_NE(warnings.find("dropped"), std::string::npos) << warnings;
  EXPECT_EQ(t->request_epoch(), 0u);
  EXPECT_FALSE(t->FleetForRecovery().ok());
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
