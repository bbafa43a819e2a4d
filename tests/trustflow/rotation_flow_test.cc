// Issue 5, signer rotation delivered over the air with real daemons: a vault node serves logged
// policy updates inline (vault.proto client_policy_version / policy_updates) next to the fleets
// bundle, and a client that holds only the OLD policy and its state file
// (`keyward client --trust --state`) adopts them.
//
//   policy v0: bundle quorum = org-a AND org-b.  policy v1: org-a AND org-c (org-b replaced).
//   1. epoch 1 (a+b): the client registers alice.
//   2. a v1 update signed only by the old quorum (a+b) is served: refused inline (rotation-quorum);
//      the client keeps working on v0 (recover succeeds) and the refusal is on stderr.
//   3. the correct v1 update (a+b+c) and epoch 2 signed under v1 (a+c) are served: the client
//      adopts v1 and then epoch 2 in one response; its epochs and checkpoints are kept.
//   4. replays: the pre-rotation epoch-1 bundle is refused, and so is a new epoch signed by the old
//      quorum (a+b) delivered inline (single-organisation: org-b no longer counts).
#include "trustflow_fixture.h"

namespace keyward::testing {
namespace {

class RotationFlowTest : public TrustFlowTest {
 protected:
  // create → sign with each key file → submit.
  std::string PublishWithKeys(const std::string& name, uint64_t epoch, const std::vector<std::string>& fleet_files,
                              const std::vector<std::filesystem::path>& keys) {
    const std::string json = CreateBundle(name, epoch, fleet_files);
    for (const auto& k : keys) SignWithKey(json, k);
    return Submit(json, PathIn(name + ".delivered"));
  }
  std::string PolicyText(const std::string& second_org, const std::string& second_vkey) const {
    return std::string("namespace ") + kNamespace + "\nsigner org-a " + vkey_a_ + "\nsigner " + second_org + " " +
           second_vkey + "\ngroup main all org-a " + second_org + "\nbundle-quorum main\n" + LogPolicyLines();
  }
  RunResult RecoverAlice(const NodeInfo& n) {
    return Cli(ClientArgs("recover", n, "alice", {"--out", PathIn("alice.out")}));
  }
  // Runs `recover alice` until `done(result)` (the node picks files up every 50 ms); bounded.
  template <typename Pred>
  RunResult RecoverUntil(const NodeInfo& n, Pred done) {
    RunResult r;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    do {
      r = RecoverAlice(n);
      if (done(r)) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
    return r;
  }

  std::string vkey_a_, vkey_b_, vkey_c_;
};

TEST_F(RotationFlowTest, PolicyRotationDeliveredInlineToAClientHoldingOnlyTheOldPolicy) {
  StartLogAndWitnesses();
  if (HasFatalFailure()) return;
  const auto key_a = dir_.path() / "org-a.key", key_b = dir_.path() / "org-b.key", key_c = dir_.path() / "org-c.key";
  vkey_a_ = KeygenCli("org-a.example", key_a);
  vkey_b_ = KeygenCli("org-b.example", key_b);
  vkey_c_ = KeygenCli("org-c.example", key_c);
  const auto policy_v0 = dir_.path() / "client.policy", policy_v1 = dir_.path() / "v1.policy";
  std::ofstream(policy_v0) << PolicyText("org-b", vkey_b_);
  std::ofstream(policy_v1) << PolicyText("org-c", vkey_c_);
  std::ofstream(dir_.path() / "password") << "correct horse battery staple\n";
  std::ofstream(dir_.path() / "secret-alice") << "alice's backup key";
  const auto state = dir_.path() / "client.state";

  NodeInfo n1 = StartNode("fleet-1");
  ASSERT_FALSE(n1.listen.empty());
  const std::string fleet = FleetFile("fleet-1", "active", n1);

  // 1. Epoch 1 under v0.
  const std::string e1 = PublishWithKeys("epoch1", 1, {fleet}, {key_a, key_b});
  DeployAs(e1, "epoch1.bundle");
  auto reg = ClientUntil(ClientArgs("register", n1, "alice", {"--secret-file", PathIn("secret-alice")}), 0);
  ASSERT_EQ(reg.exit_code, 0) << reg.err;

  // 2. An update signed only by the OLD quorum: refused inline, the client keeps working on v0.
  CliOk({"policy", "update", "--current", policy_v0.string(), "--new", policy_v1.string(), "--version", "1",
         "--out", (dir_.path() / "update-bad.json").string()});
  SignWithKey((dir_.path() / "update-bad.json").string(), key_a);
  SignWithKey((dir_.path() / "update-bad.json").string(), key_b);
  const std::string bad = Submit((dir_.path() / "update-bad.json").string(), (dir_.path() / "update-bad.delivered").string());
  DeployAs(bad, "policy1-bad.bundle");
  auto refused = RecoverUntil(n1, [](const RunResult& r) { return r.err.find("rotation-quorum") != std::string::npos; });
  EXPECT_EQ(refused.exit_code, 0) << refused.err;  // still working on the old policy
  EXPECT_NE(refused.err.find("rejected: rotation-quorum"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("warning"), std::string::npos) << refused.err;
  EXPECT_EQ(ReadAll(dir_.path() / "alice.out"), "alice's backup key");
  EXPECT_EQ(ReadAll(state).find("\"policy\""), std::string::npos) << "a refused update must not be adopted";

  // 3. The real rotation: v1 signed by the old quorum AND the new one, and epoch 2 signed under v1.
  std::filesystem::remove(dir_.path() / "bundles" / "policy1-bad.bundle");
  CliOk({"policy", "update", "--current", policy_v0.string(), "--new", policy_v1.string(), "--version", "1",
         "--out", (dir_.path() / "update.json").string()});
  for (const auto& k : {key_a, key_b, key_c}) SignWithKey((dir_.path() / "update.json").string(), k);
  const std::string good = Submit((dir_.path() / "update.json").string(), (dir_.path() / "update.delivered").string());
  const std::string e2 = PublishWithKeys("epoch2", 2, {fleet}, {key_a, key_c});
  DeployAs(good, "policy1.bundle");
  DeployAs(e2, "epoch2.bundle");
  auto rotated = RecoverUntil(n1, [&](const RunResult& r) {
    return r.exit_code == 0 && ReadAll(state).find("\"policy\":{\"version\":1") != std::string::npos &&
           ReadAll(state).find("\"epoch\":2") != std::string::npos;
  });
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_EQ(rotated.err.find("rejected"), std::string::npos) << rotated.err;
  EXPECT_EQ(ReadAll(dir_.path() / "alice.out"), "alice's backup key");
  const std::string after = ReadAll(state);
  EXPECT_NE(after.find("\"policy\":{\"version\":1"), std::string::npos) << after;
  EXPECT_NE(after.find("\"epoch\":2"), std::string::npos) << after;        // epoch kept and advanced
  EXPECT_NE(after.find(kLogOrigin), std::string::npos) << after;           // checkpoint kept
  EXPECT_NE(after.find("org-c.example"), std::string::npos) << after;      // the new policy's text

  // 4a. Replaying the pre-rotation bundle: refused. Signatures are checked before epochs, so the
  // reason is that it lacks the new quorum (it would also be below the epoch high-water mark).
  std::filesystem::copy_file(state, dir_.path() / "replay.state");
  auto replay = Cli({"bundle", "verify", "--policy", policy_v0.string(), "--state",
                     (dir_.path() / "replay.state").string(), "--in", e1});
  EXPECT_EQ(replay.exit_code, 2) << replay.out;
  EXPECT_EQ(replay.err.rfind("rejected: single-organisation", 0), 0u) << replay.err;
  // 4b. A new epoch signed by the OLD quorum only: refused inline under v1.
  const std::string e3 = PublishWithKeys("epoch3", 3, {fleet}, {key_a, key_b});
  DeployAs(e3, "epoch3.bundle");
  auto old_quorum = RecoverUntil(n1, [](const RunResult& r) { return r.exit_code == 2; });
  EXPECT_EQ(old_quorum.exit_code, 2) << old_quorum.err;
  EXPECT_NE(old_quorum.err.find("rejected: single-organisation"), std::string::npos) << old_quorum.err;
  EXPECT_NE(ReadAll(state).find("\"epoch\":2"), std::string::npos) << "a rejection changes no state";
}

}  // namespace
}  // namespace keyward::testing
