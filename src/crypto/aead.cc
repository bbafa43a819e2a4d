#include "crypto/aead.h"

#include <sodium.h>

namespace keyward::crypto {

std::vector<uint8_t> AeadSeal(std::span<const uint8_t> key, std::span<const uint8_t> nonce,
                              std::span<const uint8_t> associated_data, std::span<const uint8_t> plaintext) {
  KW_CHECK(key.size() == kAeadKeyBytes && nonce.size() == kAeadNonceBytes);
  std::vector<uint8_t> out(plaintext.size() + kAeadTagBytes);
  unsigned long long n = 0;
  KW_CHECK(crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &n, plaintext.data(), plaintext.size(),
                                                      associated_data.data(), associated_data.size(),
                                                      nullptr, nonce.data(), key.data()) == 0);
  KW_CHECK(n == out.size());
  return out;
}

StatusOr<SecretBytes> AeadOpen(std::span<const uint8_t> key, std::span<const uint8_t> nonce,
                               std::span<const uint8_t> associated_data, std::span<const uint8_t> ciphertext) {
  if (key.size() != kAeadKeyBytes || nonce.size() != kAeadNonceBytes || ciphertext.size() < kAeadTagBytes) {
    return AuthenticationFailed("decryption failed");
  }
  SecretBytes out(ciphertext.size() - kAeadTagBytes);
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.RevealMutable().data(), &n, nullptr, ciphertext.data(),
                                                 ciphertext.size(), associated_data.data(),
                                                 associated_data.size(), nonce.data(), key.data()) != 0) {
    return AuthenticationFailed("decryption failed");
  }
  return out;
}

}  // namespace keyward::crypto
