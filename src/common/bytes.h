// Byte-string vocabulary and text encodings (hex, standard and URL-safe base64) over libsodium.
// Public (non-secret) data only: secrets live in crypto/secret.h containers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace keyward {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
Bytes Concat(std::initializer_list<ByteSpan> parts);

std::string HexEncode(ByteSpan data);
// Accepts lower or upper case; rejects odd length and non-hex characters.
StatusOr<Bytes> HexDecode(std::string_view hex);

enum class Base64Variant { kStandard, kUrlSafeNoPadding };
std::string Base64Encode(ByteSpan data, Base64Variant variant = Base64Variant::kStandard);
// Strict: canonical encodings only (padding as the variant requires, no whitespace).
StatusOr<Bytes> Base64Decode(std::string_view text, Base64Variant variant = Base64Variant::kStandard);

// Standard base64 (RFC 4648 §4, padded) for PUBLIC data only (signatures, hashes, signed envelopes,
// proofs): the same strict, canonical-only acceptance as Base64Decode(text, kStandard) — alphabet
// only, no whitespace, padding only at the end, unused bits zero — but decoded by OpenSSL's
// EVP_DecodeBlock, which is not constant-time and ~15x faster than libsodium's constant-time
// decoder. Never use it for secrets (keys, seeds, passwords): their timing would leak.
StatusOr<Bytes> Base64DecodePublic(std::string_view text);
// Standard padded base64 by OpenSSL's EVP_EncodeBlock (same output as Base64Encode(data)), for
// public data.
std::string Base64EncodePublic(ByteSpan data);

}  // namespace keyward
