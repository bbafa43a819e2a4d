// Issue 4 benchmark: verifying a C2SP tlog-proof against its cryptographic floor.
//
// The proof: entry 777,777 of a 2^20-entry log (inclusion proof depth 20), a checkpoint signed by the
// log and cosigned by 3 witnesses, verified under a tlog-policy whose quorum needs all 3 witnesses.
// BM_TlogProofVerify parses the proof text and verifies it (VerifyTlogProofText). BM_TlogProofVerifyFloor
// is what any verifier must do: 4 strict Ed25519 verifications (log signature + 3 cosignatures over
// their exact messages) and 21 SHA-256 compressions-worth of hashing (leaf hash + 20 node hashes).
// scripts/bench.sh prints tlog_proof_verify, tlog_proof_verify_floor and their ratio (target ≤ 1.2x).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "tlog/cosignature.h"
#include "tlog/policy.h"
#include "tlog/proof_file.h"

namespace keyward::tlog {
namespace {

constexpr uint64_t kTreeSize = uint64_t{1} << 20;
constexpr uint64_t kIndex = 777777;
constexpr uint64_t kTimestamp = 1795000000;

struct ProofFixture {
  std::string proof_text;
  Bytes entry;
  std::unique_ptr<Policy> policy;
  // Floor inputs.
  std::string body;
  crypto::Ed25519PublicKey log_pk;
  crypto::Ed25519Signature log_sig;
  std::vector<crypto::Ed25519PublicKey> witness_pks;
  std::vector<crypto::Ed25519Signature> witness_sigs;
  std::vector<Hash> inclusion;
};

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "tlog_bench setup failed: %s\n", what);
    std::abort();
  }
}

const ProofFixture& Fixture() {
  static const ProofFixture* f = [] {
    auto* fx = new ProofFixture();
    crypto::DeterministicRng rng(4);
    auto log_key = std::make_shared<crypto::Ed25519PrivateKey>(crypto::Ed25519PrivateKey::Generate(rng));
    Ed25519NoteSigner log("log.keyward.example", log_key);
    MemoryHashStore store;
    for (uint64_t i = 0; i < kTreeSize; ++i) {
      Bytes e = ToBytes("entry " + std::to_string(i));
      if (i == kIndex) fx->entry = e;
      store.AppendRecord(e);
    }
    auto root = TreeHash(kTreeSize, store);
    Require(root.ok(), "tree hash");
    Checkpoint cp{"log.keyward.example", kTreeSize, *root, {}};
    fx->body = FormatCheckpoint(cp);
    auto note = SignCheckpoint(cp, log);
    Require(note.ok(), "sign checkpoint");
    std::string policy_text = "log " + log.VerifierKeyString() + "\n";
    for (int i = 1; i <= 3; ++i) {
      auto wk = std::make_shared<crypto::Ed25519PrivateKey>(crypto::Ed25519PrivateKey::Generate(rng));
      Cosigner w("witness" + std::to_string(i) + ".example", wk);
      auto sig = w.Cosign(fx->body, kTimestamp);
      Require(sig.ok(), "cosign");
      *note += FormatSignatureLine(*sig);
      policy_text += "witness W" + std::to_string(i) + " " + w.VerifierKeyString() + "\n";
      fx->witness_pks.push_back(wk->public_key());
      fx->witness_sigs.push_back(ParseCosignature(sig->signature)->signature);
    }
    policy_text += "group all-witnesses all W1 W2 W3\nquorum all-witnesses\n";
    auto policy = Policy::Parse(policy_text);
    Require(policy.ok(), "policy");
    fx->policy = std::make_unique<Policy>(std::move(*policy));
    auto proof = InclusionProof(kIndex, kTreeSize, store);
    Require(proof.ok() && proof->size() == 20, "inclusion proof of depth 20");
    fx->inclusion = *proof;
    fx->proof_text = FormatTlogProof(TlogProof{std::nullopt, kIndex, *proof, *note});
    fx->log_pk = log_key->public_key();
    auto ls = log_key->Sign(AsBytes(fx->body));
    Require(ls.ok(), "log signature");
    fx->log_sig = *ls;
    Require(VerifyTlogProofText(fx->proof_text, LeafHash(fx->entry), *fx->policy).ok(), "proof verifies");
    return fx;
  }();
  return *f;
}

void BM_TlogProofVerify(benchmark::State& state) {
  const ProofFixture& f = Fixture();
  for (auto _ : state) {
    auto v = VerifyTlogProofText(f.proof_text, LeafHash(f.entry), *f.policy);
    if (!v.ok()) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_TlogProofVerify);

void BM_TlogProofVerifyFloor(benchmark::State& state) {
  const ProofFixture& f = Fixture();
  std::vector<std::string> cosig_messages;
  for (size_t i = 0; i < f.witness_pks.size(); ++i) cosig_messages.push_back(CosignatureMessage(kTimestamp, f.body));
  for (auto _ : state) {
    bool ok = crypto::Ed25519Verify(f.log_pk, AsBytes(f.body), f.log_sig);
    for (size_t i = 0; i < f.witness_pks.size(); ++i) {
      ok &= crypto::Ed25519Verify(f.witness_pks[i], AsBytes(cosig_messages[i]), f.witness_sigs[i]);
    }
    Hash h = LeafHash(f.entry);
    for (const Hash& p : f.inclusion) h = NodeHash(h, p);  // 20 node hashes (order irrelevant to cost)
    benchmark::DoNotOptimize(h);
    if (!ok) state.SkipWithError("floor verification failed");
  }
}
BENCHMARK(BM_TlogProofVerifyFloor);

}  // namespace
}  // namespace keyward::tlog
