#include "crypto/oprf.h"

#include <sodium.h>

#include <string>

#include "crypto/hash.h"
#include "crypto/xmd.h"

namespace keyward::crypto::oprf {

namespace {

using namespace std::string_view_literals;

// Domain-separation tags (RFC 9497 §4.1 and §3.2.1), built once.
struct Dsts {
  std::string hash_to_group = std::string("HashToGroup-") + std::string(kContextString);
  std::string hash_to_scalar = std::string("HashToScalar-") + std::string(kContextString);
  // No hyphen after "DeriveKeyPair" (RFC 9497 §3.2.1).
  std::string derive_key_pair = std::string("DeriveKeyPair") + std::string(kContextString);
};
const Dsts& Tags() {
  static const Dsts tags;
  return tags;
}

std::span<const uint8_t> AsSpan(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

StatusOr<Element> HashToGroup(std::span<const uint8_t> input) {
  uint8_t uniform[64];
  RETURN_IF_ERROR(ExpandMessageXmdSha512({input}, AsSpan(Tags().hash_to_group), uniform));
  auto element = Element::FromUniformBytes(uniform);
  sodium_memzero(uniform, sizeof uniform);
  return element;
}

Scalar HashToScalar(std::initializer_list<std::span<const uint8_t>> input_parts,
                    std::span<const uint8_t> dst) {
  uint8_t uniform[64];
  // Only fails for bad lengths; every caller passes a fixed 64-byte output and a short DST.
  KW_CHECK(ExpandMessageXmdSha512(input_parts, dst, uniform).ok());
  Scalar s = Scalar::FromUniformBytes(uniform);
  sodium_memzero(uniform, sizeof uniform);
  return s;
}

Scalar HashToScalar(std::span<const uint8_t> input) {
  return HashToScalar({input}, AsSpan(Tags().hash_to_scalar));
}

// RFC 9497 §3.2.1:
//   deriveInput = seed || I2OSP(len(info), 2) || info
//   counter = 0..255: skS = HashToScalar(deriveInput || I2OSP(counter, 1),
//                                        DST = "DeriveKeyPair" || contextString); until skS != 0
//   pkS = ScalarMultBase(skS)
StatusOr<KeyPair> DeriveKeyPair(std::span<const uint8_t> seed, std::span<const uint8_t> info) {
  ASSIGN_OR_RETURN(Scalar sk, DerivePrivateKey(seed, info));
  Element pk = Element::MultiplyBase(sk);
  return KeyPair{sk, pk};
}

StatusOr<Scalar> DerivePrivateKey(std::span<const uint8_t> seed, std::span<const uint8_t> info) {
  if (seed.size() != 32) {
    return InvalidArgument("DeriveKeyPair: seed must be 32 bytes, got " + std::to_string(seed.size()));
  }
  if (info.size() > 0xffff) return InvalidArgument("DeriveKeyPair: info longer than 65535 bytes");
  const uint8_t info_len[2] = {static_cast<uint8_t>(info.size() >> 8),
                               static_cast<uint8_t>(info.size())};
  for (unsigned counter = 0; counter <= 255; ++counter) {
    const uint8_t c = static_cast<uint8_t>(counter);
    Scalar sk = HashToScalar({seed, info_len, info, {&c, 1}}, AsSpan(Tags().derive_key_pair));
    if (!sk.IsZero()) return sk;
  }
  return Internal("DeriveKeyPairError: 256 zero scalars (RFC 9497 §3.2.1)");
}

StatusOr<BlindResult> BlindWith(std::span<const uint8_t> input, const Scalar& blind) {
  if (input.size() > 0xffff) return InvalidArgument("OPRF input longer than 65535 bytes");
  ASSIGN_OR_RETURN(Element input_element, HashToGroup(input));
  ASSIGN_OR_RETURN(Element blinded, input_element.Multiply(blind));
  return BlindResult{blind, blinded};
}

StatusOr<BlindResult> Blind(std::span<const uint8_t> input, Rng& rng) {
  return BlindWith(input, Scalar::Random(rng));
}

StatusOr<Element> BlindEvaluate(const Scalar& private_key, const Element& blinded_element) {
  return blinded_element.Multiply(private_key);
}

StatusOr<SecretBytes> Finalize(std::span<const uint8_t> input, const Scalar& blind,
                               const Element& evaluated_element) {
  if (input.size() > 0xffff) return InvalidArgument("OPRF input longer than 65535 bytes");
  if (blind.IsZero()) return InvalidArgument("OPRF blind is zero");
  ASSIGN_OR_RETURN(Element n, evaluated_element.Multiply(blind.Invert()));
  const uint8_t input_len[2] = {static_cast<uint8_t>(input.size() >> 8),
                                static_cast<uint8_t>(input.size())};
  static constexpr uint8_t kElementLen[2] = {0, 32};
  static constexpr auto kFinalize = "Finalize"sv;
  Sha512Hasher h;
  h.Update(input_len).Update(input).Update(kElementLen).Update(n.bytes())
      .Update({reinterpret_cast<const uint8_t*>(kFinalize.data()), kFinalize.size()});
  Sha512Digest out = h.Final();
  SecretBytes result(out);
  sodium_memzero(out.data(), out.size());
  return result;
}

}  // namespace keyward::crypto::oprf
