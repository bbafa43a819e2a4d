// Fuzzes ristretto255 element and scalar deserialization and the OPRF over arbitrary input:
// accepted elements are canonical and non-identity (re-encode to themselves, top bit clear);
// accepted scalars are < L; Blind/Evaluate/Finalize agree with a second blind.
#include <sodium.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "common/check.h"
#include "crypto/oprf.h"

using namespace keyward;
using namespace keyward::crypto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = sodium_init() >= 0;
  KW_CHECK(init);
  const std::span<const uint8_t> input(data, size);

  auto element = ristretto::Element::Deserialize(input);
  if (element.ok()) {
    KW_CHECK(size == 32);
    KW_CHECK(std::equal(element->bytes().begin(), element->bytes().end(), data));
    KW_CHECK((data[31] & 0x80) == 0 && sodium_is_zero(data, 32) == 0);
    KW_CHECK(crypto_core_ristretto255_is_valid_point(data) == 1);
  } else if (size == 32) {
    KW_CHECK(!ristretto::PassesEncodingPrechecks(input.first<32>()) ||
             crypto_core_ristretto255_is_valid_point(data) != 1);
  }

  auto scalar = ristretto::Scalar::Deserialize(input);
  if (scalar.ok()) {
    KW_CHECK(size == 32);
    uint8_t wide[64] = {};
    std::copy(input.begin(), input.end(), wide);
    uint8_t reduced[32];
    crypto_core_ristretto255_scalar_reduce(reduced, wide);
    KW_CHECK(std::equal(reduced, reduced + 32, data));
  }

  if (size <= 256) {
    DeterministicRng rng(size);
    auto kp = oprf::DeriveKeyPair(std::array<uint8_t, 32>{}, input);
    KW_CHECK(kp.ok());
    auto b1 = oprf::Blind(input, rng);
    auto b2 = oprf::Blind(input, rng);
    KW_CHECK(b1.ok() && b2.ok());
    auto e1 = oprf::BlindEvaluate(kp->private_key, b1->blinded_element);
    auto e2 = oprf::BlindEvaluate(kp->private_key, b2->blinded_element);
    KW_CHECK(e1.ok() && e2.ok());
    auto o1 = oprf::Finalize(input, b1->blind, *e1);
    auto o2 = oprf::Finalize(input, b2->blind, *e2);
    KW_CHECK(o1.ok() && o2.ok() && o1->Equals(*o2));
  }
  return 0;
}
