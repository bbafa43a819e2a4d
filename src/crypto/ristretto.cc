#include "crypto/ristretto.h"

#include <sodium.h>

#include <algorithm>

namespace keyward::crypto::ristretto {

namespace {

// True iff the 32 little-endian bytes are < L. There is no public libsodium API
// (sc25519_is_canonical is internal), so: zero-pad to 64 bytes, reduce, and compare. Reduction is
// the identity exactly on canonical inputs. Constant time in the value.
bool IsCanonicalScalar(std::span<const uint8_t, kScalarSize> s) {
  uint8_t wide[64] = {};
  std::copy(s.begin(), s.end(), wide);
  uint8_t reduced[kScalarSize];
  crypto_core_ristretto255_scalar_reduce(reduced, wide);
  const bool same = sodium_memcmp(reduced, s.data(), kScalarSize) == 0;
  sodium_memzero(wide, sizeof wide);
  sodium_memzero(reduced, sizeof reduced);
  return same;
}

}  // namespace

Scalar::~Scalar() { sodium_memzero(bytes_.data(), bytes_.size()); }

StatusOr<Scalar> Scalar::Deserialize(std::span<const uint8_t> bytes) {
  if (bytes.size() != kScalarSize) {
    return InvalidArgument("ristretto255 scalar must be 32 bytes, got " + std::to_string(bytes.size()));
  }
  Scalar s;
  std::copy(bytes.begin(), bytes.end(), s.bytes_.begin());
  if (!IsCanonicalScalar(s.bytes_)) {
    return InvalidArgument("ristretto255 scalar is not canonical (>= L); RFC 9497 §2.1 requires < L");
  }
  return s;
}

Scalar Scalar::Random(Rng& rng) {
  Scalar s;
  // Bounded: each draw is accepted with probability > 1/2; 1000 rejections in a row means the
  // RNG is broken (a FixedRng out of bytes aborts earlier).
  for (int attempt = 0; attempt < 1000; ++attempt) {
    rng.Fill(s.bytes_);
    s.bytes_[31] &= 0x1f;
    if (IsCanonicalScalar(s.bytes_) && !s.IsZero()) return s;
  }
  KW_CHECK(false && "RNG produced 1000 out-of-range scalars");
  return s;
}

Scalar Scalar::FromUniformBytes(std::span<const uint8_t, 64> wide) {
  Scalar s;
  uint8_t copy[64];
  std::copy(wide.begin(), wide.end(), copy);
  crypto_core_ristretto255_scalar_reduce(s.bytes_.data(), copy);
  sodium_memzero(copy, sizeof copy);
  return s;
}

bool Scalar::IsZero() const { return sodium_is_zero(bytes_.data(), bytes_.size()) == 1; }

Scalar Scalar::Invert() const {
  Scalar inv;
  KW_CHECK(crypto_core_ristretto255_scalar_invert(inv.bytes_.data(), bytes_.data()) == 0);
  return inv;
}

bool Scalar::Equals(const Scalar& other) const {
  return sodium_memcmp(bytes_.data(), other.bytes_.data(), kScalarSize) == 0;
}

bool PassesEncodingPrechecks(std::span<const uint8_t, kElementSize> bytes) {
  return (bytes[31] & 0x80) == 0 && sodium_is_zero(bytes.data(), kElementSize) == 0;
}

StatusOr<Element> Element::Deserialize(std::span<const uint8_t> bytes) {
  if (bytes.size() != kElementSize) {
    return InvalidArgument("ristretto255 element must be 32 bytes, got " + std::to_string(bytes.size()));
  }
  // libsodium's is_valid_point accepts the all-zero identity encoding (REFERENCE.md §C); RFC 9497
  // §2.1 requires rejecting it. The identity's only canonical encoding is all zeros.
  if (sodium_is_zero(bytes.data(), kElementSize) == 1) {
    return InvalidArgument("ristretto255 element is the identity; RFC 9497 §2.1 rejects it");
  }
  // libsodium 1.0.18 ignores bit 255 when decoding (checked: it accepts B's encoding with the top
  // bit set), but RFC 9496 §4.3.1 requires the 32-byte integer to be < p.
  if ((bytes[31] & 0x80) != 0 || crypto_core_ristretto255_is_valid_point(bytes.data()) != 1) {
    return InvalidArgument("ristretto255 element is not a canonical encoding (RFC 9496 §4.3.1)");
  }
  ElementBytes b;
  std::copy(bytes.begin(), bytes.end(), b.begin());
  return Element(b);
}

StatusOr<Element> Element::FromUniformBytes(std::span<const uint8_t, 64> wide) {
  ElementBytes b;
  crypto_core_ristretto255_from_hash(b.data(), wide.data());
  if (sodium_is_zero(b.data(), b.size()) == 1) {
    return InvalidArgument("hash-to-group produced the identity element");
  }
  return Element(b);
}

Element Element::MultiplyBase(const Scalar& scalar) {
  ElementBytes b;
  KW_CHECK(crypto_scalarmult_ristretto255_base(b.data(), scalar.Reveal().data()) == 0);
  return Element(b);
}

StatusOr<Element> Element::Multiply(const Scalar& scalar) const {
  ElementBytes b;
  if (crypto_scalarmult_ristretto255(b.data(), scalar.Reveal().data(), bytes_.data()) != 0) {
    return InvalidArgument("ristretto255 scalar multiplication produced the identity");
  }
  return Element(b);
}

}  // namespace keyward::crypto::ristretto
