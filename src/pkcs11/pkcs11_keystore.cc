#include "pkcs11/pkcs11_keystore.h"

#include "crypto/random.h"
#include "pkcs11/blob.h"
#include "pkcs11/token.h"
#include "pkcs11/token_ed25519.h"

namespace keyward::pkcs11 {
namespace {

constexpr unsigned char kTrue = 1;
constexpr unsigned char kFalse = 0;
constexpr std::string_view kSecretApplication = "keyward-secret";
constexpr ck_object_class_t kSecretKeyClass = CKO_SECRET_KEY;
constexpr ck_object_class_t kDataClass = CKO_DATA;
constexpr ck_key_type_t kAes = CKK_AES;
constexpr unsigned long kAes256Bytes = 32;

StatusOr<std::optional<ck_object_handle_t>> FindWrapKey(const Token& token, std::string_view label) {
  struct ck_attribute tmpl[] = {AttrOf(CKA_CLASS, kSecretKeyClass), AttrOf(CKA_KEY_TYPE, kAes),
                                AttrText(CKA_LABEL, label)};
  ASSIGN_OR_RETURN(auto found, token.FindObjects(tmpl, 1));
  if (found.empty()) return std::optional<ck_object_handle_t>();
  return std::optional<ck_object_handle_t>(found[0]);
}

// AES-256, generated inside the token, never extractable, for AES-GCM encrypt/decrypt only.
StatusOr<ck_object_handle_t> GenerateWrapKey(const Token& token, std::string_view label) {
  struct ck_mechanism mechanism = {CKM_AES_KEY_GEN, nullptr, 0};
  struct ck_attribute tmpl[] = {
      AttrOf(CKA_CLASS, kSecretKeyClass), AttrOf(CKA_KEY_TYPE, kAes),     AttrOf(CKA_VALUE_LEN, kAes256Bytes),
      AttrOf(CKA_TOKEN, kTrue),           AttrOf(CKA_PRIVATE, kTrue),     AttrOf(CKA_SENSITIVE, kTrue),
      AttrOf(CKA_EXTRACTABLE, kFalse),    AttrOf(CKA_ENCRYPT, kTrue),     AttrOf(CKA_DECRYPT, kTrue),
      AttrOf(CKA_WRAP, kFalse),           AttrOf(CKA_UNWRAP, kFalse),     AttrOf(CKA_SIGN, kFalse),
      AttrOf(CKA_VERIFY, kFalse),         AttrOf(CKA_DERIVE, kFalse),     AttrText(CKA_LABEL, label)};
  ck_object_handle_t key = 0;
  ck_rv_t rv = token.f()->C_GenerateKey(token.session(), &mechanism, tmpl, std::size(tmpl), &key);
  if (rv != CKR_OK) return RvError(rv, "generating the AES-256 wrapping key in the token");
  return key;
}

StatusOr<std::optional<ck_object_handle_t>> FindSecretObject(const Token& token, std::string_view name) {
  struct ck_attribute tmpl[] = {AttrOf(CKA_CLASS, kDataClass), AttrText(CKA_APPLICATION, kSecretApplication),
                                AttrText(CKA_LABEL, name)};
  ASSIGN_OR_RETURN(auto found, token.FindObjects(tmpl, 1));
  if (found.empty()) return std::optional<ck_object_handle_t>();
  return std::optional<ck_object_handle_t>(found[0]);
}

struct ck_gcm_params GcmParams(ByteSpan iv, ByteSpan aad) {
  struct ck_gcm_params params = {};
  params.iv_ptr = const_cast<unsigned char*>(iv.data());
  params.iv_len = iv.size();
  params.iv_bits = iv.size() * 8;
  params.aad_ptr = const_cast<unsigned char*>(aad.data());
  params.aad_len = aad.size();
  params.tag_bits = kGcmTagBytes * 8;
  return params;
}

Status UniformUnsealFailure(std::string_view name) {
  return AuthenticationFailed("secret \"" + std::string(name) +
                              "\" did not unseal: decryption failed (the token object was altered, or was "
                              "sealed under another token's wrapping key); restore it from the fleet");
}

}  // namespace

Pkcs11Keystore::Pkcs11Keystore(std::shared_ptr<Token> token, unsigned long wrap_key)
    : token_(std::move(token)), wrap_key_(wrap_key) {}
Pkcs11Keystore::~Pkcs11Keystore() = default;

StatusOr<std::unique_ptr<Pkcs11Keystore>> Pkcs11Keystore::Open(const Pkcs11Config& config,
                                                               const Pkcs11KeystoreOptions& options) {
  ASSIGN_OR_RETURN(crypto::SecretBytes pin, ReadPin(config.pin));
  return Open(config.module_path, config.token_label, pin, options);
}

StatusOr<std::unique_ptr<Pkcs11Keystore>> Pkcs11Keystore::Open(std::string_view module_path,
                                                               std::string_view token_label,
                                                               const crypto::SecretBytes& pin,
                                                               const Pkcs11KeystoreOptions& options) {
  ASSIGN_OR_RETURN(std::shared_ptr<Module> module, Module::Load(std::string(module_path)));
  ASSIGN_OR_RETURN(std::shared_ptr<Token> token, Token::Open(std::move(module), token_label, pin));
  std::lock_guard<std::mutex> lock(token->mu());
  ASSIGN_OR_RETURN(std::optional<ck_object_handle_t> wrap_key, FindWrapKey(*token, options.wrap_key_label));
  if (!wrap_key) {
    if (!options.create_wrap_key_if_missing) {
      return NotFound("token \"" + std::string(token_label) + "\" has no AES wrapping key labelled \"" +
                      options.wrap_key_label + "\"; run the key ceremony that creates it");
    }
    ASSIGN_OR_RETURN(wrap_key, GenerateWrapKey(*token, options.wrap_key_label));
  }
  return std::unique_ptr<Pkcs11Keystore>(new Pkcs11Keystore(token, *wrap_key));
}

Status Pkcs11Keystore::PutSecret(std::string_view name, const crypto::SecretBytes& secret) {
  RETURN_IF_ERROR(ValidateKeyName(name));
  if (secret.empty() || secret.size() > kMaxSecretBytes) {
    return InvalidArgument("secret \"" + std::string(name) + "\" must be 1.." + std::to_string(kMaxSecretBytes) +
                           " bytes, got " + std::to_string(secret.size()));
  }
  std::lock_guard<std::mutex> lock(token_->mu());
  ASSIGN_OR_RETURN(auto existing, FindSecretObject(*token_, name));
  if (existing) return Status(ErrorCode::kAlreadyExists, "secret \"" + std::string(name) + "\" already exists in the token");

  // A fresh random 96-bit IV per seal (NIST SP 800-38D §8.2.2): safe for far more than the few
  // secrets a keystore ever seals under one key.
  std::array<uint8_t, kGcmIvBytes> iv;
  crypto::SystemRng().Fill(iv);
  const Bytes aad = WrappedBlobAad(name);
  struct ck_gcm_params params = GcmParams(iv, aad);
  struct ck_mechanism mechanism = {CKM_AES_GCM, &params, sizeof(params)};
  ck_rv_t rv = token_->f()->C_EncryptInit(token_->session(), &mechanism, wrap_key_);
  if (rv != CKR_OK) return RvError(rv, "C_EncryptInit(CKM_AES_GCM) with the wrapping key");
  Bytes sealed(secret.size() + kGcmTagBytes);
  unsigned long sealed_len = sealed.size();
  rv = token_->f()->C_Encrypt(token_->session(), const_cast<unsigned char*>(secret.Reveal().data()), secret.size(),
                              sealed.data(), &sealed_len);
  if (rv != CKR_OK) return RvError(rv, "C_Encrypt(CKM_AES_GCM) of secret \"" + std::string(name) + "\"");
  if (sealed_len != sealed.size()) return Internal("CKM_AES_GCM returned " + std::to_string(sealed_len) + " bytes, expected " + std::to_string(sealed.size()));

  const Bytes blob = SerializeWrappedBlob(iv, sealed);
  struct ck_attribute tmpl[] = {
      AttrOf(CKA_CLASS, kDataClass),  AttrOf(CKA_TOKEN, kTrue),        AttrOf(CKA_PRIVATE, kTrue),
      AttrText(CKA_LABEL, name),      AttrText(CKA_APPLICATION, kSecretApplication),
      Attr(CKA_VALUE, blob.data(), blob.size())};
  ck_object_handle_t object = 0;
  rv = token_->f()->C_CreateObject(token_->session(), tmpl, std::size(tmpl), &object);
  if (rv != CKR_OK) return RvError(rv, "storing secret \"" + std::string(name) + "\" in the token");
  return Status::Ok();
}

StatusOr<crypto::SecretBytes> Pkcs11Keystore::GetSecret(std::string_view name) {
  RETURN_IF_ERROR(ValidateKeyName(name));
  std::lock_guard<std::mutex> lock(token_->mu());
  ASSIGN_OR_RETURN(auto object, FindSecretObject(*token_, name));
  if (!object) return NotFound("no secret named \"" + std::string(name) + "\" in the token");
  ASSIGN_OR_RETURN(Bytes blob, token_->GetAttribute(*object, CKA_VALUE));
  auto view = ParseWrappedBlob(blob);
  if (!view.ok()) return UniformUnsealFailure(name);

  const Bytes aad = WrappedBlobAad(name);
  struct ck_gcm_params params = GcmParams(view->iv, aad);
  struct ck_mechanism mechanism = {CKM_AES_GCM, &params, sizeof(params)};
  ck_rv_t rv = token_->f()->C_DecryptInit(token_->session(), &mechanism, wrap_key_);
  if (rv != CKR_OK) return RvError(rv, "C_DecryptInit(CKM_AES_GCM) with the wrapping key");
  // Room for the whole input: some modules want the output buffer as large as the ciphertext.
  crypto::SecretBytes plain(view->ciphertext_and_tag.size());
  unsigned long plain_len = plain.size();
  rv = token_->f()->C_Decrypt(token_->session(), const_cast<unsigned char*>(view->ciphertext_and_tag.data()),
                              view->ciphertext_and_tag.size(), plain.RevealMutable().data(), &plain_len);
  if (rv != CKR_OK || plain_len != view->ciphertext_and_tag.size() - kGcmTagBytes) {
    return UniformUnsealFailure(name);
  }
  return crypto::SecretBytes(plain.Reveal().first(plain_len));
}

StatusOr<bool> Pkcs11Keystore::HasSecret(std::string_view name) {
  RETURN_IF_ERROR(ValidateKeyName(name));
  std::lock_guard<std::mutex> lock(token_->mu());
  ASSIGN_OR_RETURN(auto object, FindSecretObject(*token_, name));
  return object.has_value();
}

Status Pkcs11Keystore::DeleteSecret(std::string_view name) {
  RETURN_IF_ERROR(ValidateKeyName(name));
  std::lock_guard<std::mutex> lock(token_->mu());
  ASSIGN_OR_RETURN(auto object, FindSecretObject(*token_, name));
  if (!object) return NotFound("no secret named \"" + std::string(name) + "\" in the token");
  ck_rv_t rv = token_->f()->C_DestroyObject(token_->session(), *object);
  if (rv != CKR_OK) return RvError(rv, "deleting secret \"" + std::string(name) + "\" from the token");
  return Status::Ok();
}

StatusOr<std::unique_ptr<crypto::Ed25519Signer>> Pkcs11Keystore::CreateEd25519Key(std::string_view name) {
  RETURN_IF_ERROR(ValidateKeyName(name));
  std::lock_guard<std::mutex> lock(token_->mu());
  // PKCS#11 3.0 names the curve by printable string or OID; some HSMs accept only one of them.
  auto key = GenerateTokenEd25519Key(token_, name, kEd25519ParamsOid);
  if (!key.ok() && key.status().code() == ErrorCode::kFailedPrecondition) {
    key = GenerateTokenEd25519Key(token_, name, kEd25519ParamsPrintable);
  }
  if (!key.ok()) return key.status();
  return std::unique_ptr<crypto::Ed25519Signer>(std::move(key).value());
}

StatusOr<std::unique_ptr<crypto::Ed25519Signer>> Pkcs11Keystore::GetEd25519Key(std::string_view name) {
  RETURN_IF_ERROR(ValidateKeyName(name));
  std::lock_guard<std::mutex> lock(token_->mu());
  ASSIGN_OR_RETURN(auto key, FindTokenEd25519Key(token_, name));
  return std::unique_ptr<crypto::Ed25519Signer>(std::move(key));
}

}  // namespace keyward::pkcs11
