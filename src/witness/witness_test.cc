#include "witness/witness.h"

#include <gtest/gtest.h>

#include "crypto/random.h"
#include "support/vectors.h"
#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"
#include "tlog/note.h"

namespace keyward::witness {
namespace {

using testing::TempDir;

constexpr char kOrigin[] = "example.com/test-log";

// A test log: records in memory, checkpoints signed with its key.
struct TestLog {
  explicit TestLog(uint64_t seed, std::string origin = kOrigin) : rng(seed), name(std::move(origin)) {
    key = std::make_shared<crypto::Ed25519PrivateKey>(crypto::Ed25519PrivateKey::Generate(rng));
    signer = std::make_unique<tlog::Ed25519NoteSigner>(name, key);
  }
  void Grow(uint64_t n, const std::string& tag = "r") {
    for (uint64_t i = 0; i < n; ++i) store.AppendRecord(ToBytes(tag + std::to_string(store.size())));
  }
  std::string Note(uint64_t size) {
    tlog::Checkpoint cp{name, size, *tlog::TreeHash(size, store), {}};
    return *tlog::SignCheckpoint(cp, *signer);
  }
  std::string Body(uint64_t old_size, uint64_t size) {
    tlog::AddCheckpointRequest req;
    req.old_size = old_size;
    if (old_size > 0 && old_size < size) req.proof = *tlog::ConsistencyProof(old_size, size, store);
    req.checkpoint = Note(size);
    return tlog::FormatAddCheckpointRequest(req);
  }
  std::string vkey() const { return signer->VerifierKeyString(); }

  crypto::DeterministicRng rng;
  std::string name;
  std::shared_ptr<crypto::Ed25519PrivateKey> key;
  std::unique_ptr<tlog::Ed25519NoteSigner> signer;
  tlog::MemoryHashStore store;
};

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::DeterministicRng rng(99);
    wkey_ = std::make_shared<crypto::Ed25519PrivateKey>(crypto::Ed25519PrivateKey::Generate(rng));
    Reopen();
  }
  void Reopen() {
    witness_.reset();
    auto w = Witness::Open(dir_.path(), {log_.vkey()}, "witness.example/w1", wkey_, [] { return uint64_t{1700000000}; });
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    witness_ = std::move(*w);
  }
  // Checks the cosignature in a 200 response against the witness's 0x04 key.
  void ExpectCosigned(const WitnessResponse& r, uint64_t size) {
    ASSERT_EQ(r.status, 200) << r.body;
    auto v = tlog::CosignatureVerifier::FromVerifierKey(witness_->verifier_key());
    ASSERT_TRUE(v.ok());
    auto sig = tlog::ParseSignatureLine(r.body.substr(0, r.body.size() - 1));
    ASSERT_TRUE(sig.ok()) << r.body;
    tlog::Checkpoint cp{log_.name, size, *tlog::TreeHash(size, log_.store), {}};
    EXPECT_TRUE((*v)->Verify(tlog::FormatCheckpoint(cp), sig->signature));
  }

  TempDir dir_;
  TestLog log_{1};
  std::shared_ptr<crypto::Ed25519PrivateKey> wkey_;
  std::unique_ptr<Witness> witness_;
};

TEST_F(WitnessTest, CosignsConsistentCheckpoints) {
  log_.Grow(10);
  ExpectCosigned(witness_->AddCheckpoint(log_.Body(0, 10)), 10);
  log_.Grow(300);
  ExpectCosigned(witness_->AddCheckpoint(log_.Body(10, 310)), 310);
  ExpectCosigned(witness_->AddCheckpoint(log_.Body(310, 310)), 310);  // same size: re-cosign
  EXPECT_EQ(witness_->CosignedSize(kOrigin), 310u);
}

TEST_F(WitnessTest, UnknownLogIs404) {
  TestLog other(2, "other.example/log");
  other.Grow(3);
  EXPECT_EQ(witness_->AddCheckpoint(other.Body(0, 3)).status, 404);
}

