// Authenticated encryption for sealing secrets: XChaCha20-Poly1305 (IETF), libsodium.
// 32-byte keys, 24-byte random nonces (safe to pick at random), 16-byte tags.
// Open() fails with one uniform error whatever went wrong (Tink's "decryption failed").
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "crypto/secret.h"

namespace keyward::crypto {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 24;
inline constexpr size_t kAeadTagBytes = 16;

// Returns ciphertext ‖ tag.
std::vector<uint8_t> AeadSeal(std::span<const uint8_t> key, std::span<const uint8_t> nonce,
                              std::span<const uint8_t> associated_data, std::span<const uint8_t> plaintext);
StatusOr<SecretBytes> AeadOpen(std::span<const uint8_t> key, std::span<const uint8_t> nonce,
                               std::span<const uint8_t> associated_data, std::span<const uint8_t> ciphertext);

}  // namespace keyward::crypto
