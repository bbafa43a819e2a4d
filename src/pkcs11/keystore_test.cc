// Unit tests that need no token: key names, PIN sources, the blob and EC point parsers, and the
// InMemoryKeystore (which must behave like Pkcs11Keystore, see pkcs11_keystore_test.cc).
#include "pkcs11/keystore.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "pkcs11/blob.h"
#include "pkcs11/config.h"
#include "support/vectors.h"

namespace keyward::pkcs11 {
namespace {

crypto::SecretBytes Secret(std::string_view s) { return crypto::SecretBytes(AsBytes(s)); }

TEST(KeyNameTest, AcceptsSafeNamesOnly) {
  EXPECT_TRUE(ValidateKeyName("fleet.oprf-seed_v1").ok());
  EXPECT_TRUE(ValidateKeyName(std::string(64, 'a')).ok());
  EXPECT_EQ(ValidateKeyName("").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ValidateKeyName(std::string(65, 'a')).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ValidateKeyName("a b").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ValidateKeyName("a/b").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ValidateKeyName(std::string("a\0b", 3)).code(), ErrorCode::kInvalidArgument);
}

TEST(PinSourceTest, ParsesEnvAndFileOnly) {
  auto env = PinSource::Parse("env:KW_PIN");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->kind, PinSource::Kind::kEnv);
  EXPECT_EQ(env->name, "KW_PIN");
  auto file = PinSource::Parse("file:/run/pin");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->kind, PinSource::Kind::kFile);
  EXPECT_EQ(file->ToString(), "file:/run/pin");
  for (std::string_view bad : {"1234", "env:", "file:", "pin:1234", ""}) {
    auto parsed = PinSource::Parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    // The error must not echo the value (it may be a PIN typed in the wrong place).
    EXPECT_EQ(parsed.status().message().find("1234"), std::string::npos);
  }
}

