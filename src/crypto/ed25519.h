// Ed25519 signatures (RFC 8032) with STRICT verification, over libsodium.
//
// Strict means (checked against Wycheproof and ed25519-speccheck, see ed25519_test.cc and
// docs/crypto.md): S must be canonical (< L); A and R must be canonical encodings and must not be of
// small order; the cofactorless equation [S]B = R + [k]A is checked. libsodium 1.0.18 built without
// ED25519_COMPAT does all of this; OpenSSL's verifier does not reject small-order keys, so it is not
// used for verification.
//
// Signing keys are reached through the Ed25519Signer interface so that a PKCS#11 token can hold them
// (src/pkcs11/); Ed25519PrivateKey is the in-memory implementation.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/status.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace keyward::crypto {

using Ed25519PublicKey = std::array<uint8_t, 32>;
using Ed25519Signature = std::array<uint8_t, 64>;

// Strict verification; true iff `sig` is a valid signature of `message` under `public_key`.
[[nodiscard]] bool Ed25519Verify(std::span<const uint8_t, 32> public_key, std::span<const uint8_t> message,
                                 std::span<const uint8_t, 64> sig);
// Same, for untrusted lengths: false unless key is 32 and signature 64 bytes.
[[nodiscard]] bool Ed25519VerifyBytes(std::span<const uint8_t> public_key, std::span<const uint8_t> message,
                                      std::span<const uint8_t> sig);

// Something that can sign with one Ed25519 key (memory, or a PKCS#11 token).
class Ed25519Signer {
 public:
  virtual ~Ed25519Signer() = default;
  virtual const Ed25519PublicKey& public_key() const = 0;
  virtual StatusOr<Ed25519Signature> Sign(std::span<const uint8_t> message) const = 0;
};

class Ed25519PrivateKey final : public Ed25519Signer {
 public:
  static Ed25519PrivateKey Generate(Rng& rng);
  // From the 32-byte RFC 8032 seed.
  static StatusOr<Ed25519PrivateKey> FromSeed(std::span<const uint8_t> seed);

  const Ed25519PublicKey& public_key() const override { return public_key_; }
  StatusOr<Ed25519Signature> Sign(std::span<const uint8_t> message) const override;
  const SecretBytes& seed() const { return seed_; }

 private:
  Ed25519PrivateKey(SecretBytes seed, SecretBytes expanded, Ed25519PublicKey pk)
      : seed_(std::move(seed)), expanded_(std::move(expanded)), public_key_(pk) {}
  SecretBytes seed_;      // 32 bytes
  SecretBytes expanded_;  // libsodium's 64-byte secret key (seed ‖ public key)
  Ed25519PublicKey public_key_;
};

}  // namespace keyward::crypto
