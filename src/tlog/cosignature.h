// C2SP tlog-cosignature v1 (Ed25519, signature type 0x04): timestamped witness signatures on a
// checkpoint.
//
//   key ID   = SHA-256(name ‖ "\n" ‖ 0x04 ‖ 32-byte public key)[:4]
//   line     = — <name> base64(key ID(4) ‖ timestamp uint64 BE (8) ‖ Ed25519 signature (64))
//   message  = "cosignature/v1\n" "time <decimal POSIX seconds>\n" <checkpoint body incl. final \n>
//
// The Ed25519 message does not commit to the cosigner name, so every cosigner needs its own key.
// The library has no clock: the caller passes the timestamp.
//
// Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/ed25519.h"
#include "tlog/note.h"

namespace keyward::tlog {

// The signature bytes after the key ID: timestamp(8) ‖ Ed25519 signature(64).
struct Cosignature {
  uint64_t timestamp = 0;  // POSIX seconds
  crypto::Ed25519Signature signature{};
};
// Exactly 72 bytes, else InvalidArgument.
StatusOr<Cosignature> ParseCosignature(ByteSpan signature_bytes);
Bytes SerializeCosignature(const Cosignature& cosig);

// "cosignature/v1\ntime <T>\n" + checkpoint body.
std::string CosignatureMessage(uint64_t timestamp, std::string_view checkpoint_body);

// Verifies type-0x04 signatures by one witness key.
class CosignatureVerifier final : public NoteVerifier {
 public:
  CosignatureVerifier(std::string name, const crypto::Ed25519PublicKey& public_key);
  // From a vkey of type 0x04.
  static StatusOr<std::shared_ptr<const CosignatureVerifier>> FromVerifierKey(std::string_view vkey);
  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  bool Verify(std::string_view checkpoint_body, ByteSpan signature) const override;
  const crypto::Ed25519PublicKey& public_key() const { return public_key_; }
  std::string VerifierKeyString() const;

 private:
  std::string name_;
  crypto::Ed25519PublicKey public_key_;
  uint32_t key_id_;
};

// Produces cosignatures with one witness key.
class Cosigner {
 public:
  // REQUIRES: IsValidKeyName(name).
  Cosigner(std::string name, std::shared_ptr<const crypto::Ed25519Signer> key);
  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  std::string VerifierKeyString() const;
  // The note signature (name, key ID, timestamp ‖ sig) on `checkpoint_body` at `timestamp`.
  // Format with FormatSignatureLine(). tlog-witness requires timestamp != 0.
  StatusOr<NoteSignature> Cosign(std::string_view checkpoint_body, uint64_t timestamp) const;

 private:
  std::string name_;
  std::shared_ptr<const crypto::Ed25519Signer> key_;
  uint32_t key_id_;
};

// Builds a NoteVerifier from any vkey Keyward supports (type 0x01 or 0x04).
StatusOr<std::shared_ptr<const NoteVerifier>> NoteVerifierFromKey(std::string_view vkey);

}  // namespace keyward::tlog
