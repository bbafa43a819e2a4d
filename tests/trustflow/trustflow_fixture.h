// TrustFlowTest: the fixture of issue 5's real-daemon trust tests (tests/trustflow): the `keyward`
// CLI run to completion, SoftHSM2 tokens for two signing organisations, an audit log with two
// witnesses, dev vault nodes serving a shared bundle directory, and helpers that create, sign,
// submit and deploy bundles and policy updates.
//
// Thread-safety: one test thread.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
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

inline constexpr char kNamespace[] = "trustflow.keyward.test/app";
inline constexpr char kLogOrigin[] = "log.trustflow.test/keyward";

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadAll(const std::filesystem::path& p) {
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

  // Signs `in` in place with a key file (`keyward keygen` output).
  void SignWithKey(const std::string& in, const std::filesystem::path& key) {
    CliOk({"bundle", "sign", "--key", key.string(), "--in", in, "--out", in});
  }
  // Submits `in` to the log at `log_url`; returns the delivered bundle's path (`out`).
  std::string Submit(const std::string& in, const std::string& out, const std::string& log_url = "") {
    CliOk({"bundle", "submit", "--log", log_url.empty() ? log_.url : log_url, "--token-file",
           (dir_.path() / "tokens").string(), "--in", in, "--out", out});
    return out;
  }
  // An audit log (`log_`) whose checkpoints both witnesses (w1_, w2_) must cosign; sets log_vkey_,
  // w1v_, w2v_ and writes the submit token file.
  void StartLogAndWitnesses() {
    log_vkey_ = KeygenCli(kLogOrigin, dir_.path() / "log.key");
    w1v_ = KeygenCli("w1.trustflow.test", dir_.path() / "w1.key", true);
    w2v_ = KeygenCli("w2.trustflow.test", dir_.path() / "w2.key", true);
    auto witness = [&](int i) {
      return StartDaemon({"witness", "serve", "--key", (dir_.path() / ("w" + std::to_string(i) + ".key")).string(),
                          "--state-dir", (dir_.path() / ("w" + std::to_string(i) + "-state")).string(), "--log",
                          log_vkey_});
    };
    w1_ = witness(1);
    w2_ = witness(2);
    ASSERT_FALSE(w1_.url.empty());
    ASSERT_FALSE(w2_.url.empty());
    std::ofstream(dir_.path() / "log-witnesses.policy")
        << "log " << log_vkey_ << "\nwitness w1 " << w1v_ << " " << w1_.url << "\nwitness w2 " << w2v_ << " "
        << w2_.url << "\ngroup both all w1 w2\nquorum both\n";
    std::ofstream(dir_.path() / "tokens") << "bundle-submitter-token\n";
    log_ = StartDaemon({"log", "serve", "--dir", (dir_.path() / "log").string(), "--key",
                        (dir_.path() / "log.key").string(), "--token-file", (dir_.path() / "tokens").string(),
                        "--witnesses", (dir_.path() / "log-witnesses.policy").string()});
    ASSERT_FALSE(log_.url.empty());
  }
  // The log and witness lines of a client policy (log URL: `log_url`, default log_.url).
  std::string LogPolicyLines(const std::string& log_url = "") const {
    return "log " + log_vkey_ + " " + (log_url.empty() ? log_.url : log_url) + "\n" + "witness w1 " + w1v_ +
           "\nwitness w2 " + w2v_ + "\ngroup witnesses all w1 w2\nquorum witnesses\n";
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

  // `bundle create` of DIR/<name>.json for `epoch` listing `fleet_files`; returns its path.
  std::string CreateBundle(const std::string& name, uint64_t epoch, const std::vector<std::string>& fleet_files) {
    const std::string json = (dir_.path() / (name + ".json")).string();
    std::vector<std::string> args = {"bundle", "create", "--namespace", kNamespace, "--epoch", std::to_string(epoch),
                                     "--expires", "30d", "--out", json};
    for (const auto& f : fleet_files) args.insert(args.end(), {"--fleet", f});
    CliOk(args);
    return json;
  }
  // create → sign (org-a) → sign (org-b) → submit; returns the delivered bundle's path.
  std::string Publish(uint64_t epoch, const std::vector<std::string>& fleet_files) {
    const std::string base = (dir_.path() / ("epoch" + std::to_string(epoch))).string();
    const std::string json = CreateBundle("epoch" + std::to_string(epoch), epoch, fleet_files);
    Sign(json, "org-a");
    Sign(json, "org-b");
    return Submit(json, base + ".delivered");
  }
  // Deploys a delivered bundle to the nodes as bundles/<name>: copy to a temporary dot-name (the
  // nodes skip those), then rename into place.
  void DeployAs(const std::string& delivered, const std::string& name) {
    const auto tmp = dir_.path() / "bundles" / (".tmp-" + name);
    std::filesystem::copy_file(delivered, tmp);
    std::filesystem::rename(tmp, dir_.path() / "bundles" / name);
  }
  void Deploy(const std::string& delivered, uint64_t epoch) {
    DeployAs(delivered, "epoch" + std::to_string(epoch) + ".bundle");
  }

  // `client <verb>` against node `n` as `user` with DIR/client.policy, DIR/client.state and
  // DIR/password, then `extra` (e.g. {"--secret-file", F} or {"--out", F}).
  std::vector<std::string> ClientArgs(const std::string& verb, const NodeInfo& n, const std::string& user,
                                      const std::vector<std::string>& extra = {}) {
    std::vector<std::string> a = {"client", verb, "--vault", n.listen, "--trust",
                                  (dir_.path() / "client.policy").string(), "--state",
                                  (dir_.path() / "client.state").string(), "--app-key", app_key_, "--user",
                                  user, "--password-file", (dir_.path() / "password").string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // DIR/<file> as a string (argument values).
  std::string PathIn(const std::string& file) const { return (dir_.path() / file).string(); }
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
  std::string w1v_, w2v_;
  std::string app_key_;
  Daemon w1_, w2_;
  Daemon log_;
};

}  // namespace keyward::testing
