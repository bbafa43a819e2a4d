// `keyward log serve` as a real process: HTTP API errors, deduplication, crash safety under
// SIGKILL during heavy appends, graceful SIGTERM, witnessed publication with quorum loss and
// recovery, and `keyward log verify`.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "log/http_util.h"
#include "log/log_verifier.h"
#include "logd/daemons.h"
#include "support/vectors.h"
#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"
#include "tlog/proof_file.h"
#include "tlog/tiles.h"

namespace keyward::testing {
namespace {

constexpr char kOrigin[] = "logd.keyward.example/log";

class LogDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vkey_ = KeygenCli(kOrigin, dir_.path() / "log.key");
    ASSERT_FALSE(vkey_.empty());
    std::ofstream(dir_.path() / "tokens") << "# submitters\nsecret-token-1\nsecret-token-2\n";
  }
  std::vector<std::string> ServeArgs() const {
    return {"log", "serve", "--dir", (dir_.path() / "log").string(), "--key", (dir_.path() / "log.key").string(),
            "--token-file", (dir_.path() / "tokens").string()};
  }
  // Verifies a tlog-proof response for `entry` against the log key (no witnesses).
  void ExpectValidProof(const std::string& proof, const std::string& entry) {
    tlog::Policy policy;
    ASSERT_TRUE(policy.AddLog(vkey_).ok());
    ASSERT_TRUE(policy.SetQuorum("none").ok());
    auto v = tlog::VerifyTlogProofText(proof, tlog::LeafHash(AsBytes(entry)), policy);
    EXPECT_TRUE(v.ok()) << v.status().ToString() << "\n" << proof;
  }
  TempDir dir_;
  std::string vkey_;
};

