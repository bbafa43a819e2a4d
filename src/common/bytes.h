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

}  // namespace keyward
