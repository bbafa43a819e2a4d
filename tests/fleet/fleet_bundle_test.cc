// A fleet serves delivered validation bundles inline like a single node (issue 5 / issue 6):
// three `keyward node --fleet-join --bundle-dir DIR` members, `keyward fleet init`, then a raw
// RegisterStart to EVERY member (the leader serves it; the followers relay it to the leader over
// the async forwarder) must carry the newest bundle of the directory when the request's
// client_bundle_epoch is older, and none when it is not.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "fleet/fleet_fixture.h"
#include "keyward/v1/vault.grpc.pb.h"
#include "trust/trust_fixture.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;
using trust::testing::TrustWorld;

// The ristretto255 generator's encoding: a valid blinded element for RegisterStart.
constexpr char kGeneratorHex[] = "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76";

class FleetBundleTest : public testing::FleetFixture {};

TEST_F(FleetBundleTest, EveryMemberServesTheBundleInlineFollowersThroughTheLeader) {
  TrustWorld world;
  const std::string bundle = world.Deliver(world.Signed(world.MakePayload(3)));
  std::filesystem::create_directories(dir_.path() / "bundles");
  {
    std::ofstream out(dir_.path() / "bundles" / "e3.bundle", std::ios::binary);
    out << bundle;
  }
  testing::FleetOptions options;
  options.node_flags = {"--log-level", "warn", "--bundle-dir", (dir_.path() / "bundles").string(), "--namespace",
                        std::string(TrustWorld::kNamespace)};
  options.make_clients = false;  // raw RegisterStart calls below
  ASSERT_NO_FATAL_FAILURE(StartFleet(std::move(options)));

  auto credential = app_key_->Mint(AsBytes(std::string_view("bundle-user")), node::NowUnixSeconds() + 600);
  v1::RegisterStartRequest req;
  req.mutable_account()->set_user_id("bundle-user");
  req.mutable_account()->set_credential(std::string(AsChars(credential)));
  const Bytes element = testing::Hex(kGeneratorHex);
  req.set_registration_request(std::string(AsChars(element)));
  for (size_t i = 0; i < 3; ++i) {
    auto stub = v1::Vault::NewStub(grpc::CreateChannel(members_[i].client, grpc::InsecureChannelCredentials()));
    // Until the fleet has a ready leader the members answer UNAVAILABLE: retry within a bound.
    grpc::Status s;
    v1::RegisterStartResponse resp;
    for (auto end = Clock::now() + 15s; Clock::now() < end;) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + 3s);
      resp.Clear();
      req.set_client_bundle_epoch(0);
      s = stub->RegisterStart(&ctx, req, &resp);
      if (s.error_code() != grpc::UNAVAILABLE) break;
      std::this_thread::sleep_for(50ms);  // poll interval of a bounded wait for the election
    }
    ASSERT_TRUE(s.ok()) << "member " << i << ": " << s.error_message();
    EXPECT_EQ(resp.validation_bundle(), bundle) << "member " << i;
    EXPECT_EQ(resp.registration_response().size(), 64u);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 3s);
    req.set_client_bundle_epoch(3);
    resp.Clear();
    ASSERT_TRUE(stub->RegisterStart(&ctx, req, &resp).ok());
    EXPECT_TRUE(resp.validation_bundle().empty()) << "member " << i << ": the client already holds epoch 3";
  }
}

}  // namespace
}  // namespace keyward
