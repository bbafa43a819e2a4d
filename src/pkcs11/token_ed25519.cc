#include "pkcs11/token_ed25519.h"

#include "pkcs11/blob.h"

namespace keyward::pkcs11 {
namespace {

constexpr unsigned char kTrue = 1;
constexpr unsigned char kFalse = 0;
constexpr ck_key_type_t kEdwards = CKK_EC_EDWARDS;

StatusOr<std::optional<ck_object_handle_t>> FindKeyObject(const Token& token, ck_object_class_t cls,
                                                          std::string_view name) {
  struct ck_attribute tmpl[] = {AttrOf(CKA_CLASS, cls), AttrOf(CKA_KEY_TYPE, kEdwards),
                                AttrText(CKA_LABEL, name)};
  ASSIGN_OR_RETURN(auto found, token.FindObjects(tmpl, 1));
  if (found.empty()) return std::optional<ck_object_handle_t>();
  return std::optional<ck_object_handle_t>(found[0]);
}

StatusOr<crypto::Ed25519PublicKey> ReadPublicKey(const Token& token, ck_object_handle_t public_key,
                                                 std::string_view name) {
  ASSIGN_OR_RETURN(Bytes point, token.GetAttribute(public_key, CKA_EC_POINT));
  auto key = ParseEd25519EcPoint(point);
  if (!key.ok()) return key.status().WithContext("Ed25519 key \"" + std::string(name) + "\"");
  return key;
}

}  // namespace

StatusOr<crypto::Ed25519Signature> TokenEd25519Signer::Sign(std::span<const uint8_t> message) const {
  std::lock_guard<std::mutex> lock(token_->mu());
  struct ck_mechanism mechanism = {CKM_EDDSA, nullptr, 0};  // no params: pure Ed25519 (RFC 8032)
  ck_rv_t rv = token_->f()->C_SignInit(token_->session(), &mechanism, private_key_);
  if (rv != CKR_OK) return RvError(rv, "C_SignInit(CKM_EDDSA)");
  crypto::Ed25519Signature sig;
  unsigned long sig_len = sig.size();
  // SoftHSM2 rejects a null data pointer even for an empty message (CKR_ARGUMENTS_BAD).
  unsigned char empty = 0;
  auto* data = message.empty() ? &empty : const_cast<unsigned char*>(message.data());
  rv = token_->f()->C_Sign(token_->session(), data, message.size(), sig.data(), &sig_len);
  if (rv != CKR_OK) return RvError(rv, "C_Sign(CKM_EDDSA)");
  if (sig_len != sig.size() || !crypto::Ed25519Verify(public_key_, message, sig)) {
    return Internal("the token returned an Ed25519 signature that does not verify under the key's public "
                    "key; the device may be faulty — do not use it");
  }
  return sig;
}

StatusOr<std::unique_ptr<TokenEd25519Signer>> GenerateTokenEd25519Key(const std::shared_ptr<Token>& token,
                                                                       std::string_view name,
                                                                       ByteSpan ec_params) {
  ASSIGN_OR_RETURN(auto existing, FindKeyObject(*token, CKO_PRIVATE_KEY, name));
  if (existing) {
    return Status(ErrorCode::kAlreadyExists, "Ed25519 key \"" + std::string(name) + "\" already exists in the token");
  }
  struct ck_mechanism mechanism = {CKM_EC_EDWARDS_KEY_PAIR_GEN, nullptr, 0};
  struct ck_attribute public_tmpl[] = {
      AttrOf(CKA_TOKEN, kTrue), AttrOf(CKA_PRIVATE, kFalse), AttrOf(CKA_VERIFY, kTrue),
      Attr(CKA_EC_PARAMS, ec_params.data(), ec_params.size()), AttrText(CKA_LABEL, name),
      AttrText(CKA_ID, name)};
  struct ck_attribute private_tmpl[] = {
      AttrOf(CKA_TOKEN, kTrue),        AttrOf(CKA_PRIVATE, kTrue), AttrOf(CKA_SENSITIVE, kTrue),
      AttrOf(CKA_EXTRACTABLE, kFalse), AttrOf(CKA_SIGN, kTrue),    AttrOf(CKA_DERIVE, kFalse),
      AttrText(CKA_LABEL, name),       AttrText(CKA_ID, name)};
  ck_object_handle_t public_key = 0;
  ck_object_handle_t private_key = 0;
  ck_rv_t rv = token->f()->C_GenerateKeyPair(token->session(), &mechanism, public_tmpl, std::size(public_tmpl),
                                             private_tmpl, std::size(private_tmpl), &public_key, &private_key);
  if (rv != CKR_OK) return RvError(rv, "generating Ed25519 key \"" + std::string(name) + "\" in the token");
  auto pk = ReadPublicKey(*token, public_key, name);
  if (!pk.ok()) {
    token->f()->C_DestroyObject(token->session(), private_key);
    token->f()->C_DestroyObject(token->session(), public_key);
    return pk.status();
  }
  return std::make_unique<TokenEd25519Signer>(token, private_key, *pk);
}

StatusOr<std::unique_ptr<TokenEd25519Signer>> FindTokenEd25519Key(const std::shared_ptr<Token>& token,
                                                                   std::string_view name) {
  ASSIGN_OR_RETURN(auto private_key, FindKeyObject(*token, CKO_PRIVATE_KEY, name));
  ASSIGN_OR_RETURN(auto public_key, FindKeyObject(*token, CKO_PUBLIC_KEY, name));
  if (!private_key) return NotFound("no Ed25519 key named \"" + std::string(name) + "\" in the token");
  if (!public_key) {
    return FailedPrecondition("Ed25519 key \"" + std::string(name) +
                              "\" has a private half but no public-key object in the token; re-create it");
  }
  ASSIGN_OR_RETURN(crypto::Ed25519PublicKey pk, ReadPublicKey(*token, *public_key, name));
  return std::make_unique<TokenEd25519Signer>(token, *private_key, pk);
}

}  // namespace keyward::pkcs11