TEST(PinSourceTest, ReadsEnvAndFileAndRejectsMissing) {
  ASSERT_EQ(setenv("KW_TEST_PIN", "env-pin-1", 1), 0);
  auto from_env = ReadPin(PinSource::Env("KW_TEST_PIN"));
  ASSERT_TRUE(from_env.ok());
  EXPECT_TRUE(from_env->Equals(Secret("env-pin-1")));
  ASSERT_EQ(unsetenv("KW_TEST_PIN"), 0);
  EXPECT_EQ(ReadPin(PinSource::Env("KW_TEST_PIN")).status().code(), ErrorCode::kNotFound);

  testing::TempDir dir;
  const std::string path = (dir.path() / "pin").string();
  std::ofstream(path) << "file-pin-2\r\n";
  auto from_file = ReadPin(PinSource::File(path));
  ASSERT_TRUE(from_file.ok());
  EXPECT_TRUE(from_file->Equals(Secret("file-pin-2")));
  std::ofstream(path, std::ios::trunc) << "\n";
  EXPECT_EQ(ReadPin(PinSource::File(path)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ReadPin(PinSource::File(path + ".missing")).status().code(), ErrorCode::kNotFound);
}

TEST(WrappedBlobTest, RoundTripsAndRejectsMalformed) {
  std::array<uint8_t, kGcmIvBytes> iv;
  iv.fill(7);
  const Bytes body(33, 0xab);
  const Bytes blob = SerializeWrappedBlob(iv, body);
  ASSERT_EQ(blob.size(), 1 + 12 + 33u);
  auto view = ParseWrappedBlob(blob);
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE(std::equal(view->iv.begin(), view->iv.end(), iv.begin()));
  EXPECT_EQ(Bytes(view->ciphertext_and_tag.begin(), view->ciphertext_and_tag.end()), body);

  Bytes wrong_version = blob;
  wrong_version[0] = 2;
  EXPECT_FALSE(ParseWrappedBlob(wrong_version).ok());
  EXPECT_FALSE(ParseWrappedBlob({}).ok());
  EXPECT_FALSE(ParseWrappedBlob(ByteSpan(blob).first(1 + 12 + 16)).ok());  // tag but no secret
  EXPECT_TRUE(ParseWrappedBlob(ByteSpan(blob).first(1 + 12 + 17)).ok());
  const Bytes huge = SerializeWrappedBlob(iv, Bytes(kMaxSecretBytes + kGcmTagBytes + 1, 0));
  EXPECT_FALSE(ParseWrappedBlob(huge).ok());
}

TEST(WrappedBlobTest, AadBindsTheName) {
  EXPECT_NE(WrappedBlobAad("a"), WrappedBlobAad("b"));
  EXPECT_EQ(AsChars(WrappedBlobAad("seed")), std::string_view("keyward-keystore-v1\0seed", 24));
}

TEST(EcPointTest, AcceptsDerOctetStringAndRaw) {
  Bytes raw(32);
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<uint8_t>(i);
  Bytes der = Concat({std::vector<uint8_t>{0x04, 0x20}, raw});
  auto from_der = ParseEd25519EcPoint(der);
  auto from_raw = ParseEd25519EcPoint(raw);
  ASSERT_TRUE(from_der.ok());
  ASSERT_TRUE(from_raw.ok());
  EXPECT_TRUE(std::equal(raw.begin(), raw.end(), from_der->begin()));
  EXPECT_EQ(*from_der, *from_raw);

  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_FALSE(ParseEd25519EcPoint(trailing).ok());
  Bytes long_form = Concat({std::vector<uint8_t>{0x04, 0x81, 0x20}, raw});
  EXPECT_FALSE(ParseEd25519EcPoint(long_form).ok());
  Bytes wrong_tag = der;
  wrong_tag[0] = 0x03;
  EXPECT_FALSE(ParseEd25519EcPoint(wrong_tag).ok());
  EXPECT_FALSE(ParseEd25519EcPoint(ByteSpan(der).first(33)).ok());
  EXPECT_FALSE(ParseEd25519EcPoint({}).ok());
}

RC_GTEST_PROP(EcPointTest, NeverAcceptsOtherLengths, (const std::vector<uint8_t>& bytes)) {
  auto parsed = ParseEd25519EcPoint(bytes);
  RC_ASSERT(parsed.ok() == (bytes.size() == 32 || (bytes.size() == 34 && bytes[0] == 0x04 && bytes[1] == 0x20)));
}

RC_GTEST_PROP(WrappedBlobTest, ParseSerializeRoundTrip, (const std::vector<uint8_t>& bytes)) {
  auto view = ParseWrappedBlob(bytes);
  if (!view.ok()) return;
  std::array<uint8_t, kGcmIvBytes> iv;
  std::copy(view->iv.begin(), view->iv.end(), iv.begin());
  RC_ASSERT(SerializeWrappedBlob(iv, view->ciphertext_and_tag) == bytes);
}

TEST(InMemoryKeystoreTest, SecretsRoundTripAndAreNeverOverwritten) {
  InMemoryKeystore ks;
  EXPECT_EQ(ks.kind(), "memory");
  EXPECT_FALSE(*ks.HasSecret("seed"));
  EXPECT_EQ(ks.GetSecret("seed").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(ks.PutSecret("seed", Secret("s1")).ok());
  EXPECT_TRUE(*ks.HasSecret("seed"));
  EXPECT_EQ(ks.PutSecret("seed", Secret("s2")).code(), ErrorCode::kAlreadyExists);
  auto got = ks.GetSecret("seed");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->Equals(Secret("s1")));
  EXPECT_EQ(ks.PutSecret("empty", crypto::SecretBytes()).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ks.PutSecret("bad name", Secret("x")).code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(ks.DeleteSecret("seed").ok());
  EXPECT_EQ(ks.DeleteSecret("seed").code(), ErrorCode::kNotFound);
}

TEST(InMemoryKeystoreTest, Ed25519KeysSignAndAreStable) {
  InMemoryKeystore ks(std::make_unique<crypto::DeterministicRng>(42));
  EXPECT_EQ(ks.GetEd25519Key("id").status().code(), ErrorCode::kNotFound);
  auto created = ks.CreateEd25519Key("id");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(ks.CreateEd25519Key("id").status().code(), ErrorCode::kAlreadyExists);
  auto again = ks.GetEd25519Key("id");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*created)->public_key(), (*again)->public_key());
  const Bytes msg = ToBytes("hello");
  auto sig = (*again)->Sign(msg);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(crypto::Ed25519Verify((*created)->public_key(), msg, *sig));
  // The signer outlives the keystore.
  auto signer = std::move(*again);
  { InMemoryKeystore other; }
  EXPECT_TRUE(signer->Sign(msg).ok());
}

TEST(InMemoryKeystoreTest, GetOrCreateHelpersAreIdempotent) {
  InMemoryKeystore ks;
  crypto::DeterministicRng rng(1);
  auto first = GetOrCreateSecret(ks, "oprf-seed", 32, rng);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 32u);
  auto second = GetOrCreateSecret(ks, "oprf-seed", 32, rng);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(first->Equals(*second));
  auto k1 = GetOrCreateEd25519Key(ks, "identity");
  auto k2 = GetOrCreateEd25519Key(ks, "identity");
  ASSERT_TRUE(k1.ok() && k2.ok());
  EXPECT_EQ((*k1)->public_key(), (*k2)->public_key());
}

TEST(InMemoryKeystoreTest, ConcurrentGetOrCreateAgrees) {
  InMemoryKeystore ks;
  constexpr int kThreads = 8;
  std::vector<crypto::SecretBytes> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      crypto::SystemRng rng;
      auto s = GetOrCreateSecret(ks, "shared", 32, rng);
      if (s.ok()) results[i] = std::move(*s);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 1; i < kThreads; ++i) EXPECT_TRUE(results[0].Equals(results[i]));
  EXPECT_EQ(results[0].size(), 32u);
}

}  // namespace
}  // namespace keyward::pkcs11
