// Pkcs11Keystore against a REAL SoftHSM2 token (Debian softhsm2). Every test creates its own token
// directory (TempDir) and ctest runs every TEST in its own process (gtest_discover_tests), which
// matters because SoftHSM2 reads SOFTHSM2_CONF once per C_Initialize (dev_token.h). Running this
// binary directly also works: each test closes every keystore, so the module is finalized before
// the next test points SOFTHSM2_CONF elsewhere.
#include "pkcs11/pkcs11_keystore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "pkcs11/blob.h"
#include "pkcs11/dev_token.h"
#include "pkcs11/token.h"
#include "pkcs11/token_ed25519.h"
#include "support/subprocess.h"
#include "support/vectors.h"

namespace keyward::pkcs11 {
namespace {

constexpr std::string_view kLabel = "kw-test";
const std::string kModule(kSoftHsmModulePath);

crypto::SecretBytes Secret(std::string_view s) { return crypto::SecretBytes(AsBytes(s)); }

class SoftHsmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status s = EnsureSoftHsmDevToken(dir_.path(), kLabel, so_pin_, user_pin_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::unique_ptr<Pkcs11Keystore> OpenKeystore() {
    auto ks = Pkcs11Keystore::Open(kModule, kLabel, user_pin_);
    EXPECT_TRUE(ks.ok()) << ks.status().ToString();
    return ks.ok() ? std::move(*ks) : nullptr;
  }
  // A raw logged-in session for inspecting and tampering with token objects.
  std::shared_ptr<Token> OpenToken(std::string_view label = kLabel) {
    auto module = Module::Load(kModule);
    EXPECT_TRUE(module.ok()) << module.status().ToString();
    if (!module.ok()) return nullptr;
    auto token = Token::Open(*module, label, user_pin_);
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    return token.ok() ? *token : nullptr;
  }
  ck_object_handle_t FindOne(Token& token, ck_object_class_t cls, std::string_view label) {
    struct ck_attribute tmpl[] = {AttrOf(CKA_CLASS, cls), AttrText(CKA_LABEL, label)};
    auto found = token.FindObjects(tmpl, 1);
    EXPECT_TRUE(found.ok() && found->size() == 1) << label;
    return found.ok() && found->size() == 1 ? (*found)[0] : 0;
  }
  // Replaces the blob of secret `name` the way an attacker holding the PIN could: SoftHSM2 makes a
  // data object's CKA_VALUE read-only, so destroy the object and create a look-alike.
  Status ReplaceSecretBlob(Token& token, std::string_view name, const Bytes& value) {
    const ck_object_handle_t old = FindOne(token, CKO_DATA, name);
    ck_rv_t rv = token.f()->C_DestroyObject(token.session(), old);
    if (rv != CKR_OK) return RvError(rv, "C_DestroyObject");
    const ck_object_class_t data_class = CKO_DATA;
    const unsigned char yes = 1;
    struct ck_attribute tmpl[] = {AttrOf(CKA_CLASS, data_class), AttrOf(CKA_TOKEN, yes),
                                  AttrOf(CKA_PRIVATE, yes), AttrText(CKA_LABEL, name),
                                  AttrText(CKA_APPLICATION, "keyward-secret"),
                                  Attr(CKA_VALUE, value.data(), value.size())};
    ck_object_handle_t created = 0;
    rv = token.f()->C_CreateObject(token.session(), tmpl, std::size(tmpl), &created);
    return rv == CKR_OK ? Status::Ok() : RvError(rv, "C_CreateObject");
  }

  testing::TempDir dir_;
  crypto::SecretBytes so_pin_ = Secret("so-pin-0000");
  crypto::SecretBytes user_pin_ = Secret("user-pin-1111");
};

TEST_F(SoftHsmTest, DevTokenLayoutAndIdempotence) {
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "softhsm2.conf"));
  EXPECT_TRUE(std::filesystem::is_directory(dir_.path() / "tokens"));
  EXPECT_EQ(std::getenv("SOFTHSM2_CONF"), SoftHsmConfPath(std::filesystem::absolute(dir_.path())).string());
  // A second call finds the token and does not create another one.
  ASSERT_TRUE(EnsureSoftHsmDevToken(dir_.path(), kLabel, so_pin_, user_pin_).ok());
  auto module = Module::Load(kModule);
  ASSERT_TRUE(module.ok());
  EXPECT_TRUE((*module)->FindTokenSlot(kLabel).ok());
}

