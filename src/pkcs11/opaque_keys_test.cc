// OPAQUE server keys kept in a keystore: in memory and in a real SoftHSM2 token.
#include "pkcs11/opaque_keys.h"

#include <gtest/gtest.h>

#include "pkcs11/dev_token.h"
#include "pkcs11/pkcs11_keystore.h"
#include "support/vectors.h"

namespace keyward::pkcs11 {
namespace {

using crypto::opaque::InMemoryServerKeys;
using crypto::opaque::ServerKeys;

// The OPRF output for a fixed input: equal outputs mean equal oprf_seed (the blinded element is the
// server's own public key, a valid non-identity element).
std::array<uint8_t, 32> Evaluate(const ServerKeys& keys, const ServerKeys& reference) {
  std::array<uint8_t, 32> out{};
  Status s = keys.EvaluateOprf(AsBytes("alice"), reference.public_key(), out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(OpaqueKeysTest, LoadOrCreateIsStable) {
  InMemoryKeystore ks;
  crypto::DeterministicRng rng(7);
  EXPECT_EQ(LoadOpaqueServerKeys(ks).status().code(), ErrorCode::kNotFound);
  auto first = LoadOrCreateOpaqueServerKeys(ks, rng);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = LoadOrCreateOpaqueServerKeys(ks, rng);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*first)->public_key(), (*second)->public_key());
  EXPECT_EQ((*first)->fake_client_public_key(), (*second)->fake_client_public_key());
  EXPECT_EQ(Evaluate(**first, **first), Evaluate(**second, **first));
  EXPECT_EQ(ks.GetSecret(kOpaqueServerSetupName)->size(), crypto::opaque::kServerSetupSize);
}

TEST(OpaqueKeysTest, ImportValidatesAndRoundTrips) {
  InMemoryKeystore ks;
  crypto::DeterministicRng rng(8);
  auto original = InMemoryServerKeys::Generate(rng);
  EXPECT_EQ(ImportOpaqueServerSetup(ks, crypto::SecretBytes(127)).code(), ErrorCode::kInvalidArgument);
  crypto::SecretBytes zero_key = original->ExportServerSetup();
  std::fill(zero_key.RevealMutable().begin() + 64, zero_key.RevealMutable().begin() + 96, 0);
  EXPECT_FALSE(ImportOpaqueServerSetup(ks, zero_key).ok());  // server_sk = 0 is not a key
  ASSERT_TRUE(ImportOpaqueServerSetup(ks, original->ExportServerSetup()).ok());
  EXPECT_EQ(ImportOpaqueServerSetup(ks, original->ExportServerSetup()).code(), ErrorCode::kAlreadyExists);
  auto loaded = LoadOpaqueServerKeys(ks);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->public_key(), original->public_key());
  EXPECT_EQ(Evaluate(**loaded, *original), Evaluate(*original, *original));
}

TEST(OpaqueKeysTest, NotASetupIsAClearError) {
  InMemoryKeystore ks;
  ASSERT_TRUE(ks.PutSecret(kOpaqueServerSetupName, crypto::SecretBytes(AsBytes("short"))).ok());
  auto loaded = LoadOpaqueServerKeys(ks);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("not an OPAQUE server setup"), std::string::npos);
}

TEST(OpaqueKeysTest, SurvivesInSoftHsmToken) {
  testing::TempDir dir;
  auto config = CreateOrOpenDevToken(dir.path(), "kw-opaque");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  crypto::SystemRng rng;
  crypto::ristretto::ElementBytes pk;
  std::array<uint8_t, 32> oprf_out;
  {
    auto ks = Pkcs11Keystore::Open(*config);
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    auto keys = LoadOrCreateOpaqueServerKeys(**ks, rng);
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    pk = (*keys)->public_key();
    oprf_out = Evaluate(**keys, **keys);
  }
  auto ks = Pkcs11Keystore::Open(*config);  // module reloaded: the setup comes back from the token
  ASSERT_TRUE(ks.ok());
  auto keys = LoadOpaqueServerKeys(**ks);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ((*keys)->public_key(), pk);
  EXPECT_EQ(Evaluate(**keys, **keys), oprf_out);
}

}  // namespace
}  // namespace keyward::pkcs11
