// TrustWorld: an in-process deployment for tests, fuzz seeds and benchmarks (not linked into the
// library; header-only): deterministic signer, log and witness keys, a trust policy pinning them,
// an in-memory audit log (tlog::MemoryHashStore), witness cosignatures, and helpers that build
// fleet payloads, envelopes and delivered bundles. Failures of the helpers are broken test
// invariants (KW_CHECK).
//
// Thread-safety: none (one test at a time).
#pragma once

#include <sodium.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/proof_file.h"
#include "trust/delivered.h"
#include "trust/envelope.h"
#include "trust/payload.h"
#include "trust/policy.h"

namespace keyward::trust::testing {

inline std::shared_ptr<const crypto::Ed25519PrivateKey> TestKey(std::string_view label) {
  crypto::Sha256Digest seed = crypto::Sha256(AsBytes(label));
  auto k = crypto::Ed25519PrivateKey::FromSeed(seed);
  KW_CHECK(k.ok());
  return std::make_shared<crypto::Ed25519PrivateKey>(std::move(*k));
}

inline crypto::ristretto::ElementBytes TestFleetKey(std::string_view label) {
  crypto::Sha512Digest h = crypto::Sha512(AsBytes(label));
  crypto::ristretto::ElementBytes out;
  crypto_core_ristretto255_from_hash(out.data(), h.data());
  return out;
}

inline FleetEntry TestFleet(std::string id, FleetState state = FleetState::kActive) {
  FleetEntry f;
  f.id = id;
  f.state = state;
  f.opaque_public_key = TestFleetKey("fleet:" + id);
  f.member_keys = {tlog::Ed25519VerifierKeyString(id + "-core-1", tlog::kSigTypeEd25519,
                                                  TestKey(id + "-core-1")->public_key())};
  f.argon2id = {65536, 3, 4};
  crypto::Sha256Digest m = crypto::Sha256(AsBytes("measurement:" + id));
  f.measurements = {Bytes(m.begin(), m.end())};
  crypto::Sha256Digest ev = crypto::Sha256(AsBytes("evidence:" + id));
  f.evidence_sha256 = Bytes(ev.begin(), ev.end());
  f.endpoints = {id + ".vault.example:7443"};
  return f;
}

class TrustWorld {
 public:
  static constexpr UnixSeconds kNow = 1795000000;  // 2026-11-18
  static constexpr std::string_view kNamespace = "example.com/app";
  static constexpr std::string_view kOrigin = "log.example/keyward";

  TrustWorld() {
    for (const char* n : {"org-a", "org-b", "org-c", "emergency-1", "emergency-2", "mallory"}) {
      auto s = Ed25519EnvelopeSigner::Create(std::string(n) + ".example", TestKey(n));
      KW_CHECK(s.ok());
      signers_[n] = std::move(*s);
    }
    log_key_ = TestKey("log");
    log_signer_ = std::make_unique<tlog::Ed25519NoteSigner>(std::string(kOrigin), log_key_);
    other_log_signer_ = std::make_unique<tlog::Ed25519NoteSigner>(std::string(kOrigin), TestKey("rogue-log"));
    for (const char* w : {"w1", "w2", "w3"}) {
      witnesses_.push_back(std::make_unique<tlog::Cosigner>(std::string(w) + ".example", TestKey(w)));
    }
  }

  Signer& signer(const std::string& name) { return *signers_.at(name); }
  std::string SignerLine(const std::string& name) {
    return "signer " + name + " " + signers_.at(name)->verifier_key() + "\n";
  }

  // Default policy: main = org-a AND org-b; emergency pair; witnesses 2-of-3 unless overridden.
  std::string PolicyText(const std::string& witness_quorum = "2", const std::string& extra = "") {
    std::string t = "# test policy\nnamespace " + std::string(kNamespace) + "\n";
    for (const char* n : {"org-a", "org-b", "emergency-1", "emergency-2"}) t += SignerLine(n);
    t += "group main all org-a org-b\n";
    t += "group emergency all emergency-1 emergency-2\n";
    t += "group signers any main emergency\n";
    t += "bundle-quorum signers\n";
    t += LogLines(witness_quorum);
    t += "max-age 30d\nclock-skew 5m\n";
    return t + extra;
  }
  std::string LogLines(const std::string& witness_quorum = "2") {
    std::string t = "log " + log_signer_->VerifierKeyString() + " https://log.example/\n";
    for (size_t i = 0; i < witnesses_.size(); ++i) {
      t += "witness w" + std::to_string(i + 1) + " " + witnesses_[i]->VerifierKeyString() + "\n";
    }
    t += "group witnesses " + witness_quorum + " w1 w2 w3\nquorum witnesses\n";
    return t;
  }
  TrustPolicy Policy(const std::string& witness_quorum = "2", const std::string& extra = "") {
    auto p = TrustPolicy::Parse(PolicyText(witness_quorum, extra));
    KW_CHECK(p.ok());
    return std::move(*p);
  }