TEST_F(SoftHsmTest, SealUnsealRoundTrip) {
  auto ks = OpenKeystore();
  ASSERT_NE(ks, nullptr);
  EXPECT_EQ(ks->kind(), "pkcs11");
  for (size_t len : {size_t{1}, size_t{32}, size_t{64}, kMaxSecretBytes}) {
    const std::string name = "secret-" + std::to_string(len);
    crypto::SecretBytes secret(len);
    crypto::SystemRng().Fill(secret.RevealMutable());
    EXPECT_FALSE(*ks->HasSecret(name));
    Status put = ks->PutSecret(name, secret);
    ASSERT_TRUE(put.ok()) << put.ToString();
    EXPECT_TRUE(*ks->HasSecret(name));
    auto got = ks->GetSecret(name);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(got->Equals(secret)) << len;
  }
  EXPECT_EQ(ks->PutSecret("secret-1", Secret("other")).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(ks->PutSecret("too-big", crypto::SecretBytes(kMaxSecretBytes + 1)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ks->GetSecret("absent").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(ks->DeleteSecret("secret-1").ok());
  EXPECT_FALSE(*ks->HasSecret("secret-1"));
  EXPECT_EQ(ks->DeleteSecret("secret-1").code(), ErrorCode::kNotFound);
}

TEST_F(SoftHsmTest, StoredBlobIsCiphertextNotTheSecret) {
  auto ks = OpenKeystore();
  ASSERT_NE(ks, nullptr);
  const crypto::SecretBytes secret = Secret("0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(ks->PutSecret("seed", secret).ok());
  auto token = OpenToken();
  ASSERT_NE(token, nullptr);
  std::lock_guard<std::mutex> lock(token->mu());
  auto blob = token->GetAttribute(FindOne(*token, CKO_DATA, "seed"), CKA_VALUE);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(blob->size(), 1 + kGcmIvBytes + secret.size() + kGcmTagBytes);
  EXPECT_EQ(AsChars(*blob).find("0123456789abcdef"), std::string_view::npos);
}

TEST_F(SoftHsmTest, WrongPinIsPinIncorrect) {
  auto ks = Pkcs11Keystore::Open(kModule, kLabel, Secret("not-the-pin"));
  ASSERT_FALSE(ks.ok());
  EXPECT_EQ(ks.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(ks.status().message().find("CKR_PIN_INCORRECT"), std::string::npos) << ks.status().ToString();
  // The right PIN still works afterwards (one failure does not lock SoftHSM2's token).
  EXPECT_NE(OpenKeystore(), nullptr);
}

TEST_F(SoftHsmTest, ConfigReadsPinFromEnvironment) {
  ASSERT_EQ(setenv("KW_TEST_TOKEN_PIN", "user-pin-1111", 1), 0);
  Pkcs11Config config;
  config.token_label = std::string(kLabel);
  config.pin = PinSource::Env("KW_TEST_TOKEN_PIN");
  auto ks = Pkcs11Keystore::Open(config);
  EXPECT_TRUE(ks.ok()) << ks.status().ToString();
  config.pin = PinSource::Env("KW_TEST_TOKEN_PIN_UNSET");
  EXPECT_EQ(Pkcs11Keystore::Open(config).status().code(), ErrorCode::kNotFound);
}

TEST_F(SoftHsmTest, UnknownTokenAndModuleAreClearErrors) {
  auto no_token = Pkcs11Keystore::Open(kModule, "no-such-token", user_pin_);
  ASSERT_FALSE(no_token.ok());
  EXPECT_EQ(no_token.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(no_token.status().message().find("\"kw-test\""), std::string::npos) << no_token.status().ToString();
  auto no_module = Pkcs11Keystore::Open("/nonexistent/libpkcs11.so", kLabel, user_pin_);
  ASSERT_FALSE(no_module.ok());
  EXPECT_EQ(no_module.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(no_module.status().message().find("module path"), std::string::npos);
}

TEST_F(SoftHsmTest, TamperedBlobFailsUniformly) {
  auto ks = OpenKeystore();
  ASSERT_NE(ks, nullptr);
  ASSERT_TRUE(ks->PutSecret("victim", Secret("the-oprf-seed-32-bytes-long.....")).ok());
  ASSERT_TRUE(ks->PutSecret("other", Secret("another-secret")).ok());
  auto token = OpenToken();
  ASSERT_NE(token, nullptr);
  Bytes original;
  Bytes other_blob;
  {
    std::lock_guard<std::mutex> lock(token->mu());
    original = *token->GetAttribute(FindOne(*token, CKO_DATA, "victim"), CKA_VALUE);
    other_blob = *token->GetAttribute(FindOne(*token, CKO_DATA, "other"), CKA_VALUE);
  }
  std::vector<Bytes> tampered;
  for (size_t i : {size_t{0}, size_t{1}, size_t{12}, size_t{13}, original.size() - 17, original.size() - 1}) {
    Bytes b = original;
    b[i] ^= 0x01;  // version, IV, ciphertext, tag
    tampered.push_back(b);
  }
  tampered.push_back(Bytes(original.begin(), original.end() - 1));  // truncated tag
  tampered.push_back(Bytes(original.begin(), original.begin() + 13));
  tampered.push_back(Bytes{});
  tampered.push_back(other_blob);  // valid blob of another name: the AAD binds the name

  std::string first_message;
  for (const Bytes& b : tampered) {
    {
      std::lock_guard<std::mutex> lock(token->mu());
      Status set = ReplaceSecretBlob(*token, "victim", b);
      ASSERT_TRUE(set.ok()) << set.ToString();
    }
    auto got = ks->GetSecret("victim");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), ErrorCode::kAuthenticationFailed);
    if (first_message.empty()) first_message = got.status().message();
    EXPECT_EQ(got.status().message(), first_message) << "failures must be indistinguishable";
  }
  {
    std::lock_guard<std::mutex> lock(token->mu());
    ASSERT_TRUE(ReplaceSecretBlob(*token, "victim", original).ok());
  }
  EXPECT_TRUE(ks->GetSecret("victim").ok());
}

TEST_F(SoftHsmTest, BlobFromAnotherTokenDoesNotUnseal) {
  ASSERT_TRUE(EnsureSoftHsmDevToken(dir_.path(), "kw-other", so_pin_, user_pin_).ok());
  auto a = OpenKeystore();
  auto b = Pkcs11Keystore::Open(kModule, "kw-other", user_pin_);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE(a->PutSecret("seed", Secret("sealed-by-token-a")).ok());
  ASSERT_TRUE((*b)->PutSecret("seed", Secret("sealed-by-token-b")).ok());
  auto token_a = OpenToken();
  auto token_b = OpenToken("kw-other");
  ASSERT_TRUE(token_a && token_b);
  Bytes blob_a;
  {
    std::lock_guard<std::mutex> lock(token_a->mu());
    blob_a = *token_a->GetAttribute(FindOne(*token_a, CKO_DATA, "seed"), CKA_VALUE);
  }
  {
    std::lock_guard<std::mutex> lock(token_b->mu());
    ASSERT_TRUE(ReplaceSecretBlob(*token_b, "seed", blob_a).ok());
  }
  EXPECT_EQ((*b)->GetSecret("seed").status().code(), ErrorCode::kAuthenticationFailed);
  EXPECT_TRUE(a->GetSecret("seed")->Equals(Secret("sealed-by-token-a")));
}

TEST_F(SoftHsmTest, WrapKeyIsNotExtractable) {
  auto ks = OpenKeystore();
  ASSERT_NE(ks, nullptr);
  auto token = OpenToken();
  ASSERT_NE(token, nullptr);
  std::lock_guard<std::mutex> lock(token->mu());
  const ck_object_handle_t key = FindOne(*token, CKO_SECRET_KEY, "keyward-wrap-key");
  auto value = token->GetAttribute(key, CKA_VALUE);
  ASSERT_FALSE(value.ok());
  EXPECT_NE(value.status().message().find("CKR_ATTRIBUTE_SENSITIVE"), std::string::npos) << value.status().ToString();
  EXPECT_EQ(*token->GetAttribute(key, CKA_SENSITIVE), Bytes{1});
  EXPECT_EQ(*token->GetAttribute(key, CKA_EXTRACTABLE), Bytes{0});
  EXPECT_EQ(*token->GetAttribute(key, CKA_TOKEN), Bytes{1});
  EXPECT_EQ(*token->GetAttribute(key, CKA_WRAP), Bytes{0});
  // And it cannot be wrapped out by another key either (CKA_EXTRACTABLE=false → CKR_KEY_UNEXTRACTABLE).
  struct ck_mechanism mech = {CKM_AES_KEY_WRAP, nullptr, 0};
  unsigned long len = 0;
  EXPECT_NE(token->f()->C_WrapKey(token->session(), &mech, key, key, nullptr, &len), CKR_OK);
}

TEST_F(SoftHsmTest, Ed25519SignsInTokenAndVerifiesStrictly) {
  auto ks = OpenKeystore();
  ASSERT_NE(ks, nullptr);
  EXPECT_EQ(ks->GetEd25519Key("core-identity").status().code(), ErrorCode::kNotFound);
  auto key = ks->CreateEd25519Key("core-identity");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(ks->CreateEd25519Key("core-identity").status().code(), ErrorCode::kAlreadyExists);
  for (const std::string& text : std::vector<std::string>{"", "a", "deployment evidence", std::string(10000, 'x')}) {
    const Bytes msg = ToBytes(text);
    auto sig = (*key)->Sign(msg);
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    EXPECT_TRUE(crypto::Ed25519Verify((*key)->public_key(), msg, *sig));
    Bytes other = msg;
    other.push_back('!');
    EXPECT_FALSE(crypto::Ed25519Verify((*key)->public_key(), other, *sig));
  }
  // Ed25519 is deterministic (RFC 8032 §5.1.6): same message, same signature.
  EXPECT_EQ(*(*key)->Sign(ToBytes("m")), *(*key)->Sign(ToBytes("m")));
  auto again = ks->GetEd25519Key("core-identity");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->public_key(), (*key)->public_key());

  // The private half is sensitive.
  auto token = OpenToken();
  ASSERT_NE(token, nullptr);
  std::lock_guard<std::mutex> lock(token->mu());
  auto value = token->GetAttribute(FindOne(*token, CKO_PRIVATE_KEY, "core-identity"), CKA_VALUE);
  EXPECT_FALSE(value.ok());
}

// PKCS#11 3.0 §2.3.10 allows both encodings of CKA_EC_PARAMS; SoftHSM2 2.6.1 accepts both.
TEST_F(SoftHsmTest, Ed25519ParamsPrintableAndOidBothWork) {
  auto token = OpenToken();
  ASSERT_NE(token, nullptr);
  std::lock_guard<std::mutex> lock(token->mu());
  auto printable = GenerateTokenEd25519Key(token, "by-name", kEd25519ParamsPrintable);
  ASSERT_TRUE(printable.ok()) << printable.status().ToString();
  auto oid = GenerateTokenEd25519Key(token, "by-oid", kEd25519ParamsOid);
  ASSERT_TRUE(oid.ok()) << oid.status().ToString();
  EXPECT_NE((*printable)->public_key(), (*oid)->public_key());
  token->mu().unlock();
  for (auto* signer : {printable->get(), oid->get()}) {
    auto sig = signer->Sign(ToBytes("m"));
    EXPECT_TRUE(sig.ok() && crypto::Ed25519Verify(signer->public_key(), ToBytes("m"), *sig));
  }
  token->mu().lock();
}

TEST_F(SoftHsmTest, SignerOutlivesKeystoreAndModuleReloads) {
  crypto::Ed25519PublicKey pk;
  std::unique_ptr<crypto::Ed25519Signer> signer;
  {
    auto ks = OpenKeystore();
    ASSERT_NE(ks, nullptr);
    ASSERT_TRUE(ks->PutSecret("seed", Secret("persisted")).ok());
    auto key = ks->CreateEd25519Key("signer");
    ASSERT_TRUE(key.ok());
    pk = (*key)->public_key();
    signer = std::move(*key);
  }
  auto sig = signer->Sign(ToBytes("after close"));
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_TRUE(crypto::Ed25519Verify(pk, ToBytes("after close"), *sig));
  signer.reset();  // last user: C_Finalize + dlclose
  auto ks = OpenKeystore();  // C_Initialize again; objects come back from the token directory
  ASSERT_NE(ks, nullptr);
  EXPECT_TRUE(ks->GetSecret("seed")->Equals(Secret("persisted")));
  auto key = ks->GetEd25519Key("signer");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ((*key)->public_key(), pk);
}

TEST_F(SoftHsmTest, SwitchingSoftHsmDirWhileOpenIsRefused) {
  auto ks = OpenKeystore();
  ASSERT_NE(ks, nullptr);
  testing::TempDir other;
  Status s = UseSoftHsmDevDir(other.path());
  EXPECT_EQ(s.code(), ErrorCode::kFailedPrecondition) << s.ToString();
  ks.reset();
  EXPECT_TRUE(UseSoftHsmDevDir(other.path()).ok());
}

TEST_F(SoftHsmTest, ConcurrentUseIsSerialised) {
  auto ks = OpenKeystore();
  ASSERT_NE(ks, nullptr);
  auto key = ks->CreateEd25519Key("shared");
  ASSERT_TRUE(key.ok());
  constexpr int kThreads = 4;
  constexpr int kOps = 8;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        const std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
        const Bytes msg = ToBytes(name);
        auto sig = (*key)->Sign(msg);
        if (!sig.ok() || !crypto::Ed25519Verify((*key)->public_key(), msg, *sig)) ++failures;
        if (!ks->PutSecret(name, Secret(name)).ok()) ++failures;
        auto got = ks->GetSecret(name);
        if (!got.ok() || !got->Equals(Secret(name))) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// Regression: a keystore opened while another thread drops the module's last reference must wait
// for C_Finalize instead of failing with CKR_CRYPTOKI_ALREADY_INITIALIZED.
TEST_F(SoftHsmTest, ConcurrentOpenAndCloseReinitialisesCleanly) {
  {
    auto ks = OpenKeystore();
    ASSERT_NE(ks, nullptr);
    ASSERT_TRUE(ks->PutSecret("seed", Secret("value")).ok());
  }
  constexpr int kThreads = 4;
  constexpr int kRounds = 5;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        auto ks = Pkcs11Keystore::Open(kModule, kLabel, user_pin_);
        if (!ks.ok()) {
          ADD_FAILURE() << ks.status().ToString();
          ++failures;
          continue;
        }
        auto got = (*ks)->GetSecret("seed");
        if (!got.ok() || !got->Equals(Secret("value"))) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(DevTokenTest, CreateOrOpenDevTokenWritesPrivatePinFiles) {
  testing::TempDir dir;
  auto config = CreateOrOpenDevToken(dir.path() / "hsm", "kw-dev");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  struct stat st = {};
  ASSERT_EQ(stat((dir.path() / "hsm" / "user.pin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir.path() / "hsm" / "so.pin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  crypto::Ed25519PublicKey pk;
  {
    auto ks = Pkcs11Keystore::Open(*config);
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    auto key = (*ks)->CreateEd25519Key("id");
    ASSERT_TRUE(key.ok());
    pk = (*key)->public_key();
  }
  auto again = CreateOrOpenDevToken(dir.path() / "hsm", "kw-dev");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->pin.ToString(), config->pin.ToString());
  auto ks = Pkcs11Keystore::Open(*again);
  ASSERT_TRUE(ks.ok()) << ks.status().ToString();
  EXPECT_EQ((*(*ks)->GetEd25519Key("id"))->public_key(), pk);
}

TEST(DevTokenTest, MovedDevDirKeepsWorking) {
  testing::TempDir dir;
  crypto::Ed25519PublicKey pk;
  {
    auto config = CreateOrOpenDevToken(dir.path() / "old", "kw-dev");
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    auto ks = Pkcs11Keystore::Open(*config);
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    auto key = (*ks)->CreateEd25519Key("id");
    ASSERT_TRUE(key.ok());
    pk = (*key)->public_key();
  }
  std::filesystem::rename(dir.path() / "old", dir.path() / "new");
  auto config = CreateOrOpenDevToken(dir.path() / "new", "kw-dev");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto ks = Pkcs11Keystore::Open(*config);
  ASSERT_TRUE(ks.ok()) << ks.status().ToString();
  auto key = (*ks)->GetEd25519Key("id");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ((*key)->public_key(), pk);
}

// Cross-process persistence: a child process (this binary, running the DISABLED_ helper below)
// stores a secret and creates a key; this process then finds both by label.
TEST_F(SoftHsmTest, ObjectsSurviveProcessRestart) {
  testing::SubprocessOptions options;
  options.argv = {"/proc/self/exe", "--gtest_also_run_disabled_tests",
                  "--gtest_filter=SoftHsmChild.DISABLED_WriteObjects"};
  options.env = {{"KW_PKCS11_CHILD_DIR", dir_.path().string()}};
  options.pipe_stdin = false;
  auto child = testing::Subprocess::Start(options);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  auto line = (*child)->WaitForLine("CHILD-PUBKEY ", std::chrono::seconds(60));
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  auto status = (*child)->Wait(std::chrono::seconds(60));
  ASSERT_TRUE(status.ok());
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);

  auto ks = OpenKeystore();
  ASSERT_NE(ks, nullptr);
  auto secret = ks->GetSecret("from-child");
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_TRUE(secret->Equals(Secret("written-by-the-child")));
  auto key = ks->GetEd25519Key("child-key");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(HexEncode((*key)->public_key()), *line);
}

TEST(SoftHsmChild, DISABLED_WriteObjects) {
  const char* dir = std::getenv("KW_PKCS11_CHILD_DIR");
  ASSERT_NE(dir, nullptr);
  ASSERT_TRUE(UseSoftHsmDevDir(dir).ok());
  auto ks = Pkcs11Keystore::Open(kModule, kLabel, Secret("user-pin-1111"));
  ASSERT_TRUE(ks.ok()) << ks.status().ToString();
  ASSERT_TRUE((*ks)->PutSecret("from-child", Secret("written-by-the-child")).ok());
  auto key = (*ks)->CreateEd25519Key("child-key");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  std::printf("CHILD-PUBKEY %s\n", HexEncode((*key)->public_key()).c_str());
  std::fflush(stdout);
}

}  // namespace
}  // namespace keyward::pkcs11
