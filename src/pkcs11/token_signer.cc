#include "pkcs11/token_signer.h"

#include <mutex>
#include <string>

#include "pkcs11/blob.h"
#include "pkcs11/keystore.h"
#include "pkcs11/token.h"
#include "pkcs11/token_ed25519.h"

namespace keyward::pkcs11 {
namespace {

StatusOr<std::shared_ptr<Token>> OpenToken(const Pkcs11Config& config) {
  ASSIGN_OR_RETURN(crypto::SecretBytes pin, ReadPin(config.pin));
  ASSIGN_OR_RETURN(std::shared_ptr<Module> module, Module::Load(config.module_path));
  return Token::Open(std::move(module), config.token_label, pin);
}

}  // namespace

StatusOr<std::unique_ptr<crypto::Ed25519Signer>> OpenTokenEd25519Signer(const Pkcs11Config& config,
                                                                          std::string_view key_label) {
  RETURN_IF_ERROR(ValidateKeyName(key_label));
  ASSIGN_OR_RETURN(std::shared_ptr<Token> token, OpenToken(config));
  std::lock_guard<std::mutex> lock(token->mu());
  auto key = FindTokenEd25519Key(token, key_label);
  if (!key.ok()) {
    return key.status().WithContext("Ed25519 key \"" + std::string(key_label) + "\" in token \"" +
                                    config.token_label + "\"");
  }
  return std::unique_ptr<crypto::Ed25519Signer>(std::move(key).value());
}

StatusOr<std::unique_ptr<crypto::Ed25519Signer>> CreateTokenEd25519Signer(const Pkcs11Config& config,
                                                                            std::string_view key_label) {
  RETURN_IF_ERROR(ValidateKeyName(key_label));
  ASSIGN_OR_RETURN(std::shared_ptr<Token> token, OpenToken(config));
  std::lock_guard<std::mutex> lock(token->mu());
  auto existing = FindTokenEd25519Key(token, key_label);
  if (existing.ok()) {
    return Status(ErrorCode::kAlreadyExists, "token \"" + config.token_label +
                                                 "\" already holds an Ed25519 key labelled \"" +
                                                 std::string(key_label) + "\"; pick another label");
  }
  if (existing.status().code() != ErrorCode::kNotFound) return existing.status();
  // PKCS#11 3.0 names the curve by printable string or OID; some HSMs accept only one of them.
  auto key = GenerateTokenEd25519Key(token, key_label, kEd25519ParamsOid);
  if (!key.ok() && key.status().code() == ErrorCode::kFailedPrecondition) {
    key = GenerateTokenEd25519Key(token, key_label, kEd25519ParamsPrintable);
  }
  if (!key.ok()) return key.status();
  return std::unique_ptr<crypto::Ed25519Signer>(std::move(key).value());
}

}  // namespace keyward::pkcs11
