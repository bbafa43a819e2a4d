// INTERNAL to src/pkcs11: Ed25519 keys inside a PKCS#11 token (CKK_EC_EDWARDS, CKM_EDDSA), used by
// Pkcs11Keystore and its tests.
//
// TokenEd25519Signer implements crypto::Ed25519Signer; it shares its Token (and so the module and
// session) and takes Token::mu() for each Sign, so it is thread-safe and may outlive the keystore.
// Each signature from the token is checked with the strict crypto::Ed25519Verify before it is
// returned, so a faulty device or a mismatched public key never yields a bad signature.
#pragma once

#include <memory>
#include <string_view>

#include "common/bytes.h"
#include "crypto/ed25519.h"
#include "pkcs11/token.h"

namespace keyward::pkcs11 {

class TokenEd25519Signer final : public crypto::Ed25519Signer {
 public:
  TokenEd25519Signer(std::shared_ptr<Token> token, ck_object_handle_t private_key,
                     crypto::Ed25519PublicKey public_key)
      : token_(std::move(token)), private_key_(private_key), public_key_(public_key) {}
  const crypto::Ed25519PublicKey& public_key() const override { return public_key_; }
  StatusOr<crypto::Ed25519Signature> Sign(std::span<const uint8_t> message) const override;

 private:
  std::shared_ptr<Token> token_;
  ck_object_handle_t private_key_;
  crypto::Ed25519PublicKey public_key_;
};

// REQUIRES: token->mu() held. Generates a token key pair labelled `name` with the given
// CKA_EC_PARAMS encoding (blob.h: kEd25519ParamsPrintable or kEd25519ParamsOid).
StatusOr<std::unique_ptr<TokenEd25519Signer>> GenerateTokenEd25519Key(const std::shared_ptr<Token>& token,
                                                                       std::string_view name,
                                                                       ByteSpan ec_params);
// REQUIRES: token->mu() held. The key pair labelled `name`: kNotFound if absent.
StatusOr<std::unique_ptr<TokenEd25519Signer>> FindTokenEd25519Key(const std::shared_ptr<Token>& token,
                                                                   std::string_view name);

}  // namespace keyward::pkcs11
