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
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/bytes.h"
#include "logd/daemons.h"
#include "pkcs11/dev_token.h"
#include "support/subprocess.h"
#include "support/vectors.h"

namespace keyward::testing {
namespace {

constexpr char kNamespace[] = "trustflow.keyward.test/app";
constexpr char kLogOrigin[] = "log.trustflow.test/keyward";

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TrustFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two tokens (one per organisation) in one SoftHSM2 token directory.
    hsm_ = dir_.path() / "hsm";
    for (const auto& [label, pin] : {std::pair{"org-a", "pin-org-a-1234"}, std::pair{"org-b", "pin-org-b-5678"}}) {
      Status s = pkcs11::EnsureSoftHsmDevToken(hsm_, label, crypto::SecretBytes(AsBytes(std::string("so-") + pin)),
                                               crypto::SecretBytes(AsBytes(std::string(pin))));
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    env_ = {{"SOFTHSM2_CONF", pkcs11::SoftHsmConfPath(hsm_).string()},
            {"PIN_ORG_A", "pin-org-a-1234"},
            {"PIN_ORG_B", "pin-org-b-5678"}};
    std::filesystem::create_directories(dir_.path() / "bundles");
  }

  // Runs the CLI to completion (bounded); stdout and stderr captured.
  RunResult Cli(std::vector<std::string> args) {
    const std::filesystem::path err = dir_.path() / ("stderr-" + std::to_string(runs_++));
    SubprocessOptions o;
    o.argv = {KeywardBinary()};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = env_;
    o.stderr_path = err.string();
    o.pipe_stdin = false;
    RunResult r;
    auto p = Subprocess::Start(o);
    if (!p.ok()) {
      r.err = p.status().ToString();
      return r;
    }
    for (;;) {
      auto line = (*p)->ReadLine(std::chrono::seconds(60));
      if (!line.ok()) break;
      r.out += *line + "\n";
    }
    auto st = (*p)->Wait(std::chrono::seconds(60));
    if (st.ok() && WIFEXITED(*st)) r.exit_code = WEXITSTATUS(*st);
    r.err = ReadAll(err);
    return r;
  }
  std::string CliOk(std::vector<std::string> args) {
    RunResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << " " << args[1] << "\nstderr: " << r.err << "\nstdout: " << r.out;
    return r.out;
  }

  std::string Sign(const std::string& in, const std::string& org) {
    const std::string pin_env = org == "org-a" ? "PIN_ORG_A" : "PIN_ORG_B";
    return CliOk({"bundle", "sign", "--token-label", org, "--key-label", org + "-signer", "--key-name",
                  org + ".example", "--pin-env", pin_env, "--in", in, "--out", in});
  }

