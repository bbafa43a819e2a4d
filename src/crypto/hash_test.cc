#include "crypto/hash.h"

#include <gtest/gtest.h>

#include "common/bytes.h"
#include "crypto/aead.h"
#include "crypto/random.h"

namespace keyward::crypto {
namespace {

TEST(Hash, Sha256Abc) {
  EXPECT_EQ(HexEncode(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hash, HmacSha512Rfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha512(AsBytes("Jefe"), {AsBytes("what do ya want "), AsBytes("for nothing?")})),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdca"
            "eab1a34d4a6b4b636e070a38bce737");
}

// RFC 5869 has no SHA-512 cases; this pins OpenSSL's HKDF against a derivation computed with
// HMAC-SHA512 by hand (RFC 5869 §2.2-2.3), so a misconfigured EVP_KDF call cannot pass.
TEST(Hash, HkdfSha512MatchesHmacDefinition) {
  const auto salt = AsBytes("salt");
  const auto ikm = AsBytes("input key material");
  const auto info = AsBytes("info");
  auto prk = HkdfSha512Extract(salt, ikm);
  auto expected_prk = HmacSha512(salt, {ikm});
  EXPECT_EQ(HexEncode(prk.Reveal()), HexEncode(expected_prk));
  auto okm = HkdfSha512Expand(prk.Reveal(), info, 100);
  const uint8_t one = 1, two = 2;
  auto t1 = HmacSha512(prk.Reveal(), {info, {&one, 1}});
  auto t2 = HmacSha512(prk.Reveal(), {t1, info, {&two, 1}});
  Bytes expected = Concat({t1, t2});
  expected.resize(100);
  EXPECT_EQ(HexEncode(okm.Reveal()), HexEncode(expected));
}

TEST(Hash, HkdfEmptySaltIsZeroKey) {
  const auto ikm = AsBytes("ikm");
  std::array<uint8_t, 64> zeros{};
  EXPECT_EQ(HexEncode(HkdfSha512Extract({}, ikm).Reveal()), HexEncode(HmacSha512(zeros, {ikm})));
}

// The per-thread HKDF contexts are reused without a reset (hash.cc): a call must not see the key,
// salt or info of the call before it.
TEST(Hash, HkdfReusedContextsCarryNothingOver) {
  const auto ikm = AsBytes("ikm");
  std::array<uint8_t, 64> zeros{};
  (void)HkdfSha512Extract(AsBytes("a long salt that must not stick"), AsBytes("other ikm"));
  EXPECT_EQ(HexEncode(HkdfSha512Extract({}, ikm).Reveal()), HexEncode(HmacSha512(zeros, {ikm})));
  const auto prk = HmacSha512(AsBytes("k"), {ikm});
  (void)HkdfSha512Expand(AsBytes("another prk"), AsBytes("an info that must not stick"), 64);
  const uint8_t one = 1;
  EXPECT_EQ(HexEncode(HkdfSha512Expand(prk, {}, 64).Reveal()), HexEncode(HmacSha512(prk, {{&one, 1}})));
  EXPECT_EQ(HexEncode(HkdfSha512Expand(prk, AsBytes("i"), 64).Reveal()),
            HexEncode(HmacSha512(prk, {AsBytes("i"), {&one, 1}})));
}

TEST(Aead, SealOpenAndUniformFailure) {
  DeterministicRng rng(7);
  auto key = rng.Array<32>();
  auto nonce = rng.Array<24>();
  auto ct = AeadSeal(key, nonce, AsBytes("ad"), AsBytes("secret"));
  auto pt = AeadOpen(key, nonce, AsBytes("ad"), ct);
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(AsChars(pt->Reveal()), "secret");
  ct[0] ^= 1;
  auto bad = AeadOpen(key, nonce, AsBytes("ad"), ct);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kAuthenticationFailed);
  ct[0] ^= 1;
  auto wrong_ad = AeadOpen(key, nonce, AsBytes("AD"), ct);
  EXPECT_EQ(wrong_ad.status().message(), bad.status().message());
}

TEST(Secret, ConstantTimeEqualsHandlesLengths) {
  const uint8_t a[] = {1, 2, 3};
  const uint8_t b[] = {1, 2, 3, 4};
  EXPECT_TRUE(SecretBytes::ConstantTimeEquals(a, a));
  EXPECT_FALSE(SecretBytes::ConstantTimeEquals(a, b));
  EXPECT_TRUE(SecretBytes::ConstantTimeEquals({}, {}));
}

TEST(Rng, DeterministicIsReproducible) {
  DeterministicRng a(42), b(42), c(43);
  EXPECT_EQ(a.Array<16>(), b.Array<16>());
  EXPECT_NE(a.Array<16>(), c.Array<16>());
}

}  // namespace
}  // namespace keyward::crypto
