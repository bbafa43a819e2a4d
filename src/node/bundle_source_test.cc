// BundleSource: picks the highest epoch of its namespace from a directory, reloads without restart,
// and keeps the last good bundle when files are bad.
#include "node/bundle_source.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/vectors.h"
#include "trust/trust_fixture.h"

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

TEST_F(BundleSourceTest, PeekRejectsPolicyUpdatesAndGarbage) {
  EXPECT_FALSE(BundleSource::PeekNamespaceAndEpoch("").ok());
  auto peek = BundleSource::PeekNamespaceAndEpoch(Bundle(4));
  ASSERT_TRUE(peek.ok()) << peek.status().ToString();
  EXPECT_EQ(peek->second, 4u);
}

}  // namespace
}  // namespace keyward::node
