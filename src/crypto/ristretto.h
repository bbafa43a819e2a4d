// ristretto255 (RFC 9496) value types over libsodium: Element (a validated, non-identity group
// element in its canonical 32-byte encoding) and Scalar (a canonical integer mod L, wiped on
// destruction).
//
// Invariants: an Element always holds a canonical encoding of a non-identity element (RFC 9497
// §2.1 DeserializeElement rejects both non-canonical encodings and the identity); a Scalar always
// holds a value < L in little-endian form. Both types are small values that own their bytes.
// Scalars are usually secret (blinds, private keys): they are wiped on destruction and exposing
// their bytes goes through Reveal() so raw access is greppable.
//
// Thread-safety: values; no shared state.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/status.h"
#include "crypto/random.h"

namespace keyward::crypto::ristretto {

inline constexpr size_t kElementSize = 32;
inline constexpr size_t kScalarSize = 32;
using ElementBytes = std::array<uint8_t, kElementSize>;

class Scalar {
 public:
  Scalar(const Scalar&) = default;
  Scalar& operator=(const Scalar&) = default;
  ~Scalar();

  // RFC 9497 §2.1 DeserializeScalar: exactly 32 little-endian bytes, value < L. Zero is accepted
  // here (it is a valid scalar); callers that need a non-zero key check IsZero().
  static StatusOr<Scalar> Deserialize(std::span<const uint8_t> bytes);
  // Uniformly random non-zero scalar (RFC 9497 §2.1 RandomScalar) by rejection sampling 32-byte
  // draws with the top 3 bits cleared, as libsodium does. Each draw consumes 32 bytes from `rng`,
  // so a FixedRng holding an RFC vector's blind reproduces that blind exactly.
  static Scalar Random(Rng& rng);
  // 64 bytes read little-endian and reduced mod L (RFC 9380 / RFC 9497 HashToScalar).
  static Scalar FromUniformBytes(std::span<const uint8_t, 64> wide);

  bool IsZero() const;
  // Multiplicative inverse. REQUIRES: !IsZero().
  Scalar Invert() const;

  std::span<const uint8_t, kScalarSize> Reveal() const { return bytes_; }
  // Constant-time equality.
  bool Equals(const Scalar& other) const;

 private:
  Scalar() = default;
  std::array<uint8_t, kScalarSize> bytes_{};
};

class Element {
 public:
  // RFC 9497 §2.1 DeserializeElement: exactly 32 bytes, canonical encoding, not the identity.
  static StatusOr<Element> Deserialize(std::span<const uint8_t> bytes);
  // The ristretto255 one-way map of 64 uniform bytes (RFC 9496 §4.3.4, libsodium from_hash).
  // Returns an error only in the negligible case that the result is the identity.
  static StatusOr<Element> FromUniformBytes(std::span<const uint8_t, 64> wide);
  // scalar · B. REQUIRES: !scalar.IsZero().
  static Element MultiplyBase(const Scalar& scalar);

  // scalar · this. Fails (uniform error) if the result is the identity, i.e. if the scalar is 0.
  StatusOr<Element> Multiply(const Scalar& scalar) const;

  const ElementBytes& bytes() const { return bytes_; }
  bool operator==(const Element& other) const { return bytes_ == other.bytes_; }

 private:
  explicit Element(const ElementBytes& bytes) : bytes_(bytes) {}
  ElementBytes bytes_;
};

// The checks that crypto_scalarmult_ristretto255 / crypto_core_ristretto255_is_valid_point do NOT
// make in libsodium 1.0.18: the encoding must not be all zeros (the identity) and its top bit must
// be clear (libsodium ignores bit 255, so s and s + 2^255 both decode; RFC 9496 §4.3.1 requires
// s < p). Hot paths that pass wire bytes straight to libsodium's scalar multiplication (which
// decodes and rejects every other non-canonical encoding) call this first instead of decoding twice.
bool PassesEncodingPrechecks(std::span<const uint8_t, kElementSize> bytes);

// The public key for a private scalar: sk · B (RFC 9497 ScalarMultBase).
inline Element PublicKeyFor(const Scalar& sk) { return Element::MultiplyBase(sk); }

}  // namespace keyward::crypto::ristretto
