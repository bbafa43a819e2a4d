#include "tlog/cosignature.h"

#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::tlog {

// cosignature = uint64 timestamp ‖ opaque ed25519_signature[64]   (tlog-cosignature §Format; the
// 4-byte key ID before it is consumed by the note layer).
StatusOr<Cosignature> ParseCosignature(ByteSpan signature_bytes) {
  wire::Reader r(signature_bytes);
  Cosignature c;
  if (!r.U64(&c.timestamp) || !r.Fixed(&c.signature) || !r.Finish()) {
    return InvalidArgument("cosignature/v1 signature must be an 8-byte timestamp and a 64-byte Ed25519 signature, got " +
                           std::to_string(signature_bytes.size()) + " bytes");
  }
  return c;
}

Bytes SerializeCosignature(const Cosignature& cosig) {
  wire::Writer w(72);
  w.U64(cosig.timestamp).Bytes(cosig.signature);
  return w.Take();
}

std::string CosignatureMessage(uint64_t timestamp, std::string_view checkpoint_body) {
  std::string m = "cosignature/v1\ntime " + std::to_string(timestamp) + "\n";
  m.append(checkpoint_body);
  return m;
}

CosignatureVerifier::CosignatureVerifier(std::string name, const crypto::Ed25519PublicKey& public_key)
    : name_(std::move(name)), public_key_(public_key),
      key_id_(NoteKeyId(name_, kSigTypeCosignatureV1, public_key_)) {}

StatusOr<std::shared_ptr<const CosignatureVerifier>> CosignatureVerifier::FromVerifierKey(
    std::string_view vkey) {
  ASSIGN_OR_RETURN(VerifierKey k, ParseVerifierKey(vkey));
  if (k.type != kSigTypeCosignatureV1) {
    return InvalidArgument("verifier key '" + k.name + "' is not a cosignature/v1 (type 0x04) witness key");
  }
  crypto::Ed25519PublicKey pk;
  std::copy(k.public_key.begin(), k.public_key.end(), pk.begin());
  return std::make_shared<const CosignatureVerifier>(k.name, pk);
}

bool CosignatureVerifier::Verify(std::string_view checkpoint_body, ByteSpan signature) const {
  auto c = ParseCosignature(signature);
  if (!c.ok()) return false;
  std::string msg = CosignatureMessage(c->timestamp, checkpoint_body);
  return crypto::Ed25519Verify(public_key_, AsBytes(msg), c->signature);
}

std::string CosignatureVerifier::VerifierKeyString() const {
  return Ed25519VerifierKeyString(name_, kSigTypeCosignatureV1, public_key_);
}

Cosigner::Cosigner(std::string name, std::shared_ptr<const crypto::Ed25519Signer> key)
    : name_(std::move(name)), key_(std::move(key)) {
  KW_CHECK(IsValidKeyName(name_));
  KW_CHECK(key_ != nullptr);
  key_id_ = NoteKeyId(name_, kSigTypeCosignatureV1, key_->public_key());
}

std::string Cosigner::VerifierKeyString() const {
  return Ed25519VerifierKeyString(name_, kSigTypeCosignatureV1, key_->public_key());
}

StatusOr<NoteSignature> Cosigner::Cosign(std::string_view checkpoint_body, uint64_t timestamp) const {
  std::string msg = CosignatureMessage(timestamp, checkpoint_body);
  ASSIGN_OR_RETURN(crypto::Ed25519Signature sig, key_->Sign(AsBytes(msg)));
  return NoteSignature{name_, key_id_, SerializeCosignature({timestamp, sig})};
}

StatusOr<std::shared_ptr<const NoteVerifier>> NoteVerifierFromKey(std::string_view vkey) {
  ASSIGN_OR_RETURN(VerifierKey k, ParseVerifierKey(vkey));
  crypto::Ed25519PublicKey pk;
  std::copy(k.public_key.begin(), k.public_key.end(), pk.begin());
  if (k.type == kSigTypeEd25519) return std::shared_ptr<const NoteVerifier>(std::make_shared<Ed25519NoteVerifier>(k.name, pk));
  return std::shared_ptr<const NoteVerifier>(std::make_shared<CosignatureVerifier>(k.name, pk));
}

}  // namespace keyward::tlog
