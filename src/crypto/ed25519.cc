#include "crypto/ed25519.h"

#include <sodium.h>

namespace keyward::crypto {

bool Ed25519Verify(std::span<const uint8_t, 32> public_key, std::span<const uint8_t> message,
                   std::span<const uint8_t, 64> sig) {
  return crypto_sign_ed25519_verify_detached(sig.data(), message.data(), message.size(),
                                             public_key.data()) == 0;
}

bool Ed25519VerifyBytes(std::span<const uint8_t> public_key, std::span<const uint8_t> message,
                        std::span<const uint8_t> sig) {
  if (public_key.size() != 32 || sig.size() != 64) return false;
  return Ed25519Verify(public_key.first<32>(), message, sig.first<64>());
}

Ed25519PrivateKey Ed25519PrivateKey::Generate(Rng& rng) {
  SecretBytes seed(32);
  rng.Fill(seed.RevealMutable());
  auto key = FromSeed(seed.Reveal());
  KW_CHECK(key.ok());
  return std::move(key).value();
}

StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::FromSeed(std::span<const uint8_t> seed) {
  if (seed.size() != crypto_sign_ed25519_SEEDBYTES) {
    return InvalidArgument("Ed25519 seed must be 32 bytes, got " + std::to_string(seed.size()));
  }
  SecretBytes expanded(crypto_sign_ed25519_SECRETKEYBYTES);
  Ed25519PublicKey pk;
  KW_CHECK(crypto_sign_ed25519_seed_keypair(pk.data(), expanded.RevealMutable().data(), seed.data()) == 0);
  return Ed25519PrivateKey(SecretBytes(seed), std::move(expanded), pk);
}

StatusOr<Ed25519Signature> Ed25519PrivateKey::Sign(std::span<const uint8_t> message) const {
  Ed25519Signature sig;
  KW_CHECK(crypto_sign_ed25519_detached(sig.data(), nullptr, message.data(), message.size(),
                                        expanded_.Reveal().data()) == 0);
  return sig;
}

}  // namespace keyward::crypto
