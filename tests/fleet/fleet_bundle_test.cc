// A fleet serves delivered validation bundles inline like a single node (issue 5 / issue 6):
// three `keyward node --fleet-join --bundle-dir DIR` members, `keyward fleet init`, then a raw
// RegisterStart to EVERY member (the leader serves it; the followers relay it to the leader over
// the async forwarder) must carry the newest bundle of the directory when the request's
// client_bundle_epoch is older, and none when it is not.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "keyward/v1/peer.grpc.pb.h"
#include "keyward/v1/vault.grpc.pb.h"
#include "node/account_token.h"
#include "support/subprocess.h"
#include "support/vectors.h"
#include "trust/trust_fixture.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::KeywardBinary;
using testing::Subprocess;
using trust::testing::TrustWorld;

// The ristretto255 generator's encoding: a valid blinded element for RegisterStart.
constexpr char kGeneratorHex[] = "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76";

TEST(FleetBundleTest, EveryMemberServesTheBundleInlineFollowersThroughTheLeader) {
  testing::TempDir dir;
  TrustWorld world;
  const std::string bundle = world.Deliver(world.Signed(world.MakePayload(3)));
  std::filesystem::create_directories(dir.path() / "bundles");
  {
    std::ofstream out(dir.path() / "bundles" / "e3.bundle", std::ios::binary);
    out << bundle;
  }
  crypto::SystemRng rng;
  const std::string app_key_path = (dir.path() / "app.key").string();
  ASSERT_TRUE(node::AppKey::Generate(rng).Save(app_key_path).ok());
  auto app_key = node::AppKey::Load(app_key_path);
  ASSERT_TRUE(app_key.ok());

  std::vector<std::unique_ptr<Subprocess>> procs;
  std::vector<std::string> clients, peers;
  for (int i = 0; i < 3; ++i) {
    auto proc = Subprocess::Start({.argv = {KeywardBinary(), "node", "--fleet-join", "--data-dir",
                                            (dir.path() / ("n" + std::to_string(i))).string(), "--listen",
                                            "127.0.0.1:0", "--peer-listen", "127.0.0.1:0", "--app-key",
                                            app_key_path, "--log-level", "warn", "--bundle-dir",
                                            (dir.path() / "bundles").string(), "--namespace",
                                            std::string(TrustWorld::kNamespace)}});
    ASSERT_TRUE(proc.ok()) << proc.status().ToString();
    auto line = (*proc)->WaitForLine("READY ", 30s);
    ASSERT_TRUE(line.ok()) << line.status().ToString();
    auto ready = nlohmann::json::parse(*line);
    clients.push_back(ready["listen"]);
    peers.push_back(ready["peer_listen"]);
    procs.push_back(std::move(*proc));
  }
  auto init = Subprocess::Start({.argv = {KeywardBinary(), "fleet", "init", "--out", (dir.path() / "fleet").string(),
                                          "--nodes", peers[0] + "," + peers[1] + "," + peers[2]}});
  ASSERT_TRUE(init.ok()) << init.status().ToString();
  auto status = (*init)->Wait(60s);
  ASSERT_TRUE(status.ok() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);

  auto credential = app_key->Mint(AsBytes(std::string_view("bundle-user")), node::NowUnixSeconds() + 600);
  v1::RegisterStartRequest req;
  req.mutable_account()->set_user_id("bundle-user");
  req.mutable_account()->set_credential(std::string(AsChars(credential)));
  const Bytes element = testing::Hex(kGeneratorHex);
  req.set_registration_request(std::string(AsChars(element)));
  for (size_t i = 0; i < 3; ++i) {
    auto stub = v1::Vault::NewStub(grpc::CreateChannel(clients[i], grpc::InsecureChannelCredentials()));
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
