// Issue 5 benchmark: verifying a delivered validation bundle against its cryptographic floor.
//
// The bundle: a fleets payload with one fleet, signed by two organisations (org-a, org-b), logged
// as entry 777,777 of a 2^20-entry log (inclusion proof depth 20; the sibling hashes are
// deterministic pseudo-random values and the checkpoint root is computed from them, so no million
// leaves are materialised), the checkpoint signed by the log and cosigned by 3 witnesses, verified
// under a trust policy whose witness quorum needs all 3 and whose bundle quorum needs both
// organisations.
//
// BM_BundleVerify: trust::VerifyBundle on the delivered bytes with a fresh client state (parse the
// container, tlog-proof, envelope and payload strictly; 2 envelope signatures; log signature;
// 3 cosignatures; inclusion; epoch and checkpoint state update).
// BM_BundleVerifyFloor: what any verifier must do: 6 strict Ed25519 verifications (2 envelope
// signatures over DSSE PAE, the log signature, 3 cosignatures over their exact messages) and the
// leaf hash + 20 node hashes.
// scripts/bench.sh prints bundle_verify and bundle_verify_vs_floor (target <= 1.2x).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "tlog/cosignature.h"
#include "tlog/merkle.h"
#include "trust/trust_fixture.h"
#include "trust/verify.h"

namespace keyward::trust {
namespace {

constexpr uint64_t kTreeSize = uint64_t{1} << 20;
constexpr uint64_t kIndex = 777777;

struct BundleFixture {
  std::unique_ptr<testing::TrustWorld> world;
  std::unique_ptr<TrustPolicy> policy;
  std::string delivered;
  // Floor inputs.
  Bytes envelope_bytes;
  Bytes pae;
  std::vector<crypto::Ed25519PublicKey> envelope_pks;
  std::vector<crypto::Ed25519Signature> envelope_sigs;
  std::string body;
  crypto::Ed25519PublicKey log_pk;
  crypto::Ed25519Signature log_sig;
  std::vector<crypto::Ed25519PublicKey> witness_pks;
  std::vector<crypto::Ed25519Signature> witness_sigs;
  std::vector<std::string> cosig_messages;
  std::vector<tlog::Hash> inclusion;
};

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "trust_bench setup failed: %s\n", what);
    std::abort();
  }
}

crypto::Ed25519Signature Sig64(ByteSpan b) {
  crypto::Ed25519Signature s;
  Require(b.size() == 64, "64-byte signature");
  std::copy(b.begin(), b.end(), s.begin());
  return s;
}

const BundleFixture& Fixture() {
  static const BundleFixture* f = [] {
    auto* fx = new BundleFixture();
    fx->world = std::make_unique<testing::TrustWorld>();
    testing::TrustWorld& w = *fx->world;
    fx->policy = std::make_unique<TrustPolicy>(w.Policy("all"));
    Envelope e = w.Signed(w.MakePayload(1));
    std::string env = SerializeEnvelope(e);
    fx->envelope_bytes = ToBytes(env);
    // Depth-20 inclusion proof without materialising the tree.
    tlog::Hash leaf = tlog::LeafHash(fx->envelope_bytes);
    for (int i = 0; i < 20; ++i) {
      std::string label = "sibling " + std::to_string(i);
      fx->inclusion.push_back(crypto::Sha256(AsBytes(label)));
    }
    auto root = tlog::RootFromInclusionProof(kIndex, kTreeSize, leaf, fx->inclusion);
    Require(root.ok(), "root from inclusion proof");
    tlog::Checkpoint cp{std::string(testing::TrustWorld::kOrigin), kTreeSize, *root, {}};
    std::string note = w.SignNote(cp, {0, 1, 2});
    fx->delivered = SerializeDeliveredBundle(
        {fx->envelope_bytes, tlog::FormatTlogProof({std::nullopt, kIndex, fx->inclusion, note})});
    // Floor inputs.
    fx->pae = Pae(e.payload_type, e.payload);
    for (const Signature& s : e.signatures) {
      fx->envelope_pks.push_back(fx->policy->FindSignerByKeyId(s.keyid)->public_key);
      fx->envelope_sigs.push_back(Sig64(s.sig));
    }
    auto parsed = tlog::ParseNote(note);
    Require(parsed.ok(), "note");
    fx->body = parsed->text;
    fx->log_pk = testing::TestKey("log")->public_key();
    fx->log_sig = Sig64(parsed->signatures[0].signature);
    for (size_t i = 0; i < 3; ++i) {
      auto cs = tlog::ParseCosignature(parsed->signatures[i + 1].signature);
      Require(cs.ok(), "cosignature");
      fx->witness_pks.push_back(testing::TestKey("w" + std::to_string(i + 1))->public_key());
      fx->witness_sigs.push_back(cs->signature);
      fx->cosig_messages.push_back(tlog::CosignatureMessage(cs->timestamp, fx->body));
    }
    TrustState st;
    auto r = VerifyBundle(*fx->policy, AsBytes(fx->delivered), st, testing::TrustWorld::kNow);
    if (!r.ok()) std::fprintf(stderr, "%s\n", r.rejection().ToString().c_str());
    Require(r.ok(), "bundle verifies");
    Require(r->witnesses.size() == 3 && r->signers.size() == 2, "2 signers and 3 witnesses counted");
    return fx;
  }();
  return *f;
}

void BM_BundleVerify(benchmark::State& state) {
  const BundleFixture& f = Fixture();
  for (auto _ : state) {
    TrustState st;
    auto r = VerifyBundle(*f.policy, AsBytes(f.delivered), st, testing::TrustWorld::kNow);
    if (!r.ok()) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_BundleVerify);

void BM_BundleVerifyFloor(benchmark::State& state) {
  const BundleFixture& f = Fixture();
  for (auto _ : state) {
    bool ok = true;
    for (size_t i = 0; i < f.envelope_pks.size(); ++i) {
      ok &= crypto::Ed25519Verify(f.envelope_pks[i], f.pae, f.envelope_sigs[i]);
    }
    ok &= crypto::Ed25519Verify(f.log_pk, AsBytes(f.body), f.log_sig);
    for (size_t i = 0; i < f.witness_pks.size(); ++i) {
      ok &= crypto::Ed25519Verify(f.witness_pks[i], AsBytes(f.cosig_messages[i]), f.witness_sigs[i]);
    }
    tlog::Hash h = tlog::LeafHash(f.envelope_bytes);
    for (const tlog::Hash& p : f.inclusion) h = tlog::NodeHash(h, p);
    benchmark::DoNotOptimize(h);
    if (!ok) state.SkipWithError("floor verification failed");
  }
}
BENCHMARK(BM_BundleVerifyFloor);

}  // namespace
}  // namespace keyward::trust
