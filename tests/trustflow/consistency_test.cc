// Issue 5, online log consistency (trust/online_consistency.h) against real log daemons, through
// `keyward bundle verify`: the client fetches the tiles it needs from the log URL of its policy and
// checks the RFC 9162 consistency proof between its stored checkpoint and the new one.
//
// Two logs share ONE log key and ONE witness key (a compromised log operator and witness): log A is
// the honest history, log B a fork. Every checkpoint of either is validly signed and witnessed, so
// the offline rule (a larger tree with the witness quorum) cannot tell them apart; online checking
// must:
//   - same size, other root (A1 stored, B1 offered): split-view, online and offline;
//   - larger fork (A1 stored, B3 offered): split-view online whether the policy's URL names A or
//     B; accepted offline (what the online check adds);
//   - an honest larger tree (A1 stored, A4 offered, after A grew further and deleted the partial
//     tile of size 4): proven;
//   - the log unreachable: accepted by the offline rule, and the output says so.
#include "trustflow_fixture.h"

namespace keyward::testing {
namespace {

class ConsistencyTest : public TrustFlowTest {
 protected:
  void SetUpLogs() {
    log_vkey_ = KeygenCli(kLogOrigin, dir_.path() / "log.key");
    w1v_ = KeygenCli("w1.trustflow.test", dir_.path() / "w1.key", true);
    std::ofstream(dir_.path() / "tokens") << "bundle-submitter-token\n";
    for (const char* name : {"a", "b"}) {
      Daemon w = StartDaemon({"witness", "serve", "--key", (dir_.path() / "w1.key").string(), "--state-dir",
                              (dir_.path() / (std::string("w-state-") + name)).string(), "--log", log_vkey_});
      ASSERT_FALSE(w.url.empty());
      const auto wpol = dir_.path() / (std::string("witnesses-") + name + ".policy");
      std::ofstream(wpol) << "log " << log_vkey_ << "\nwitness w1 " << w1v_ << " " << w.url << "\nquorum w1\n";
      Daemon l = StartDaemon({"log", "serve", "--dir", (dir_.path() / (std::string("log-") + name)).string(), "--key",
                              (dir_.path() / "log.key").string(), "--token-file", (dir_.path() / "tokens").string(),
                              "--witnesses", wpol.string()});
      ASSERT_FALSE(l.url.empty());
      witnesses_.push_back(std::move(w));
      logs_.push_back(std::move(l));
    }
    key_a_ = dir_.path() / "org-a.key";
    key_b_ = dir_.path() / "org-b.key";
    const std::string va = KeygenCli("org-a.example", key_a_), vb = KeygenCli("org-b.example", key_b_);
    signers_ = "signer org-a " + va + "\nsigner org-b " + vb + "\ngroup main all org-a org-b\nbundle-quorum main\n";
    // A fleet entry (the ristretto255 generator as its key: any valid element will do here).
    auto g = HexDecode("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76");
    ASSERT_TRUE(g.ok());
    fleet_file_ = (dir_.path() / "fleet.json").string();
    std::ofstream(fleet_file_) << "{\"id\":\"fleet-1\",\"state\":\"active\",\"opaque_public_key\":\"" << Base64Encode(*g)
                               << "\",\"member_keys\":[],\"argon2id\":{\"memory_kib\":8,\"iterations\":1,"
                               << "\"parallelism\":1},\"measurements\":[],\"evidence_sha256\":\"" << std::string(64, 'e')
                               << "\",\"endpoints\":[\"127.0.0.1:1\"]}";
  }
  // A policy whose log line points at `url`.
  std::string Policy(const std::string& name, const std::string& url) {
    const auto p = dir_.path() / (name + ".policy");
    std::ofstream(p) << "namespace " << kNamespace << "\n"
                     << signers_ << "log " << log_vkey_ << " " << url << "\nwitness w1 " << w1v_ << "\nquorum w1\n";
    return p.string();
  }
  // A bundle of `epoch`, signed by both organisations and logged in `log`.
  std::string Logged(uint64_t epoch, const Daemon& log) {
    const std::string base = (dir_.path() / ("e" + std::to_string(epoch))).string();
    CliOk({"bundle", "create", "--namespace", kNamespace, "--epoch", std::to_string(epoch), "--expires", "30d",
           "--fleet", fleet_file_, "--out", base + ".json"});
    SignWithKey(base + ".json", key_a_);
    SignWithKey(base + ".json", key_b_);
    return Submit(base + ".json", base + ".delivered", log.url);
  }
  void Filler(const Daemon& log, const std::string& what) {
    AddResult r = AddEntry(log.url, what, "bundle-submitter-token");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // A state file that holds the checkpoint of `e1` (verified online against policy).
  std::string StateAfter(const std::string& name, const std::string& policy, const std::string& e1) {
    const std::string s = (dir_.path() / (name + ".state")).string();
    RunResult r = Cli({"bundle", "verify", "--policy", policy, "--state", s, "--in", e1});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("log consistency: first"), std::string::npos) << r.out;
    return s;
  }
  RunResult Verify(const std::string& policy, const std::string& state, const std::string& in, bool offline = false) {
    std::vector<std::string> args = {"bundle", "verify", "--policy", policy, "--state", state, "--in", in};
    if (offline) args.push_back("--offline");
    return Cli(args);
  }

