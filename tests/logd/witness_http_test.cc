// `keyward witness serve` over HTTP: every tlog-witness status code, body limits, and state kept
// across a restart.
#include <gtest/gtest.h>

#include "crypto/random.h"
#include "log/http_util.h"
#include "logd/daemons.h"
#include "support/vectors.h"
#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"
#include "tlog/witness_check.h"

namespace keyward::testing {
namespace {

struct MiniLog {
  explicit MiniLog(uint64_t seed, std::string origin) : rng(seed), name(std::move(origin)) {
    key = std::make_shared<crypto::Ed25519PrivateKey>(crypto::Ed25519PrivateKey::Generate(rng));
    signer = std::make_unique<tlog::Ed25519NoteSigner>(name, key);
  }
  void Grow(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) store.AppendRecord(ToBytes("r" + std::to_string(store.size())));
  }
  std::string Body(uint64_t old_size, uint64_t size, bool corrupt_proof = false) {
    tlog::Checkpoint cp{name, size, *tlog::TreeHash(size, store), {}};
    tlog::AddCheckpointRequest req;
    req.old_size = old_size;
    if (old_size > 0 && old_size < size) req.proof = *tlog::ConsistencyProof(old_size, size, store);
    if (corrupt_proof && !req.proof.empty()) req.proof[0][5] ^= 0x40;
    req.checkpoint = *tlog::SignCheckpoint(cp, *signer);
    return tlog::FormatAddCheckpointRequest(req);
  }
  crypto::DeterministicRng rng;
  std::string name;
  std::shared_ptr<crypto::Ed25519PrivateKey> key;
  std::unique_ptr<tlog::Ed25519NoteSigner> signer;
  tlog::MemoryHashStore store;
};

log::HttpResult Post(const std::string& url, const std::string& body) {
  auto r = log::HttpPost(url + "/add-checkpoint", body, "text/plain");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : log::HttpResult{};
}

TEST(WitnessDaemon, SpecStatusCodesAndRestart) {
  TempDir dir;
  MiniLog mlog(7, "example.com/witnessed");
  MiniLog impostor(8, "example.com/witnessed");
  MiniLog unknown(9, "example.com/unknown");
  std::string wvkey = KeygenCli("witness.example/w", dir.path() / "w.key", /*witness=*/true);
  std::vector<std::string> args = {"witness", "serve", "--key", (dir.path() / "w.key").string(), "--state-dir",
                                   (dir.path() / "state").string(), "--log", mlog.signer->VerifierKeyString()};
  auto first_args = args;
  first_args.insert(first_args.end(), {"--metrics-listen", "127.0.0.1:0"});
  auto w = StartDaemon(first_args);
  ASSERT_FALSE(w.url.empty());
  ASSERT_FALSE(w.metrics_url.empty());
  EXPECT_EQ(w.vkey, wvkey);
  auto verifier = tlog::CosignatureVerifier::FromVerifierKey(wvkey);
  ASSERT_TRUE(verifier.ok());

  mlog.Grow(100);
  auto ok = Post(w.url, mlog.Body(0, 100));
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto sig = tlog::ParseSignatureLine(ok.body.substr(0, ok.body.size() - 1));
  ASSERT_TRUE(sig.ok());
  tlog::Checkpoint cp{mlog.name, 100, *tlog::TreeHash(100, mlog.store), {}};
  EXPECT_TRUE((*verifier)->Verify(tlog::FormatCheckpoint(cp), sig->signature));

  unknown.Grow(3);
  EXPECT_EQ(Post(w.url, unknown.Body(0, 3)).status, 404);
  impostor.Grow(100);
  EXPECT_EQ(Post(w.url, impostor.Body(0, 100)).status, 403);
  EXPECT_EQ(Post(w.url, "old 5\n\nnot a note").status, 400);
  mlog.Grow(50);
  auto conflict = Post(w.url, mlog.Body(20, 150));
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.body, "100\n");
  EXPECT_EQ(conflict.content_type, "text/x.tlog.size");
  EXPECT_EQ(Post(w.url, mlog.Body(100, 150, /*corrupt_proof=*/true)).status, 422);
  auto big = log::HttpPost(w.url + "/add-checkpoint", std::string((1 << 20) + 10, 'a'), "text/plain");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->status, 413);
  auto metrics = log::HttpGet(w.metrics_url + "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("keyward_witness_cosigned_total 1"), std::string::npos) << metrics->body;
  auto ready = log::HttpGet(w.metrics_url + "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);

  // Restart: the witness still knows size 100.
  ASSERT_TRUE(w.proc->Signal(SIGTERM).ok());
  auto exit = w.proc->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0);
  auto w2 = StartDaemon(args);
  ASSERT_FALSE(w2.url.empty());
  auto again = Post(w2.url, mlog.Body(0, 150));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.body, "100\n");
  EXPECT_EQ(Post(w2.url, mlog.Body(100, 150)).status, 200);
}

}  // namespace
}  // namespace keyward::testing
