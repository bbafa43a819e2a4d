#include "node/account_token.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "crypto/hash.h"
#include "support/vectors.h"

namespace keyward::node {
namespace {

TEST(AccountTokenTest, MintVerifyRoundTrip) {
  crypto::SystemRng rng;
  AppKey key = AppKey::Generate(rng);
  Bytes token = key.Mint(ToBytes("alice"), 1000);
  ASSERT_EQ(token.size(), kAccountTokenSize);
  EXPECT_TRUE(key.Verify(ToBytes("alice"), token, 999).ok());
}

TEST(AccountTokenTest, RejectsExpiredOtherUserTamperedAndOtherKey) {
  crypto::SystemRng rng;
  AppKey key = AppKey::Generate(rng);
  Bytes token = key.Mint(ToBytes("alice"), 1000);
  EXPECT_EQ(key.Verify(ToBytes("alice"), token, 1000).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(key.Verify(ToBytes("bob"), token, 10).code(), ErrorCode::kPermissionDenied);
  Bytes later = token;
  later[7] ^= 1;  // extend the expiry: the MAC must catch it
  EXPECT_EQ(key.Verify(ToBytes("alice"), later, 10).code(), ErrorCode::kPermissionDenied);
  Bytes bad_mac = token;
  bad_mac.back() ^= 0x80;
  EXPECT_EQ(key.Verify(ToBytes("alice"), bad_mac, 10).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(key.Verify(ToBytes("alice"), ByteSpan(token).first(71), 10).code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(key.Verify(Bytes(), token, 10).code(), ErrorCode::kPermissionDenied);
  AppKey other = AppKey::Generate(rng);
  EXPECT_EQ(other.Verify(ToBytes("alice"), token, 10).code(), ErrorCode::kPermissionDenied);
}

// An account-authority credential and a user credential are not interchangeable: the scope is
// under the MAC, so a user token cannot be relabelled as an authority token or vice versa.
TEST(AccountTokenTest, ScopesDoNotVerifyAsEachOther) {
  crypto::SystemRng rng;
  AppKey key = AppKey::Generate(rng);
  const Bytes user = key.Mint(ToBytes("alice"), 1000, CredentialScope::kUser);
  const Bytes authority = key.Mint(ToBytes("alice"), 1000, CredentialScope::kAccountAuthority);
  EXPECT_NE(user, authority);
  EXPECT_TRUE(key.Verify(ToBytes("alice"), user, 10, CredentialScope::kUser).ok());
  EXPECT_TRUE(key.Verify(ToBytes("alice"), authority, 10, CredentialScope::kAccountAuthority).ok());
  EXPECT_EQ(key.Verify(ToBytes("alice"), user, 10, CredentialScope::kAccountAuthority).code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(key.Verify(ToBytes("alice"), authority, 10, CredentialScope::kUser).code(),
            ErrorCode::kPermissionDenied);
}

// Fixed vector so independent clients (tests/node-interop) can check their token code.
TEST(AccountTokenTest, KnownAnswer) {
  Bytes raw(kAppKeySize);
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<uint8_t>(i);
  auto key = AppKey::FromBytes(raw);
  ASSERT_TRUE(key.ok());
  Bytes token = key->Mint(ToBytes("alice"), 0x0102030405060708ULL);
  EXPECT_EQ(HexEncode(ByteSpan(token).first(8)), "0102030405060708");
  // HMAC-SHA512(key, "keyward-account-v1" || 0x0005 || "alice" || expiry), computed independently:
  crypto::Sha512Digest mac = crypto::HmacSha512(
      raw, {AsBytes(std::string_view("keyward-account-v1\x00\x05" "alice", 25)), ByteSpan(token).first(8)});
  EXPECT_EQ(HexEncode(ByteSpan(token).subspan(8)), HexEncode(mac));
}

TEST(AccountTokenTest, SaveLoadIsPrivateAndStrict) {
  testing::TempDir dir;
  crypto::SystemRng rng;
  AppKey key = AppKey::Generate(rng);
  auto path = dir.path() / "app.key";
  ASSERT_TRUE(key.Save(path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(key.Save(path).ok());  // never overwrites
  auto loaded = AppKey::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  Bytes token = key.Mint(ToBytes("u"), 50);
  EXPECT_TRUE(loaded->Verify(ToBytes("u"), token, 1).ok());
  auto bad = dir.path() / "bad.key";
  std::ofstream(bad) << "abcd\n";
  EXPECT_EQ(AppKey::Load(bad).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(AppKey::Load(dir.path() / "missing").status().code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace keyward::node