TEST_F(WitnessTest, WrongLogKeyIs403) {
  TestLog impostor(3);  // same origin, another key
  impostor.Grow(3);
  EXPECT_EQ(witness_->AddCheckpoint(impostor.Body(0, 3)).status, 403);
  EXPECT_EQ(witness_->CosignedSize(kOrigin), 0u);
}

TEST_F(WitnessTest, OldGreaterThanNewIs400) {
  log_.Grow(10);
  ExpectCosigned(witness_->AddCheckpoint(log_.Body(0, 10)), 10);
  tlog::AddCheckpointRequest req{20, {}, log_.Note(10)};
  EXPECT_EQ(witness_->AddCheckpoint(tlog::FormatAddCheckpointRequest(req)).status, 400);
}

TEST_F(WitnessTest, MalformedBodiesAre400) {
  for (std::string body : std::vector<std::string>{"", "old 1\n", "old 01\n\nx\n", "nonsense", std::string("old 0\n\n") + "\xff\n"}) {
    EXPECT_EQ(witness_->AddCheckpoint(body).status, 400) << body;
  }
}

TEST_F(WitnessTest, StaleOldSizeIs409WithTheCurrentSize) {
  log_.Grow(10);
  ExpectCosigned(witness_->AddCheckpoint(log_.Body(0, 10)), 10);
  log_.Grow(10);
  auto r = witness_->AddCheckpoint(log_.Body(5, 20));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "10\n");
  EXPECT_EQ(r.content_type, "text/x.tlog.size");
}

TEST_F(WitnessTest, BadProofIs422) {
  log_.Grow(10);
  ExpectCosigned(witness_->AddCheckpoint(log_.Body(0, 10)), 10);
  log_.Grow(10);
  tlog::AddCheckpointRequest req;
  req.old_size = 10;
  req.proof = *tlog::ConsistencyProof(10, 20, log_.store);
  req.proof[0][0] ^= 1;
  req.checkpoint = log_.Note(20);
  EXPECT_EQ(witness_->AddCheckpoint(tlog::FormatAddCheckpointRequest(req)).status, 422);
  EXPECT_EQ(witness_->CosignedSize(kOrigin), 10u);
}

TEST_F(WitnessTest, ForkIsNeverCosignedEvenAfterRestart) {
  log_.Grow(10);
  ExpectCosigned(witness_->AddCheckpoint(log_.Body(0, 10)), 10);
  // A fork: same key, same first 10 records, different 11th..20th.
  TestLog fork(1);
  fork.Grow(10);
  fork.Grow(10, "fork");
  log_.Grow(10);
  Reopen();  // state survives a restart
  EXPECT_EQ(witness_->CosignedSize(kOrigin), 10u);
  ExpectCosigned(witness_->AddCheckpoint(log_.Body(10, 20)), 20);
  // The fork's checkpoint at 20 with a (valid-for-the-fork) proof from 10: same size, different root.
  auto r = witness_->AddCheckpoint(fork.Body(20, 20));
  EXPECT_TRUE(r.status == 409 || r.status == 422) << r.status;
  auto r2 = witness_->AddCheckpoint(fork.Body(10, 20));
  EXPECT_EQ(r2.status, 409);
  fork.Grow(5, "fork");
  auto r3 = witness_->AddCheckpoint(fork.Body(20, 25));
  EXPECT_EQ(r3.status, 422);
  Reopen();
  EXPECT_EQ(witness_->CosignedSize(kOrigin), 20u);
}

TEST(WitnessState, RoundTripAndStrictParse) {
  WitnessState st{"o", 42, tlog::EmptyTreeHash()};
  auto back = ParseWitnessState(FormatWitnessState(st));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->size, 42u);
  EXPECT_EQ(back->origin, "o");
  EXPECT_FALSE(ParseWitnessState(FormatWitnessState(st) + "x").ok());
  EXPECT_FALSE(ParseWitnessState("keyward-witness-state/v1\no\n042\n" + tlog::HashToBase64(st.root) + "\n").ok());
}

}  // namespace
}  // namespace keyward::witness
