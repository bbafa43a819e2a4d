// Issue 5, "What must be shown" 1: the full over-the-air trust flow with real daemons.
//
//   two signing organisations, each with its Ed25519 key inside its own SoftHSM2 token
//     (`keyward bundle keygen`), sign every bundle (`bundle sign` with --token-label/--key-label);
//   an audit log (`keyward log serve`) that publishes a checkpoint only once two witnesses
//     (`keyward witness serve`) cosigned it; `bundle submit` logs each bundle;
//   two dev vault nodes (`keyward node --dev --bundle-dir DIR`) that serve the newest delivered bundle
//     of a shared directory inline, picking up new files without restart;
//   a client (`keyward client --trust POLICY --state FILE`) that holds ONLY the policy (signers, log,
//     witnesses; no fleet key) and a state file.
//
// Epoch 1 names fleet-1 (node 1): the fresh client registers and recovers. Epoch 2 adds fleet-2
// (node 2) — nothing about the client changes — and the client registers and recovers on node 2.
// Epoch 3 marks fleet-1 retiring: recovery there still works and re-registers on the active fleet;
// registration there is refused. Epoch 4 revokes fleet-1: refused. Through the CLI: `bundle verify`
// rejects a tampered bundle and a rolled-back one with exit 2 and `rejected: <code>`.
#include "trustflow_fixture.h"

namespace keyward::testing {
namespace {

TEST_F(TrustFlowTest, FreshClientWithOnlyThePolicyFollowsEpochsOverTheAir) {
  // --- signing organisations: keys generated inside their tokens ---
  const std::string vkey_a = CliOk({"bundle", "keygen", "--token-label", "org-a", "--key-label", "org-a-signer",
                                    "--key-name", "org-a.example", "--pin-env", "PIN_ORG_A"});
  const std::string vkey_b = CliOk({"bundle", "keygen", "--token-label", "org-b", "--key-label", "org-b-signer",
                                    "--key-name", "org-b.example", "--pin-env", "PIN_ORG_B"});
  ASSERT_FALSE(vkey_a.empty());
  ASSERT_FALSE(vkey_b.empty());

  // --- audit log with two witnesses ---
  StartLogAndWitnesses();
  if (HasFatalFailure()) return;

  // --- the client's policy: signers, log, witnesses; NO fleet key ---
  std::ofstream(dir_.path() / "client.policy")
      << "namespace " << kNamespace << "\n"
      << "signer org-a " << vkey_a.substr(0, vkey_a.size() - 1) << "\n"
      << "signer org-b " << vkey_b.substr(0, vkey_b.size() - 1) << "\n"
      << "group main all org-a org-b\nbundle-quorum main\n"
      << LogPolicyLines();
  std::ofstream(dir_.path() / "password") << "correct horse battery staple\n";
  std::ofstream(dir_.path() / "secret-alice") << "alice's backup key";
  std::ofstream(dir_.path() / "secret-bob") << "bob's backup key";
  ASSERT_EQ(Cli({"policy", "check", "--policy", (dir_.path() / "client.policy").string()}).exit_code, 0);

  // --- two vault nodes sharing one bundle directory ---
  NodeInfo n1 = StartNode("fleet-1");
  NodeInfo n2 = StartNode("fleet-2");
  ASSERT_FALSE(n1.listen.empty());
  ASSERT_FALSE(n2.listen.empty());

  // Epoch 1: fleet-1 only.
  const std::string e1 = Publish(1, {FleetFile("fleet-1", "active", n1)});
  RunResult inspect = Cli({"bundle", "inspect", "--in", e1});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("fleet fleet-1"), std::string::npos) << inspect.out;
  Deploy(e1, 1);
  auto reg = ClientUntil(ClientArgs("register", n1, "alice", {"--secret-file", PathIn("secret-alice")}), 0);
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  auto rec = Cli(ClientArgs("recover", n1, "alice", {"--out", PathIn("alice.out")}));
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  EXPECT_EQ(ReadAll(dir_.path() / "alice.out"), "alice's backup key");
  // Before epoch 2 node 2's key is in no adopted bundle: refused (trust failure, exit 2).
  auto early = Cli(ClientArgs("register", n2, "bob", {"--secret-file", PathIn("secret-bob")}));
  EXPECT_EQ(early.exit_code, 2) << early.err;