TEST_F(LogDaemonTest, HttpApiAuthLimitsDedupAndTiles) {
  auto args = ServeArgs();
  args.insert(args.end(), {"--metrics-listen", "127.0.0.1:0"});
  auto d = StartDaemon(args);
  ASSERT_FALSE(d.url.empty());
  ASSERT_FALSE(d.metrics_url.empty());
  EXPECT_EQ(d.vkey, vkey_);
  EXPECT_EQ(AddEntry(d.url, "x", "").status, 401);
  EXPECT_EQ(AddEntry(d.url, "x", "wrong").status, 401);
  EXPECT_EQ(AddEntry(d.url, std::string(65536, 'a'), "secret-token-1").status, 413);
  auto a = AddEntry(d.url, "hello", "secret-token-2");
  ASSERT_EQ(a.status, 200) << a.body;
  ExpectValidProof(a.body, "hello");
  EXPECT_EQ(ProofIndex(a.body), 0u);
  auto b = AddEntry(d.url, "world", "secret-token-1");
  ASSERT_EQ(b.status, 200);
  EXPECT_EQ(ProofIndex(b.body), 1u);
  auto again = AddEntry(d.url, "hello", "secret-token-1");  // deduplicated
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(ProofIndex(again.body), 0u);
  ExpectValidProof(again.body, "hello");
  auto max = AddEntry(d.url, std::string(65535, 'm'), "secret-token-1");
  EXPECT_EQ(max.status, 200);

  for (std::string bad : {"/tile/0/1", "/tile/0/../../log.key", "/tile/entries/000.p/0", "/tile/x/000"}) {
    auto r = log::HttpGet(d.url + bad);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 400) << bad;
  }
  auto missing = log::HttpGet(d.url + "/tile/0/999");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  auto bundle = log::HttpGet(d.url + "/tile/entries/000.p/3");
  ASSERT_TRUE(bundle.ok());
  ASSERT_EQ(bundle->status, 200);
  auto entries = tlog::ParseEntryBundle(AsBytes(bundle->body), 3);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ((*entries)[1], ToBytes("world"));
  auto metrics = log::HttpGet(d.metrics_url + "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("keyward_log_tree_size 3"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("# TYPE keyward_log_entries_total counter"), std::string::npos) << metrics->body;
  // Counted before the adds were answered (scraped right after them): hello, world, max; one dedup.
  EXPECT_NE(metrics->body.find("keyward_log_entries_total 3"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("keyward_log_duplicates_total 1"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("keyward_log_unauthorized_total 2"), std::string::npos) << metrics->body;
  auto ready = log::HttpGet(d.metrics_url + "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);
  auto health = log::HttpGet(d.metrics_url + "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  // Metrics live only on the metrics listener, not on the public log port.
  auto public_metrics = log::HttpGet(d.url + "/metrics");
  ASSERT_TRUE(public_metrics.ok());
  EXPECT_EQ(public_metrics->status, 404);
}

struct Acked {
  std::string entry;
  uint64_t index;
};

TEST_F(LogDaemonTest, SigkillDuringHeavyAppendsLosesNothingAcknowledged) {
  std::vector<Acked> all_acked;
  std::vector<std::string> checkpoints;
  for (int round = 0; round < 3; ++round) {
    auto d = StartDaemon(ServeArgs());
    ASSERT_FALSE(d.url.empty());
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::vector<Acked> acked;
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; !stop; ++i) {
          std::string e = "round " + std::to_string(round) + " thread " + std::to_string(t) + " entry " + std::to_string(i);
          auto r = AddEntry(d.url, e, "secret-token-1");
          if (r.status != 200) continue;
          std::lock_guard<std::mutex> l(mu);
          acked.push_back({e, ProofIndex(r.body)});
        }
      });
    }
    threads.emplace_back([&] {
      while (!stop) {
        auto c = log::HttpGet(d.url + "/checkpoint");
        if (c.ok() && c->status == 200) {
          std::lock_guard<std::mutex> l(mu);
          checkpoints.push_back(c->body);
        }
      }
    });
    // Kill once enough appends were acknowledged (bounded wait), while they are still flowing.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool slow = false;
    for (;;) {
      {
        std::lock_guard<std::mutex> l(mu);
        if (acked.size() >= 400 + 300 * static_cast<size_t>(round)) break;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        slow = true;
        break;
      }
      std::this_thread::yield();
    }
    // Threads joined before any assertion can return (a joinable std::thread would terminate).
    const bool killed = d.proc->Signal(SIGKILL).ok() && d.proc->Wait(std::chrono::seconds(30)).ok();
    stop = true;
    for (auto& t : threads) t.join();
    ASSERT_FALSE(slow) << "appends too slow";
    ASSERT_TRUE(killed);
    all_acked.insert(all_acked.end(), acked.begin(), acked.end());
  }
  // Restart and check everything against the recovered log.
  auto d = StartDaemon(ServeArgs());
  ASSERT_FALSE(d.url.empty());
  auto key = tlog::NoteVerifierFromKey(vkey_);
  ASSERT_TRUE(key.ok());
  tlog::NoteVerifierSet keys({*key});
  auto now = log::HttpGet(d.url + "/checkpoint");
  ASSERT_TRUE(now.ok());
  auto head = tlog::OpenCheckpoint(now->body, keys, tlog::NoteVerifierSet());
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  const auto& cp = head->checkpoint;
  log::HttpTileReader tiles(d.url);
  tlog::TileHashReader hashes(cp.size, tiles);
  ASSERT_EQ(*tlog::TreeHash(cp.size, hashes), cp.root);  // no torn or missing tile
  // Every acknowledged entry is present at its acknowledged index.
  for (const auto& a : all_acked) {
    ASSERT_LT(a.index, cp.size) << a.entry;
    auto proof = tlog::InclusionProof(a.index, cp.size, hashes);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(tlog::VerifyInclusion(a.index, cp.size, tlog::LeafHash(AsBytes(a.entry)), *proof, cp.root).ok())
        << a.entry << " at " << a.index;
  }
  // The tree is consistent with every checkpoint ever served.
  ASSERT_GT(checkpoints.size(), 3u);
  for (const auto& note : checkpoints) {
    auto old = tlog::OpenCheckpoint(note, keys, tlog::NoteVerifierSet());
    ASSERT_TRUE(old.ok());
    const auto& oc = old->checkpoint;
    ASSERT_LE(oc.size, cp.size);
    std::vector<tlog::Hash> proof;
    if (oc.size > 0 && oc.size < cp.size) proof = *tlog::ConsistencyProof(oc.size, cp.size, hashes);
    EXPECT_TRUE(tlog::VerifyConsistency(oc.size, cp.size, oc.root, cp.root, proof,
                                        tlog::ConsistencyFromZero::kAcceptEmptyProof).ok()) << oc.size;
  }
  // And every entry bundle re-hashes to the root (`log verify --full` logic).
  log::LogVerifyOptions vo;
  vo.url = d.url;
  vo.vkey = vkey_;
  vo.full = true;
  auto full = log::VerifyLog(vo);
  EXPECT_TRUE(full.ok()) << full.status().ToString();
  std::printf("crash test: %zu acknowledged, %zu checkpoints observed, final size %llu\n", all_acked.size(),
              checkpoints.size(), static_cast<unsigned long long>(cp.size));
}

TEST_F(LogDaemonTest, SigtermPublishesTheInFlightBatchAndExitsZero) {
  auto d = StartDaemon(ServeArgs());
  ASSERT_FALSE(d.url.empty());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Acked> acked;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop && i < 2000; ++i) {
        std::string e = "term " + std::to_string(t) + " " + std::to_string(i);
        auto r = AddEntry(d.url, e, "secret-token-1");
        if (r.status == 200) {
          ok++;
          std::lock_guard<std::mutex> l(mu);
          acked.push_back({e, ProofIndex(r.body)});
        }
      }
    });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (ok < 200 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  const bool enough = ok >= 200;
  const bool signalled = d.proc->Signal(SIGTERM).ok();
  auto st = d.proc->Wait(std::chrono::seconds(60));
  stop = true;
  for (auto& t : threads) t.join();  // before any assertion can return
  ASSERT_TRUE(enough) << "appends too slow";
  ASSERT_TRUE(signalled);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0);
  auto d2 = StartDaemon(ServeArgs());
  for (size_t i = 0; i < acked.size(); i += 37) {
    auto r = AddEntry(d2.url, acked[i].entry, "secret-token-1");  // dedup: same index
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(ProofIndex(r.body), acked[i].index);
  }
}

