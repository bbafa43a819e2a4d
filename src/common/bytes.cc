#include "common/bytes.h"

#include <sodium.h>

namespace keyward {

Bytes Concat(std::initializer_list<ByteSpan> parts) {
  size_t n = 0;
  for (auto p : parts) n += p.size();
  Bytes out;
  out.reserve(n);
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::string HexEncode(ByteSpan data) {
  if (data.empty()) return {};
  std::string out(data.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data.data(), data.size());
  out.pop_back();
  return out;
}

StatusOr<Bytes> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return InvalidArgument("hex string has odd length " + std::to_string(hex.size()));
  if (hex.empty()) return Bytes{};  // libsodium must not be handed a null output buffer
  Bytes out(hex.size() / 2);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
      len != out.size() || end != hex.data() + hex.size()) {
    return InvalidArgument("not a hex string");
  }
  return out;
}

static int SodiumVariant(Base64Variant v) {
  return v == Base64Variant::kStandard ? sodium_base64_VARIANT_ORIGINAL
                                       : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
}

std::string Base64Encode(ByteSpan data, Base64Variant variant) {
  const int v = SodiumVariant(variant);
  std::string out(sodium_base64_encoded_len(data.size(), v), '\0');
  sodium_bin2base64(out.data(), out.size(), data.data(), data.size(), v);
  out.pop_back();  // trailing NUL
  return out;
}

StatusOr<Bytes> Base64Decode(std::string_view text, Base64Variant variant) {
  if (text.empty()) return Bytes{};
  Bytes out(text.size() / 4 * 3 + 3);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                        SodiumVariant(variant)) != 0 ||
      end != text.data() + text.size()) {
    return InvalidArgument("not valid base64");
  }
  out.resize(len);
  // Canonical form only: re-encoding must give back the input (rejects non-zero trailing bits).
  if (Base64Encode(out, variant) != text) return InvalidArgument("non-canonical base64");
  return out;
}

}  // namespace keyward
