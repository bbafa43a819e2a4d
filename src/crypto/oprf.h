// RFC 9497 OPRF, mode 0x00 (base OPRF), suite ristretto255-SHA512.
//
// Client: Blind -> (server) BlindEvaluate -> Finalize. DeriveKeyPair turns a 32-byte seed and an
// info string into a key pair (RFC 9497 §3.2.1); OPAQUE uses it for the per-user OPRF key and for
// its Diffie-Hellman key pairs. Every function is pure given its inputs (randomness comes in through
// crypto::Rng) and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/status.h"
#include "crypto/random.h"
#include "crypto/ristretto.h"
#include "crypto/secret.h"

namespace keyward::crypto::oprf {

using ristretto::Element;
using ristretto::Scalar;

// contextString = "OPRFV1-" || I2OSP(mode=0, 1) || "-" || "ristretto255-SHA512" (RFC 9497 §3.1).
inline constexpr char kContextStringChars[] = "OPRFV1-\0-ristretto255-SHA512";
inline constexpr std::string_view kContextString{kContextStringChars, sizeof(kContextStringChars) - 1};
inline constexpr size_t kOutputSize = 64;  // Nh

struct KeyPair {
  Scalar private_key;
  Element public_key;
};

// HashToGroup(input) = hash_to_ristretto255(input, DST = "HashToGroup-" || contextString).
StatusOr<Element> HashToGroup(std::span<const uint8_t> input);
// HashToScalar(input, DST): expand_message_xmd to 64 bytes, reduced mod L. The default DST is
// "HashToScalar-" || contextString (RFC 9497 §4.1).
Scalar HashToScalar(std::initializer_list<std::span<const uint8_t>> input_parts,
                    std::span<const uint8_t> dst);
Scalar HashToScalar(std::span<const uint8_t> input);

// RFC 9497 §3.2.1 DeriveKeyPair(seed, info) with DST "DeriveKeyPair" || contextString.
// `seed` must be 32 bytes; info at most 65535 bytes. Fails with DeriveKeyPairError after 256 zero
// scalars (probability ~2^-2000).
StatusOr<KeyPair> DeriveKeyPair(std::span<const uint8_t> seed, std::span<const uint8_t> info);
// The private half of DeriveKeyPair without computing the public key (saves a base-point
// multiplication on the server's per-login OPRF key derivation).
StatusOr<Scalar> DerivePrivateKey(std::span<const uint8_t> seed, std::span<const uint8_t> info);

struct BlindResult {
  Scalar blind;
  Element blinded_element;
};
// RFC 9497 §3.3.1 Blind: draws the blind from `rng` (Scalar::Random). Fails if `input` maps to the
// identity (InvalidInputError).
StatusOr<BlindResult> Blind(std::span<const uint8_t> input, Rng& rng);
// Blind with a caller-chosen blind (RFC vectors, and OPAQUE clients that fixed it earlier).
StatusOr<BlindResult> BlindWith(std::span<const uint8_t> input, const Scalar& blind);
// RFC 9497 §3.3.1 BlindEvaluate: sk · blinded_element.
StatusOr<Element> BlindEvaluate(const Scalar& private_key, const Element& blinded_element);
// RFC 9497 §3.3.1 Finalize: SHA-512(I2OSP(len(input),2) || input || I2OSP(32,2) ||
// Serialize(blind^-1 · evaluated) || "Finalize"). The 64-byte output is secret.
StatusOr<SecretBytes> Finalize(std::span<const uint8_t> input, const Scalar& blind,
                               const Element& evaluated_element);

}  // namespace keyward::crypto::oprf
