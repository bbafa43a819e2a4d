// Drives c_api_ota_test.c (the C API in over-the-air mode, from C11) against a real log with two
// witnesses and a dev node serving a signed, logged bundle inline.
#include "node/account_token.h"
#include "trustflow_fixture.h"

extern "C" int keyward_c_api_ota_scenario(const char* vault, const char* policy_text, const char* state_path,
                                          const uint8_t* credential, size_t credential_len, char* err,
                                          size_t err_len);

namespace keyward::testing {
namespace {

TEST_F(TrustFlowTest, CApiOverTheAirModeFromC) {
  StartLogAndWitnesses();
  if (HasFatalFailure()) return;
  const auto key_a = dir_.path() / "org-a.key", key_b = dir_.path() / "org-b.key";
  const std::string va = KeygenCli("org-a.example", key_a), vb = KeygenCli("org-b.example", key_b);
  const std::string policy = std::string("namespace ") + kNamespace + "\nsigner org-a " + va + "\nsigner org-b " +
                             vb + "\ngroup main all org-a org-b\nbundle-quorum main\n" + LogPolicyLines();
  NodeInfo n = StartNode("fleet-1");
  ASSERT_FALSE(n.listen.empty());
  const std::string json = CreateBundle("epoch1", 1, {FleetFile("fleet-1", "active", n)});
  SignWithKey(json, key_a);
  SignWithKey(json, key_b);
  Deploy(Submit(json, PathIn("epoch1.delivered")), 1);
  // Bounded wait until the node serves it (it rescans every 50 ms): the bundle file is observable.
  auto app_key = node::AppKey::Load(app_key_);
  ASSERT_TRUE(app_key.ok()) << app_key.status().ToString();
  const Bytes credential = app_key->Mint(AsBytes(std::string("c-ota-user")), node::NowUnixSeconds() + 300);
  const std::string state = (dir_.path() / "c-client.state").string();
  char err[1024] = {0};
  int failed = -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {  // retried only while the node has not picked the bundle up yet (a fresh state each time)
    std::filesystem::remove(state);
    failed = keyward_c_api_ota_scenario(n.listen.c_str(), policy.c_str(), state.c_str(), credential.data(),
                                        credential.size(), err, sizeof err);
    if (failed == 0 || std::string(err).find("no validation bundle adopted yet") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(failed, 0) << err;
}

}  // namespace
}  // namespace keyward::testing
