// BundleSource: picks the highest epoch of its namespace from a directory, reloads without restart,
// and keeps the last good bundle when files are bad.
#include "node/bundle_source.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/vectors.h"
#include "trust/rotation.h"
#include "trust/trust_fixture.h"
#include "keyward/v1/vault.pb.h"

namespace keyward::node {
namespace {

using trust::testing::TrustWorld;

class BundleSourceTest : public ::testing::Test {
 protected:
  std::string Bundle(uint64_t epoch, std::string ns = std::string(TrustWorld::kNamespace)) {
    trust::Payload p = world_.MakePayload(epoch);
    p.ns = ns;
    return world_.Deliver(world_.Signed(p));
  }
  std::string Update(uint64_t version) {
    auto e = trust::CreatePolicyUpdate(world_.Policy(), version, TrustWorld::kNow - 60);
    EXPECT_TRUE(e.ok());
    for (const char* n : {"org-a", "org-b"}) EXPECT_TRUE(trust::AddSignature(*e, world_.signer(n)).ok());
    return world_.Deliver(*e);
  }
  void Write(const std::string& name, const std::string& data) {
    std::ofstream out(dir_.path() / name, std::ios::binary);
    out << data;
  }
  std::unique_ptr<BundleSource> Start() {
    BundleSource::Options o;
    o.dir = dir_.path();
    o.ns = std::string(TrustWorld::kNamespace);
    o.poll_interval = std::chrono::hours(1);  // tests call Rescan() themselves
    auto s = BundleSource::Start(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  TrustWorld world_;
  testing::TempDir dir_;
};

TEST_F(BundleSourceTest, EmptyDirectoryAttachesNothing) {
  auto s = Start();
  std::string field;
  EXPECT_FALSE(s->Attach(0, &field));
  EXPECT_EQ(s->Current(), nullptr);
}

TEST_F(BundleSourceTest, MissingDirectoryIsAnError) {
  BundleSource::Options o;
  o.dir = dir_.path() / "nope";
  o.ns = "x";
  EXPECT_FALSE(BundleSource::Start(o).ok());
}

TEST_F(BundleSourceTest, ServesHighestEpochOnlyToOlderClients) {
  const std::string b1 = Bundle(1), b2 = Bundle(2);
  Write("a.bundle", b2);
  Write("b.bundle", b1);
  Write("ignored.txt", "not a bundle");
  auto s = Start();
  std::string field;
  ASSERT_TRUE(s->Attach(0, &field));
  EXPECT_EQ(field, b2);
  field.clear();
  EXPECT_TRUE(s->Attach(1, &field));
  EXPECT_FALSE(s->Attach(2, &field));
  EXPECT_FALSE(s->Attach(3, &field));
}

TEST_F(BundleSourceTest, PicksUpANewEpochWithoutRestartAndKeepsTheLastGoodOne) {
  Write("e1.bundle", Bundle(1));
  auto s = Start();
  EXPECT_EQ(s->Rescan(), 1u);
  Write("e2.bundle", Bundle(2));
  EXPECT_EQ(s->Rescan(), 2u);
  // Bad files never replace or remove the bundle in service.
  Write("garbage.bundle", "keyward.dev/delivered@v1\nnot base64!\n");
  Write("other-ns.bundle", Bundle(9, "other.example/app"));
  std::string big(kMaxInlineBundleBytes + 10, 'x');
  Write("huge.bundle", big);
  EXPECT_EQ(s->Rescan(), 2u);
  std::filesystem::remove(dir_.path() / "e2.bundle");
  EXPECT_EQ(s->Rescan(), 2u);  // an epoch never goes backwards while running
  Write("e3.bundle", Bundle(3));
  EXPECT_EQ(s->Rescan(), 3u);
}

TEST_F(BundleSourceTest, BackgroundThreadReloads) {
  BundleSource::Options o;
  o.dir = dir_.path();
  o.ns = std::string(TrustWorld::kNamespace);
  o.poll_interval = std::chrono::milliseconds(20);
  auto s = BundleSource::Start(o);
  ASSERT_TRUE(s.ok());
  Write("e5.bundle", Bundle(5));
  // Bounded wait for the poller (no sleep-as-synchronisation: poll the observable state).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((*s)->Current() == nullptr && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_NE((*s)->Current(), nullptr);
  EXPECT_EQ((*s)->Current()->epoch, 5u);
}

TEST_F(BundleSourceTest, ServesPolicyUpdatesAboveTheClientsVersionOldestFirst) {
  const std::string u1 = Update(1), u2 = Update(2), b3 = Bundle(3);
  Write("p2.bundle", u2);
  Write("p1.bundle", u1);
  Write("e3.bundle", b3);
  auto s = Start();
  EXPECT_EQ(s->Current()->epoch, 3u);  // updates never count as the fleets bundle
  ASSERT_NE(s->PolicyUpdates(), nullptr);
  ASSERT_EQ(s->PolicyUpdates()->size(), 2u);

  v1::RecoverStartRequest req;
  v1::RecoverStartResponse resp;
  s->AttachTo(req, &resp);  // version 0, epoch 0: both updates, oldest first, and the bundle
  ASSERT_EQ(resp.policy_updates_size(), 2);
  EXPECT_EQ(resp.policy_updates(0), u1);
  EXPECT_EQ(resp.policy_updates(1), u2);
  EXPECT_EQ(resp.validation_bundle(), b3);

  req.set_client_policy_version(1);
  req.set_client_bundle_epoch(3);
  resp.Clear();
  s->AttachTo(req, &resp);
  ASSERT_EQ(resp.policy_updates_size(), 1);
  EXPECT_EQ(resp.policy_updates(0), u2);
  EXPECT_TRUE(resp.validation_bundle().empty());

  req.set_client_policy_version(2);
  resp.Clear();
  s->AttachTo(req, &resp);
  EXPECT_EQ(resp.policy_updates_size(), 0);

  // Withdrawing a file withdraws the update (unlike bundles, the set is what the directory holds).
  std::filesystem::remove(dir_.path() / "p2.bundle");
  s->Rescan();
  req.set_client_policy_version(0);
  resp.Clear();
  s->AttachTo(req, &resp);
  ASSERT_EQ(resp.policy_updates_size(), 1);
  EXPECT_EQ(resp.policy_updates(0), u1);
}

TEST_F(BundleSourceTest, PeekTellsBundlesAndPolicyUpdatesApart) {
  auto u = BundleSource::PeekDelivered(Update(7));
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_TRUE(u->policy_update);
  EXPECT_EQ(u->number, 7u);
  EXPECT_EQ(u->ns, TrustWorld::kNamespace);
  auto b = BundleSource::PeekDelivered(Bundle(5));
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->policy_update);
  EXPECT_EQ(b->number, 5u);
  EXPECT_FALSE(BundleSource::PeekNamespaceAndEpoch(Update(7)).ok());
}

TEST_F(BundleSourceTest, PeekRejectsPolicyUpdatesAndGarbage) {
  EXPECT_FALSE(BundleSource::PeekNamespaceAndEpoch("").ok());
  auto peek = BundleSource::PeekNamespaceAndEpoch(Bundle(4));
  ASSERT_TRUE(peek.ok()) << peek.status().ToString();
  EXPECT_EQ(peek->second, 4u);
}

}  // namespace
}  // namespace keyward::node