TEST_F(LogDaemonTest, WitnessedCheckpointsQuorumLossAndLogVerify) {
  std::string w1v = KeygenCli("w1.example/witness", dir_.path() / "w1.key", true);
  std::string w2v = KeygenCli("w2.example/witness", dir_.path() / "w2.key", true);
  auto witness_args = [&](int i) {
    return std::vector<std::string>{"witness", "serve", "--key", (dir_.path() / ("w" + std::to_string(i) + ".key")).string(),
                                    "--state-dir", (dir_.path() / ("w" + std::to_string(i) + "-state")).string(), "--log", vkey_};
  };
  auto w1 = StartDaemon(witness_args(1));
  auto w2 = StartDaemon(witness_args(2));
  ASSERT_FALSE(w1.url.empty());
  ASSERT_FALSE(w2.url.empty());
  std::string policy = "log " + vkey_ + "\nwitness w1 " + w1v + " " + w1.url + "\nwitness w2 " + w2v + " " + w2.url +
                       "\ngroup both all w1 w2\nquorum both\n";
  std::ofstream(dir_.path() / "policy") << policy;
  auto args = ServeArgs();
  args.push_back("--witnesses");
  args.push_back((dir_.path() / "policy").string());
  auto d = StartDaemon(args);
  ASSERT_FALSE(d.url.empty());
  auto a = AddEntry(d.url, "witnessed entry", "secret-token-1");
  ASSERT_EQ(a.status, 200) << a.body;
  auto parsed_policy = tlog::Policy::Parse(policy);
  ASSERT_TRUE(parsed_policy.ok()) << parsed_policy.status().ToString();
  auto v = tlog::VerifyTlogProofText(a.body, tlog::LeafHash(AsBytes("witnessed entry")), *parsed_policy);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->witnesses.size(), 2u);

  auto verify = [&](std::vector<std::string> extra) {
    SubprocessOptions o;
    o.argv = {KeywardBinary(), "log", "verify", "--url", d.url, "--vkey", vkey_, "--policy",
              (dir_.path() / "policy").string(), "--state", (dir_.path() / "verify.state").string()};
    o.argv.insert(o.argv.end(), extra.begin(), extra.end());
    o.pipe_stdin = false;
    auto p = Subprocess::Start(o);
    EXPECT_TRUE(p.ok());
    auto line = (*p)->ReadLine(std::chrono::seconds(60));
    auto st = (*p)->Wait(std::chrono::seconds(60));
    EXPECT_TRUE(st.ok());
    return std::make_pair(st.ok() && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1, line.ok() ? *line : "");
  };
  auto [rc1, out1] = verify({});
  EXPECT_EQ(rc1, 0) << out1;
  EXPECT_NE(out1.find("witnesses=w1,w2"), std::string::npos) << out1;

  // One witness down: the quorum ("all") cannot hold, adds are not acknowledged.
  ASSERT_TRUE(w2.proc->Signal(SIGTERM).ok());
  ASSERT_TRUE(w2.proc->Wait(std::chrono::seconds(30)).ok());
  auto refused = AddEntry(d.url, "needs both witnesses", "secret-token-1");
  EXPECT_EQ(refused.status, 503) << refused.body;
  // The witness comes back on another port: restart the log with an updated policy; state is kept.
  auto w2b = StartDaemon(witness_args(2));
  ASSERT_FALSE(w2b.url.empty());
  std::string policy2 = "log " + vkey_ + "\nwitness w1 " + w1v + " " + w1.url + "\nwitness w2 " + w2v + " " + w2b.url +
                        "\ngroup both all w1 w2\nquorum both\n";
  std::ofstream(dir_.path() / "policy") << policy2;
  ASSERT_TRUE(d.proc->Signal(SIGTERM).ok());
  ASSERT_TRUE(d.proc->Wait(std::chrono::seconds(30)).ok());
  auto d2 = StartDaemon(args);
  ASSERT_FALSE(d2.url.empty());
  auto retry = AddEntry(d2.url, "needs both witnesses", "secret-token-1");
  ASSERT_EQ(retry.status, 200) << retry.body;
  for (int i = 0; i < 50; ++i) ASSERT_EQ(AddEntry(d2.url, "more " + std::to_string(i), "secret-token-1").status, 200);
  d.url = d2.url;
  auto [rc2, out2] = verify({"--full"});
  EXPECT_EQ(rc2, 0) << out2;
  EXPECT_NE(out2.find("consistent_from=1"), std::string::npos) << out2;
  EXPECT_NE(out2.find("full=yes"), std::string::npos) << out2;
}

}  // namespace
}  // namespace keyward::testing