  // Epoch 2 adds fleet-2; the client is unchanged (same policy, same state file).
  const std::string e2 = Publish(2, {FleetFile("fleet-1", "active", n1), FleetFile("fleet-2", "active", n2)});
  Deploy(e2, 2);
  auto reg2 = ClientUntil(ClientArgs("register", n2, "bob", {"--secret-file", PathIn("secret-bob")}), 0);
  ASSERT_EQ(reg2.exit_code, 0) << reg2.err;
  auto rec2 = Cli(ClientArgs("recover", n2, "bob", {"--out", PathIn("bob.out")}));
  ASSERT_EQ(rec2.exit_code, 0) << rec2.err;
  EXPECT_EQ(ReadAll(dir_.path() / "bob.out"), "bob's backup key");

  // Epoch 3: fleet-1 retiring. Recovering alice there still works and moves her to fleet-2.
  const std::string e3 = Publish(3, {FleetFile("fleet-1", "retiring", n1), FleetFile("fleet-2", "active", n2)});
  Deploy(e3, 3);
  auto refused = ClientUntil(ClientArgs("register", n1, "carol", {"--secret-file", PathIn("secret-bob")}), 2);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("retiring"), std::string::npos) << refused.err;
  auto moved = Cli(ClientArgs("recover", n1, "alice", {"--out", PathIn("alice2.out"), "--reregister"}));
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  EXPECT_EQ(ReadAll(dir_.path() / "alice2.out"), "alice's backup key");
  EXPECT_NE(moved.err.find("re-registered"), std::string::npos) << moved.err;
  auto on2 = Cli(ClientArgs("recover", n2, "alice", {"--out", PathIn("alice3.out")}));
  ASSERT_EQ(on2.exit_code, 0) << on2.err;
  EXPECT_EQ(ReadAll(dir_.path() / "alice3.out"), "alice's backup key");

  // Epoch 4: fleet-1 revoked: the client refuses it.
  const std::string e4 = Publish(4, {FleetFile("fleet-1", "revoked", n1), FleetFile("fleet-2", "active", n2)});
  Deploy(e4, 4);
  auto revoked = ClientUntil(ClientArgs("recover", n1, "alice", {"--out", PathIn("alice4.out")}), 2);
  EXPECT_EQ(revoked.exit_code, 2) << revoked.err;
  EXPECT_NE(revoked.err.find("revoked"), std::string::npos) << revoked.err;

  // --- `keyward bundle verify` ---
  const std::string policy = (dir_.path() / "client.policy").string();
  const std::string state = (dir_.path() / "verify.state").string();
  auto ok = Cli({"bundle", "verify", "--policy", policy, "--state", state, "--in", e3});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("accepted"), std::string::npos) << ok.out;
  auto rollback = Cli({"bundle", "verify", "--policy", policy, "--state", state, "--in", e2});
  EXPECT_EQ(rollback.exit_code, 2);
  EXPECT_EQ(rollback.err.rfind("rejected: rollback", 0), 0u) << rollback.err;
  // Tampered: one payload byte changed inside the logged envelope (base64 line of the container).
  std::string bytes = ReadAll(e4);
  const size_t line2 = bytes.find('\n') + 1;
  auto env = Base64Decode(std::string_view(bytes).substr(line2, bytes.find('\n', line2) - line2));
  ASSERT_TRUE(env.ok());
  std::string text(env->begin(), env->end());
  const size_t pos = text.find("\"payload\":\"") + 20;
  text[pos] = text[pos] == 'A' ? 'B' : 'A';
  bytes.replace(line2, bytes.find('\n', line2) - line2, Base64Encode(AsBytes(text)));
  std::ofstream(dir_.path() / "tampered.bundle", std::ios::binary) << bytes;
  auto tampered = Cli({"bundle", "verify", "--policy", policy, "--state", state, "--in",
                       (dir_.path() / "tampered.bundle").string()});
  EXPECT_EQ(tampered.exit_code, 2) << tampered.err;
  EXPECT_EQ(tampered.err.rfind("rejected: ", 0), 0u) << tampered.err;
  // An untampered later epoch is still accepted after the rejections (they changed no state).
  auto later = Cli({"bundle", "verify", "--policy", policy, "--state", state, "--in", e4});
  EXPECT_EQ(later.exit_code, 0) << later.err;
}

}  // namespace
}  // namespace keyward::testing
