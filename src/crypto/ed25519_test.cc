// Ed25519 strict verification against Wycheproof (current and legacy files) and ed25519-speccheck.
// Provenance: testdata/vectors/SOURCES.md. See docs/crypto.md "Ed25519 strictness".
#include "crypto/ed25519.h"

#include <gtest/gtest.h>

#include "support/vectors.h"

namespace keyward::crypto {
namespace {

using testing::Hex;
using testing::LoadJson;

struct WycheproofCounts {
  int valid = 0;
  int invalid = 0;
};

// Runs every test of a Wycheproof EddsaVerify file; each group names its key under `key_field`.
WycheproofCounts RunWycheproof(const std::string& file, const std::string& key_field) {
  auto doc = LoadJson("vectors/" + file);
  WycheproofCounts counts;
  int total = 0;
  for (const auto& group : doc.at("testGroups")) {
    EXPECT_EQ(group.at("type"), "EddsaVerify");
    const Bytes pk = Hex(group.at(key_field).at("pk").get<std::string>());
    for (const auto& t : group.at("tests")) {
      ++total;
      const Bytes msg = Hex(t.at("msg").get<std::string>());
      const Bytes sig = Hex(t.at("sig").get<std::string>());
      const std::string result = t.at("result");
      const bool ok = Ed25519VerifyBytes(pk, msg, sig);
      // Wycheproof's "valid"/"invalid" match a strict verifier exactly; there are no
      // "acceptable" cases in these files (asserted below).
      EXPECT_TRUE(result == "valid" || result == "invalid") << file << " tcId " << t.at("tcId");
      EXPECT_EQ(ok, result == "valid") << file << " tcId " << t.at("tcId") << " " << t.at("comment");
      (result == "valid" ? counts.valid : counts.invalid)++;
    }
  }
  EXPECT_EQ(total, doc.at("numberOfTests").get<int>()) << file;
  return counts;
}

TEST(Ed25519Wycheproof, CurrentFileAllCases) {
  auto c = RunWycheproof("wycheproof-ed25519_test.json", "publicKey");
  EXPECT_EQ(c.valid, 88);
  EXPECT_EQ(c.invalid, 63);
}

TEST(Ed25519Wycheproof, LegacyFileAllCases) {
  auto c = RunWycheproof("wycheproof-legacy-eddsa_test.json", "key");
  EXPECT_EQ(c.valid, 84);
  EXPECT_EQ(c.invalid, 61);
}

// ed25519-speccheck (Chalkias, Garillot, Nikolaenko: "Taming the many EdDSAs"). Each case probes
// one ambiguity of RFC 8032 / FIPS 186-5. Our policy and the reason for each verdict:
//   0  S = 0, small-order A and R                      reject: small-order A (weak key)
//   1  0<S<L, small-order A, mixed-order R             reject: small-order A
//   2  0<S<L, mixed-order A, small-order R             reject: small-order R (a weak signer RNG)
//   3  0<S<L, mixed-order A and R, both equations hold ACCEPT: canonical, not small order, valid
//   4  mixed orders, only the cofactored equation holds reject: we check [S]B = R + [k]A exactly
//   5  mixed orders, only the cofactored equation holds reject: same
//   6  S > L                                           reject: S must be < L (malleability)
//   7  S >> L                                          reject: S must be < L
//   8  non-canonical R                                 reject: R must be canonical
//   9  non-canonical R                                 reject: R must be canonical
//   10 small-order A in a non-canonical encoding       reject: A small order / non-canonical
//   11 same key, other message                         reject: same
// Pinned because libsodium releases after 1.0.18 switched to the cofactored equation (they accept
// 4 and 5): an upgrade that changes a verdict fails this test instead of silently changing which
// bundle and checkpoint signatures Keyward accepts.
TEST(Ed25519Speccheck, StrictPolicyVerdicts) {
  auto cases = LoadJson("vectors/ed25519-speccheck-cases.json");
  ASSERT_EQ(cases.size(), 12u);
  const std::vector<bool> expected = {false, false, false, true,  false, false,
                                      false, false, false, false, false, false};
  for (size_t i = 0; i < cases.size(); ++i) {
    testing::VectorCase c(cases[i], "speccheck case " + std::to_string(i));
    const Bytes msg = c.HexField("message");
    const Bytes pk = c.HexField("pub_key");
    const Bytes sig = c.HexField("signature");
    c.ExpectAllFieldsUsed();
    EXPECT_EQ(Ed25519VerifyBytes(pk, msg, sig), expected[i]) << "speccheck case " << i;
  }
}

TEST(Ed25519, SignVerifyRoundTripAndRejectsWrongLengths) {
  DeterministicRng rng(1);
  auto key = Ed25519PrivateKey::Generate(rng);
  const Bytes msg = ToBytes("keyward");
  auto sig = key.Sign(msg);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(Ed25519Verify(key.public_key(), msg, *sig));
  Bytes bad_msg = msg;
  bad_msg[0] ^= 1;
  EXPECT_FALSE(Ed25519Verify(key.public_key(), bad_msg, *sig));
  EXPECT_FALSE(Ed25519VerifyBytes(Bytes(31, 1), msg, *sig));
  EXPECT_FALSE(Ed25519VerifyBytes(key.public_key(), msg, Bytes(63, 0)));
  EXPECT_FALSE(Ed25519PrivateKey::FromSeed(Bytes(31, 0)).ok());
}

// RFC 8032 §7.1 TEST 1: the seed determines the key and the signature.
TEST(Ed25519, Rfc8032Test1) {
  auto key = Ed25519PrivateKey::FromSeed(Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(HexEncode(key->public_key()), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  auto sig = key->Sign({});
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(HexEncode(*sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
}

}  // namespace
}  // namespace keyward::crypto
