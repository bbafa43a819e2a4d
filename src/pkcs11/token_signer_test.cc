// token_signer.h against a REAL SoftHSM2 token: a signing organisation's key without a keystore.
#include "pkcs11/token_signer.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "pkcs11/dev_token.h"
#include "support/vectors.h"

namespace keyward::pkcs11 {
namespace {

crypto::SecretBytes Secret(std::string_view s) { return crypto::SecretBytes(AsBytes(s)); }

class TokenSignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status s = EnsureSoftHsmDevToken(dir_.path(), "org-a", Secret("so-pin-1"), Secret("user-pin-1"));
    ASSERT_TRUE(s.ok()) << s.ToString();
    ::setenv("KW_TOKEN_SIGNER_TEST_PIN", "user-pin-1", 1);
    config_.token_label = "org-a";
    config_.pin = PinSource::Env("KW_TOKEN_SIGNER_TEST_PIN");
  }
  testing::TempDir dir_;
  Pkcs11Config config_;
};

TEST_F(TokenSignerTest, CreateThenOpenSignsWithTheSameKey) {
  auto created = CreateTokenEd25519Signer(config_, "bundle-signer");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto opened = OpenTokenEd25519Signer(config_, "bundle-signer");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ((*created)->public_key(), (*opened)->public_key());
  Bytes msg = ToBytes("DSSEv1 35 application/vnd.keyward.fleets+json 2 {}");
  auto sig = (*opened)->Sign(msg);
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_TRUE(crypto::Ed25519Verify((*created)->public_key(), msg, *sig));
}

TEST_F(TokenSignerTest, MissingKeyIsNotFoundAndDuplicateIsRefused) {
  auto missing = OpenTokenEd25519Signer(config_, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound) << missing.status().ToString();
  ASSERT_TRUE(CreateTokenEd25519Signer(config_, "k1").ok());
  auto again = CreateTokenEd25519Signer(config_, "k1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kAlreadyExists);
}

TEST_F(TokenSignerTest, WrongPinAndUnknownTokenFail) {
  ::setenv("KW_TOKEN_SIGNER_TEST_PIN", "wrong", 1);
  EXPECT_FALSE(CreateTokenEd25519Signer(config_, "k1").ok());
  ::setenv("KW_TOKEN_SIGNER_TEST_PIN", "user-pin-1", 1);
  config_.token_label = "org-z";
  auto r = OpenTokenEd25519Signer(config_, "k1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound) << r.status().ToString();
}

}  // namespace
}  // namespace keyward::pkcs11
