#include "common/bytes.h"

#include <openssl/evp.h>
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

namespace {

// Which bytes are in the standard alphabet, and each one's 6-bit value (-1: not in it).
struct Base64Alphabet {
  int8_t value[256];
  constexpr Base64Alphabet() : value() {
    for (int c = 0; c < 256; ++c) value[c] = -1;
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) value[static_cast<unsigned char>(a[i])] = static_cast<int8_t>(i);
  }
};

}  // namespace

std::string Base64EncodePublic(ByteSpan data) {
  std::string out((data.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// base64 = *(4 alphabet) [2 alphabet "==" / 3 alphabet "="]   (RFC 4648 §4), canonical: the last
// alphabet character before padding has its unused low bits zero (§3.5).
StatusOr<Bytes> Base64DecodePublic(std::string_view text) {
  static constexpr Base64Alphabet kAlphabet;
  if (text.size() % 4 != 0 || text.size() > (size_t{1} << 30)) {
    return InvalidArgument("not canonical standard base64 (length is not a multiple of 4)");
  }
  if (text.empty()) return Bytes();
  const size_t pad = text.back() != '=' ? 0 : text[text.size() - 2] == '=' ? 2 : 1;
  const size_t data_chars = text.size() - pad;
  for (size_t i = 0; i < data_chars; ++i) {
    if (kAlphabet.value[static_cast<unsigned char>(text[i])] < 0) {
      return InvalidArgument("not canonical standard base64 (a character outside the alphabet)");
    }
  }
  // Unused bits of the last character must be zero: 4 with "==", 2 with "=".
  const int last = kAlphabet.value[static_cast<unsigned char>(text[data_chars - 1])];
  if ((pad == 2 && (last & 0x0f) != 0) || (pad == 1 && (last & 0x03) != 0)) {
    return InvalidArgument("not canonical standard base64 (non-zero unused bits)");
  }
  Bytes out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return InvalidArgument("not canonical standard base64");
  out.resize(out.size() - pad);
  return out;
}

}  // namespace keyward
