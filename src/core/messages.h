// Keyward's own vault messages around the RFC 9807 ones (docs/protocol.md "Messages"): the upload
// envelope (the gRPC RegisterUploadRequest.encrypted_secret), the recovered-secret envelope
// (RecoverFinishResponse.encrypted_secret) and the login-state token size. Parse takes untrusted
// bytes and is strict (exact sizes, ranges, no trailing bytes); Serialize is its exact inverse.
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "core/protocol_crypto.h"
#include "core/record.h"
#include "crypto/ristretto.h"

namespace keyward::core {

inline constexpr uint8_t kUploadEnvelopeVersion = 1;
inline constexpr size_t kAeadOverhead = 16;
inline constexpr size_t kUploadCiphertextMin = kMinSecretSize + kAeadOverhead;  // 17
inline constexpr size_t kUploadCiphertextMax = kMaxSecretSize + kAeadOverhead;  // 144
// The sealed server login state handed out with KE2 and returned with KE3 (and with a
// re-registration or delete proof): nonce(24) || AEAD(kind(1) || epoch(8) || serial(8) ||
// server_login_state(128)) (tag 16). Identical size for real and fake logins.
inline constexpr size_t kLoginStateSize = 24 + 1 + 8 + 8 + 128 + 16;  // 185
// Recovered secret: nonce(24) || XChaCha20-Poly1305(secret) (secret + 16).
inline constexpr size_t kRecoveredSecretMin = 24 + kMinSecretSize + kAeadOverhead;
inline constexpr size_t kRecoveredSecretMax = 24 + kMaxSecretSize + kAeadOverhead;

// The secret encrypted to the fleet key, plus an optional proof of a finished recovery session
// that allows replacing an active record without the account authority.
struct UploadEnvelope {
  uint64_t epoch = 0;  // RegisterStart's registration_epoch + 1
  crypto::ristretto::ElementBytes ephemeral_public_key{};
  Bytes ciphertext;  // kUploadCiphertextMin..kUploadCiphertextMax
  Bytes login_state;  // empty, or kLoginStateSize bytes (RecoverStart's login_state)
  std::array<uint8_t, kProofSize> proof{};  // ReregisterProof; all zero when login_state is empty

  // struct {
  //   uint8  version = 1;
  //   uint64 epoch;
  //   uint8  ephemeral_public_key[32];     // RFC 9496 canonical, not the identity (checked by
  //                                        // the core's DH, which rejects it uniformly)
  //   opaque ciphertext<17..144>;          // u8 length prefix
  //   uint8  has_proof;                    // 0 or 1
  //   select (has_proof) { case 1: uint8 login_state[185]; uint8 proof[64]; }
  // } UploadEnvelope;
  static StatusOr<UploadEnvelope> Parse(ByteSpan bytes);
  Bytes Serialize() const;
  bool operator==(const UploadEnvelope&) const = default;
};

}  // namespace keyward::core
