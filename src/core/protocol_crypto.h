// The vault protocol's own cryptography around OPAQUE (docs/protocol.md "Crypto"), shared by the
// trusted core and the client (src/client/protocol.h) so both sides derive byte-identical keys:
//
//  - upload:   the secret encrypted to the fleet key. ephemeral-static DH over ristretto255
//              (dh = e·pk_S = sk_S·E), prk = HKDF-SHA512-Extract(salt = "keyward/upload/v1",
//              ikm = dh || E || pk_S), key(32) || nonce(24) = HKDF-SHA512-Expand(prk,
//              "keyward upload key", 56), XChaCha20-Poly1305 with UploadAssociatedData.
//  - activation commitment = SHA-256("keyward/activation/v1" || activation_key).
//  - session keys: prk = HKDF-SHA512-Extract(salt = "keyward/session/v1", ikm = OPAQUE session_key);
//              recovery key (32) = Expand(prk, "keyward recovered secret", 32);
//              delete MAC key (64) = Expand(prk, "keyward delete proof", 64);
//              re-registration MAC key (64) = Expand(prk, "keyward reregister proof", 64).
//
// All functions are pure and thread-safe. Secrets are returned in SecretBytes.
#pragma once

#include <array>
#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/hash.h"
#include "crypto/ristretto.h"
#include "crypto/secret.h"
#include "core/record.h"

namespace keyward::core {

inline constexpr size_t kUploadKeyMaterialSize = 32 + 24;  // AEAD key || AEAD nonce
inline constexpr size_t kProofSize = 64;                    // HMAC-SHA512

// SHA-256("keyward/activation/v1" || activation_key).
std::array<uint8_t, kActivationCommitmentSize> ActivationCommitment(ByteSpan activation_key);

// AD of the upload AEAD: "keyward upload v1" || u16 len(user_id) || user_id ||
// SHA-512(registration_record) || u64 epoch || activation_commitment(32) || u8 max_attempts.
// Binding the policy and epoch means the untrusted host can change none of them.
Bytes UploadAssociatedData(ByteSpan user_id, ByteSpan registration_record, uint64_t epoch,
                           ByteSpan activation_commitment, uint8_t max_attempts);

// key(32) || nonce(24) from the DH result, the ephemeral public key and the fleet public key.
crypto::SecretBytes UploadKeyMaterial(ByteSpan dh, ByteSpan ephemeral_public_key,
                                      ByteSpan fleet_public_key);

// Keys derived from an OPAQUE session key (64 bytes) for what follows a successful recovery.
struct SessionKeys {
  crypto::SecretBytes recovery_key;    // 32: AEAD key for the recovered secret
  crypto::SecretBytes delete_key;      // 64: HMAC key for the delete proof
  crypto::SecretBytes reregister_key;  // 64: HMAC key for the re-registration proof
};
SessionKeys DeriveSessionKeys(const crypto::SecretBytes& session_key);

// AD of the recovered-secret AEAD: "keyward recovered secret v1" || u16 len(user_id) || user_id.
Bytes RecoveredSecretAssociatedData(ByteSpan user_id);

// HMAC-SHA512(delete_key, "keyward delete v1" || u16 len(user_id) || user_id).
std::array<uint8_t, kProofSize> DeleteProof(const crypto::SecretBytes& delete_key, ByteSpan user_id);

// HMAC-SHA512(reregister_key, "keyward reregister v1" || upload AD || E || ciphertext): binds the
// proof to exactly this new upload, so the host cannot attach it to a record of its own.
std::array<uint8_t, kProofSize> ReregisterProof(const crypto::SecretBytes& reregister_key,
                                                ByteSpan upload_associated_data,
                                                ByteSpan ephemeral_public_key, ByteSpan ciphertext);

}  // namespace keyward::core