  struct NodeInfo {
    std::unique_ptr<Subprocess> proc;
    std::string listen;
    std::string fleet_key_b64;
    std::filesystem::path data_dir;
  };
  // All nodes share one account-authority key (the first node's dev key), as one app's nodes do.
  NodeInfo StartNode(const std::string& name) {
    NodeInfo n;
    n.data_dir = dir_.path() / name;
    SubprocessOptions o;
    o.argv = {KeywardBinary(), "node", "--dev", "--data-dir", n.data_dir.string(), "--listen", "127.0.0.1:0",
              "--namespace", kNamespace, "--fleet-id", name, "--bundle-dir", (dir_.path() / "bundles").string(),
              "--bundle-poll-ms", "50", "--no-rate-limit", "--log-level", "warn"};
    if (!app_key_.empty()) o.argv.insert(o.argv.end(), {"--app-key", app_key_});
    auto p = Subprocess::Start(o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return n;
    n.proc = std::move(*p);
    auto listen = n.proc->WaitReady(std::chrono::seconds(60));
    EXPECT_TRUE(listen.ok()) << listen.status().ToString();
    if (!listen.ok()) return n;
    n.listen = *listen;
    if (app_key_.empty()) app_key_ = (n.data_dir / "app.key").string();
    // The dev node pins its own fleet key in DATA_DIR/trust.policy: `fleet <id> <hex key>`.
    std::istringstream policy(ReadAll(n.data_dir / "trust.policy"));
    for (std::string line; std::getline(policy, line);) {
      std::istringstream f(line);
      std::string kw, id, key;
      if (f >> kw >> id >> key && kw == "fleet") {
        auto bytes = HexDecode(key);
        if (bytes.ok()) n.fleet_key_b64 = Base64Encode(*bytes);
      }
    }
    EXPECT_FALSE(n.fleet_key_b64.empty()) << "no fleet line in " << (n.data_dir / "trust.policy");
    return n;
  }

  std::string FleetFile(const std::string& id, const std::string& state, const NodeInfo& n) {
    const std::filesystem::path p = dir_.path() / (id + "-" + state + ".json");
    std::ofstream(p) << "{\"id\":\"" << id << "\",\"state\":\"" << state << "\",\"opaque_public_key\":\""
                     << n.fleet_key_b64 << "\",\"member_keys\":[\"" << log_vkey_
                     << "\"],\"argon2id\":{\"memory_kib\":8,\"iterations\":1,\"parallelism\":1},"
                     << "\"measurements\":[\"" << std::string(64, 'a') << "\"],\"evidence_sha256\":\""
                     << std::string(64, 'e') << "\",\"endpoints\":[\"" << n.listen << "\"]}";
    return p.string();
  }

  // create → sign (org-a) → sign (org-b) → submit; returns the delivered bundle's path.
  std::string Publish(uint64_t epoch, const std::vector<std::string>& fleet_files) {
    const std::string base = (dir_.path() / ("epoch" + std::to_string(epoch))).string();
    std::vector<std::string> args = {"bundle", "create", "--namespace", kNamespace, "--epoch", std::to_string(epoch),
                                     "--expires", "30d", "--out", base + ".json"};
    for (const auto& f : fleet_files) {
      args.push_back("--fleet");
      args.push_back(f);
    }
    CliOk(args);
    Sign(base + ".json", "org-a");
    Sign(base + ".json", "org-b");
    CliOk({"bundle", "submit", "--log", log_.url, "--token-file", (dir_.path() / "tokens").string(), "--in",
           base + ".json", "--out", base + ".delivered"});
    return base + ".delivered";
  }
  // Deploys a delivered bundle to the nodes: copy to a temporary name, then rename into the dir.
  void Deploy(const std::string& delivered, uint64_t epoch) {
    const auto tmp = dir_.path() / "bundles" / (".tmp-" + std::to_string(epoch));
    std::filesystem::copy_file(delivered, tmp);
    std::filesystem::rename(tmp, dir_.path() / "bundles" / ("epoch" + std::to_string(epoch) + ".bundle"));
  }

  std::vector<std::string> ClientArgs(const std::string& verb, const NodeInfo& n, const std::string& user) {
    return {"client", verb, "--vault", n.listen, "--trust", (dir_.path() / "client.policy").string(), "--state",
            (dir_.path() / "client.state").string(), "--app-key", app_key_, "--user",
            user, "--password-file", (dir_.path() / "password").string()};
  }
  // Retries a client command while the node has not picked up the expected bundle yet (the
  // client's trust failure, exit 2, says so); bounded. Returns the last result.
  RunResult ClientUntil(std::vector<std::string> args, int want_exit) {
    RunResult r;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    do {
      r = Cli(args);
      if (r.exit_code == want_exit) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
    return r;
  }

  TempDir dir_;
  std::filesystem::path hsm_;
  std::map<std::string, std::string> env_;
  int runs_ = 0;
  std::string log_vkey_;
  std::string app_key_;
  Daemon log_;
};

TEST_F(TrustFlowTest, FreshClientWithOnlyThePolicyFollowsEpochsOverTheAir) {
  // --- signing organisations: keys generated inside their tokens ---
  const std::string vkey_a = CliOk({"bundle", "keygen", "--token-label", "org-a", "--key-label", "org-a-signer",
                                    "--key-name", "org-a.example", "--pin-env", "PIN_ORG_A"});
  const std::string vkey_b = CliOk({"bundle", "keygen", "--token-label", "org-b", "--key-label", "org-b-signer",
                                    "--key-name", "org-b.example", "--pin-env", "PIN_ORG_B"});
  ASSERT_FALSE(vkey_a.empty());
  ASSERT_FALSE(vkey_b.empty());

  // --- audit log with two witnesses ---
  log_vkey_ = KeygenCli(kLogOrigin, dir_.path() / "log.key");
  const std::string w1v = KeygenCli("w1.trustflow.test", dir_.path() / "w1.key", true);
  const std::string w2v = KeygenCli("w2.trustflow.test", dir_.path() / "w2.key", true);
  auto witness = [&](int i) {
    return StartDaemon({"witness", "serve", "--key", (dir_.path() / ("w" + std::to_string(i) + ".key")).string(),
                        "--state-dir", (dir_.path() / ("w" + std::to_string(i) + "-state")).string(), "--log",
                        log_vkey_});
  };
  Daemon w1 = witness(1), w2 = witness(2);
  ASSERT_FALSE(w1.url.empty());
  ASSERT_FALSE(w2.url.empty());
  std::ofstream(dir_.path() / "log-witnesses.policy")
      << "log " << log_vkey_ << "\nwitness w1 " << w1v << " " << w1.url << "\nwitness w2 " << w2v << " " << w2.url
      << "\ngroup both all w1 w2\nquorum both\n";
  std::ofstream(dir_.path() / "tokens") << "bundle-submitter-token\n";
  log_ = StartDaemon({"log", "serve", "--dir", (dir_.path() / "log").string(), "--key",
                      (dir_.path() / "log.key").string(), "--token-file", (dir_.path() / "tokens").string(),
                      "--witnesses", (dir_.path() / "log-witnesses.policy").string()});
  ASSERT_FALSE(log_.url.empty());

  // --- the client's policy: signers, log, witnesses; NO fleet key ---
  std::ofstream(dir_.path() / "client.policy")
      << "namespace " << kNamespace << "\n"
      << "signer org-a " << vkey_a.substr(0, vkey_a.size() - 1) << "\n"
      << "signer org-b " << vkey_b.substr(0, vkey_b.size() - 1) << "\n"
      << "group main all org-a org-b\nbundle-quorum main\n"
      << "log " << log_vkey_ << " " << log_.url << "\n"
      << "witness w1 " << w1v << "\nwitness w2 " << w2v << "\ngroup witnesses all w1 w2\nquorum witnesses\n";
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
  auto reg = ClientUntil(
      [&] {
        auto a = ClientArgs("register", n1, "alice");
        a.insert(a.end(), {"--secret-file", (dir_.path() / "secret-alice").string()});
        return a;
      }(),
      0);
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  auto rec = Cli([&] {
    auto a = ClientArgs("recover", n1, "alice");
    a.insert(a.end(), {"--out", (dir_.path() / "alice.out").string()});
    return a;
  }());
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  EXPECT_EQ(ReadAll(dir_.path() / "alice.out"), "alice's backup key");
  // Before epoch 2 node 2's key is in no adopted bundle: refused (trust failure, exit 2).
  auto early = Cli([&] {
    auto a = ClientArgs("register", n2, "bob");
    a.insert(a.end(), {"--secret-file", (dir_.path() / "secret-bob").string()});
    return a;
  }());
  EXPECT_EQ(early.exit_code, 2) << early.err;

  // Epoch 2 adds fleet-2; the client is unchanged (same policy, same state file).
  const std::string e2 = Publish(2, {FleetFile("fleet-1", "active", n1), FleetFile("fleet-2", "active", n2)});
  Deploy(e2, 2);
  auto reg2 = ClientUntil(
      [&] {
        auto a = ClientArgs("register", n2, "bob");
        a.insert(a.end(), {"--secret-file", (dir_.path() / "secret-bob").string()});
        return a;
      }(),
      0);
  ASSERT_EQ(reg2.exit_code, 0) << reg2.err;
  auto rec2 = Cli([&] {
    auto a = ClientArgs("recover", n2, "bob");
    a.insert(a.end(), {"--out", (dir_.path() / "bob.out").string()});
    return a;
  }());
  ASSERT_EQ(rec2.exit_code, 0) << rec2.err;
  EXPECT_EQ(ReadAll(dir_.path() / "bob.out"), "bob's backup key");

  // Epoch 3: fleet-1 retiring. Recovering alice there still works and moves her to fleet-2.
  const std::string e3 = Publish(3, {FleetFile("fleet-1", "retiring", n1), FleetFile("fleet-2", "active", n2)});
  Deploy(e3, 3);
  auto refused = ClientUntil(
      [&] {
        auto a = ClientArgs("register", n1, "carol");
        a.insert(a.end(), {"--secret-file", (dir_.path() / "secret-bob").string()});
        return a;
      }(),
      2);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("retiring"), std::string::npos) << refused.err;
  auto moved = Cli([&] {
    auto a = ClientArgs("recover", n1, "alice");
    a.insert(a.end(), {"--out", (dir_.path() / "alice2.out").string(), "--reregister"});
    return a;
  }());
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  EXPECT_EQ(ReadAll(dir_.path() / "alice2.out"), "alice's backup key");
  EXPECT_NE(moved.err.find("re-registered"), std::string::npos) << moved.err;
  auto on2 = Cli([&] {
    auto a = ClientArgs("recover", n2, "alice");
    a.insert(a.end(), {"--out", (dir_.path() / "alice3.out").string()});
    return a;
  }());
  ASSERT_EQ(on2.exit_code, 0) << on2.err;
  EXPECT_EQ(ReadAll(dir_.path() / "alice3.out"), "alice's backup key");

  // Epoch 4: fleet-1 revoked: the client refuses it.
  const std::string e4 = Publish(4, {FleetFile("fleet-1", "revoked", n1), FleetFile("fleet-2", "active", n2)});
  Deploy(e4, 4);
  auto revoked = ClientUntil(
      [&] {
        auto a = ClientArgs("recover", n1, "alice");
        a.insert(a.end(), {"--out", (dir_.path() / "alice4.out").string()});
        return a;
      }(),
      2);
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
