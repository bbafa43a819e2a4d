#include "crypto/xmd.h"

#include <sodium.h>

#include <algorithm>
#include <string>

#include "crypto/hash.h"

namespace keyward::crypto {

// RFC 9380 §5.3.1, with b_in_bytes = 64 and s_in_bytes = 128 (SHA-512):
//   ell = ceil(len / 64); DST_prime = DST || I2OSP(len(DST), 1)
//   msg_prime = Z_pad(128 zero bytes) || msg || I2OSP(len, 2) || I2OSP(0, 1) || DST_prime
//   b_0 = H(msg_prime); b_1 = H(b_0 || I2OSP(1, 1) || DST_prime)
//   b_i = H(strxor(b_0, b_(i-1)) || I2OSP(i, 1) || DST_prime)
//   uniform_bytes = b_1 || ... || b_ell, truncated to len.
Status ExpandMessageXmdSha512(std::initializer_list<std::span<const uint8_t>> msg_parts,
                              std::span<const uint8_t> dst, std::span<uint8_t> out) {
  const size_t len = out.size();
  if (len == 0 || len > kXmdSha512MaxOutput) {
    return InvalidArgument("expand_message_xmd: output length must be 1.." +
                           std::to_string(kXmdSha512MaxOutput) + " bytes, got " +
                           std::to_string(len));
  }
  if (dst.size() > kXmdMaxDstSize) {
    return InvalidArgument("expand_message_xmd: DST must be at most 255 bytes (RFC 9380 §5.3.3), got " +
                           std::to_string(dst.size()));
  }
  const size_t ell = (len + 63) / 64;
  static constexpr uint8_t kZPad[128] = {};
  const uint8_t dst_len = static_cast<uint8_t>(dst.size());
  const uint8_t len_and_zero[3] = {static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len), 0};

  Sha512Hasher h0;
  h0.Update(kZPad);
  for (auto part : msg_parts) h0.Update(part);
  h0.Update(len_and_zero).Update(dst).Update({&dst_len, 1});
  const Sha512Digest b0 = h0.Final();

  Sha512Digest bi{};
  for (size_t i = 1; i <= ell; ++i) {
    Sha512Digest chain;
    for (size_t j = 0; j < 64; ++j) chain[j] = i == 1 ? b0[j] : static_cast<uint8_t>(b0[j] ^ bi[j]);
    const uint8_t counter = static_cast<uint8_t>(i);
    Sha512Hasher hi;
    // b_1 hashes b_0 itself; later blocks hash strxor(b_0, b_(i-1)).
    hi.Update(chain).Update({&counter, 1}).Update(dst).Update({&dst_len, 1});
    bi = hi.Final();
    const size_t offset = (i - 1) * 64;
    const size_t n = std::min<size_t>(64, len - offset);
    std::copy_n(bi.begin(), n, out.begin() + static_cast<ptrdiff_t>(offset));
  }
  sodium_memzero(bi.data(), bi.size());
  return Status::Ok();
}

}  // namespace keyward::crypto