  Payload MakePayload(uint64_t epoch, std::vector<FleetEntry> fleets = {TestFleet("fleet-1")}) {
    Payload p;
    p.ns = std::string(kNamespace);
    p.epoch = epoch;
    p.issued = kNow - 3600;
    p.expires = kNow + 30 * 86400;
    p.fleets = std::move(fleets);
    return p;
  }
  static Envelope Unsigned(const Payload& p) {
    auto json = SerializePayload(p);
    KW_CHECK(json.ok());
    return Envelope{std::string(kFleetsPayloadType), ToBytes(*json), {}};
  }
  Envelope Signed(const Payload& p, std::initializer_list<const char*> by = {"org-a", "org-b"}) {
    Envelope e = Unsigned(p);
    for (const char* n : by) KW_CHECK(AddSignature(e, signer(n)).ok());
    return e;
  }

  // Appends `leaf` to the log; returns its index.
  uint64_t Append(ByteSpan leaf) { return store_.AppendRecord(leaf); }
  // Filler entries (other people's records).
  void AppendFiller(int n) {
    for (int i = 0; i < n; ++i) Append(AsBytes("filler " + std::to_string(store_.size())));
  }
  uint64_t size() const { return store_.size(); }

  // A checkpoint note of the current tree signed by the log and cosigned by `cosigners`
  // (indexes into w1..w3).
  std::string CheckpointNote(std::vector<int> cosigners = {0, 1, 2}, bool rogue_log = false,
                             std::optional<tlog::Hash> root_override = std::nullopt,
                             std::optional<uint64_t> size_override = std::nullopt) {
    tlog::Checkpoint cp;
    cp.origin = std::string(kOrigin);
    cp.size = size_override.value_or(store_.size());
    if (root_override) {
      cp.root = *root_override;
    } else {
      auto root = tlog::TreeHash(cp.size, store_);
      KW_CHECK(root.ok());
      cp.root = *root;
    }
    return SignNote(cp, cosigners, rogue_log);
  }
  std::string SignNote(const tlog::Checkpoint& cp, const std::vector<int>& cosigners, bool rogue_log = false) {
    auto signed_note = tlog::SignCheckpoint(cp, rogue_log ? *other_log_signer_ : *log_signer_);
    KW_CHECK(signed_note.ok());
    auto note = tlog::ParseNote(*signed_note);
    KW_CHECK(note.ok());
    for (int w : cosigners) {
      auto cs = witnesses_[static_cast<size_t>(w)]->Cosign(note->text, kNow - 60);
      KW_CHECK(cs.ok());
      note->signatures.push_back(std::move(*cs));
    }
    return tlog::FormatNote(*note);
  }

  // tlog-proof for entry `index` under the current tree.
  std::string Proof(uint64_t index, std::vector<int> cosigners = {0, 1, 2}) {
    tlog::TlogProof p;
    p.index = index;
    auto path = tlog::InclusionProof(index, store_.size(), store_);
    KW_CHECK(path.ok());
    p.inclusion = std::move(*path);
    p.checkpoint = CheckpointNote(cosigners);
    return tlog::FormatTlogProof(p);
  }

  // Logs the envelope (after some filler) and returns the delivered container bytes.
  std::string Deliver(const Envelope& e, std::vector<int> cosigners = {0, 1, 2}) {
    std::string bytes = SerializeEnvelope(e);
    AppendFiller(3);
    uint64_t idx = Append(AsBytes(bytes));
    AppendFiller(2);
    return SerializeDeliveredBundle({ToBytes(bytes), Proof(idx, cosigners)});
  }

  tlog::MemoryHashStore& store() { return store_; }
  const tlog::Cosigner& witness(size_t i) const { return *witnesses_[i]; }

 private:
  std::map<std::string, std::unique_ptr<Ed25519EnvelopeSigner>> signers_;
  std::shared_ptr<const crypto::Ed25519PrivateKey> log_key_;
  std::unique_ptr<tlog::Ed25519NoteSigner> log_signer_;
  std::unique_ptr<tlog::Ed25519NoteSigner> other_log_signer_;
  std::vector<std::unique_ptr<tlog::Cosigner>> witnesses_;
  tlog::MemoryHashStore store_;
};

}  // namespace keyward::trust::testing