  std::vector<Daemon> witnesses_, logs_;  // [0] = A (honest), [1] = B (fork)
  std::filesystem::path key_a_, key_b_;
  std::string signers_, fleet_file_;
};

TEST_F(ConsistencyTest, ForkedLogsAreDetectedOnlineAndHonestGrowthIsProven) {
  SetUpLogs();
  if (HasFatalFailure()) return;
  const Daemon& a = logs_[0];
  const Daemon& b = logs_[1];
  const std::string on_a = Policy("on-a", a.url), on_b = Policy("on-b", b.url);

  const std::string e2_b1 = Logged(2, b);  // B = [e2]
  const std::string e1_a1 = Logged(1, a);  // A = [e1]

  // Same size, other root: split view, online and offline.
  {
    const std::string s = StateAfter("same", on_a, e1_a1);
    RunResult r = Verify(on_a, s, e2_b1);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_EQ(r.err.rfind("rejected: split-view", 0), 0u) << r.err;
    RunResult off = Verify(on_a, s, e2_b1, /*offline=*/true);
    EXPECT_EQ(off.err.rfind("rejected: split-view", 0), 0u) << off.err;
  }

  // A larger fork: B = [e2, x, e3] (size 3); A grows honestly to [e1, y, z] (size 3).
  Filler(b, "fork filler");
  const std::string e3_b3 = Logged(3, b);
  Filler(a, "honest filler y");
  Filler(a, "honest filler z");
  {
    const std::string s = StateAfter("larger-a", on_a, e1_a1);
    RunResult r = Verify(on_a, s, e3_b3);  // tiles from the honest log
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.err.rfind("rejected: split-view", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("consistency proof"), std::string::npos) << r.err;
  }
  {
    const std::string s = StateAfter("larger-b", on_b, e1_a1);
    RunResult r = Verify(on_b, s, e3_b3);  // tiles from the fork itself
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.err.rfind("rejected: split-view", 0), 0u) << r.err;
  }
  {
    const std::string s = StateAfter("larger-offline", on_a, e1_a1);
    RunResult r = Verify(on_a, s, e3_b3, /*offline=*/true);  // what the offline rule cannot see
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("log consistency: offline"), std::string::npos) << r.out;
  }

  // Honest growth: A = [e1, y, z, e4, ...]; A grows further so its size-4 partial tile is replaced.
  const std::string e4_a4 = Logged(4, a);
  for (int i = 0; i < 3; ++i) Filler(a, "later " + std::to_string(i));
  {
    const std::string s = StateAfter("honest", on_a, e1_a1);
    RunResult r = Verify(on_a, s, e4_a4);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("log consistency: proven"), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  }

  // The log unreachable: the offline rule, said on stdout and as a warning on stderr.
  {
    const std::string unreachable = Policy("unreachable", "http://127.0.0.1:1");
    const std::string s = StateAfter("unreachable", unreachable, e1_a1);
    RunResult r = Verify(unreachable, s, e4_a4);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("log consistency: fetch-failed"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("warning"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace keyward::testing
