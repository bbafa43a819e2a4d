// Hashes, HMAC and HKDF used across Keyward.
//
// SHA-256 comes from OpenSSL (hardware SHA extensions); SHA-512 and HMAC-SHA512 from libsodium;
// HKDF-SHA512 from OpenSSL 3's EVP_KDF (fetched once per thread, as REFERENCE.md §C advises).
// All functions are pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>

#include <sodium.h>

#include "crypto/secret.h"

namespace keyward::crypto {

using ByteSpan = std::span<const uint8_t>;
using Sha256Digest = std::array<uint8_t, 32>;
using Sha512Digest = std::array<uint8_t, 64>;

Sha256Digest Sha256(ByteSpan data);
Sha256Digest Sha256(std::initializer_list<ByteSpan> parts);
Sha512Digest Sha512(ByteSpan data);
Sha512Digest Sha512(std::initializer_list<ByteSpan> parts);

// Incremental SHA-512 (for transcripts such as OPAQUE's preamble).
class Sha512Hasher {
 public:
  Sha512Hasher() { crypto_hash_sha512_init(&state_); }
  Sha512Hasher& Update(ByteSpan data) {
    crypto_hash_sha512_update(&state_, data.data(), data.size());
    return *this;
  }
  Sha512Digest Final() {
    Sha512Digest d;
    crypto_hash_sha512_final(&state_, d.data());
    return d;
  }

 private:
  crypto_hash_sha512_state state_;
};

// HMAC-SHA512 with a key of any length (libsodium's streaming API; the one-shot API fixes the key
// at 32 bytes, REFERENCE.md §C).
Sha512Digest HmacSha512(ByteSpan key, std::initializer_list<ByteSpan> message);

// HKDF-SHA512 (RFC 5869). Extract returns the 64-byte PRK; Expand returns `length` bytes
// (length <= 255 * 64; larger is a caller bug).
SecretBytes HkdfSha512Extract(ByteSpan salt, ByteSpan ikm);
SecretBytes HkdfSha512Expand(ByteSpan prk, ByteSpan info, size_t length);
// Expand into a caller buffer (hot paths avoid an allocation).
void HkdfSha512Expand(ByteSpan prk, ByteSpan info, std::span<uint8_t> out);

}  // namespace keyward::crypto
