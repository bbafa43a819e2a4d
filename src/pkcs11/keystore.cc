#include "pkcs11/keystore.h"

namespace keyward::pkcs11 {

Status ValidateKeyName(std::string_view name) {
  if (name.empty() || name.size() > kMaxKeyNameLength) {
    return InvalidArgument("keystore name must be 1.." + std::to_string(kMaxKeyNameLength) +
                           " characters, got " + std::to_string(name.size()));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return InvalidArgument("keystore name \"" + std::string(name) + "\" may only use [A-Za-z0-9._-]");
  }
  return Status::Ok();
}

StatusOr<crypto::SecretBytes> GetOrCreateSecret(Keystore& keystore, std::string_view name, size_t length,
                                                crypto::Rng& rng) {
  ASSIGN_OR_RETURN(bool present, keystore.HasSecret(name));
  if (!present) {
    crypto::SecretBytes fresh(length);
    rng.Fill(fresh.RevealMutable());
    Status put = keystore.PutSecret(name, fresh);
    // Another thread or process may have stored it first; theirs wins, read it back.
    if (!put.ok() && put.code() != ErrorCode::kAlreadyExists) return put;
  }
  return keystore.GetSecret(name);
}

StatusOr<std::unique_ptr<crypto::Ed25519Signer>> GetOrCreateEd25519Key(Keystore& keystore,
                                                                      std::string_view name) {
  auto existing = keystore.GetEd25519Key(name);
  if (existing.ok() || existing.status().code() != ErrorCode::kNotFound) return existing;
  auto created = keystore.CreateEd25519Key(name);
  if (created.ok() || created.status().code() != ErrorCode::kAlreadyExists) return created;
  return keystore.GetEd25519Key(name);
}

InMemoryKeystore::InMemoryKeystore() : rng_(std::make_unique<crypto::SystemRng>()) {}
InMemoryKeystore::InMemoryKeystore(std::unique_ptr<crypto::Rng> rng) : rng_(std::move(rng)) {
  KW_CHECK(rng_ != nullptr);
}

Status InMemoryKeystore::PutSecret(std::string_view name, const crypto::SecretBytes& secret) {
  RETURN_IF_ERROR(ValidateKeyName(name));
  if (secret.empty() || secret.size() > kMaxSecretBytes) {
    return InvalidArgument("secret \"" + std::string(name) + "\" must be 1.." + std::to_string(kMaxSecretBytes) +
                           " bytes, got " + std::to_string(secret.size()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (secrets_.contains(name)) return Status(ErrorCode::kAlreadyExists, "secret \"" + std::string(name) + "\" already exists");
  secrets_.emplace(std::string(name), secret.Clone());
  return Status::Ok();
}

StatusOr<crypto::SecretBytes> InMemoryKeystore::GetSecret(std::string_view name) {
  RETURN_IF_ERROR(ValidateKeyName(name));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = secrets_.find(name);
  if (it == secrets_.end()) return NotFound("no secret named \"" + std::string(name) + "\" in the keystore");
  return it->second.Clone();
}

StatusOr<bool> InMemoryKeystore::HasSecret(std::string_view name) {
  RETURN_IF_ERROR(ValidateKeyName(name));
  std::lock_guard<std::mutex> lock(mu_);
  return secrets_.contains(name);
}

Status InMemoryKeystore::DeleteSecret(std::string_view name) {
  RETURN_IF_ERROR(ValidateKeyName(name));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = secrets_.find(name);
  if (it == secrets_.end()) return NotFound("no secret named \"" + std::string(name) + "\" in the keystore");
  secrets_.erase(it);
  return Status::Ok();
}

StatusOr<std::unique_ptr<crypto::Ed25519Signer>> InMemoryKeystore::CreateEd25519Key(std::string_view name) {
  RETURN_IF_ERROR(ValidateKeyName(name));
  std::lock_guard<std::mutex> lock(mu_);
  if (ed25519_seeds_.contains(name)) {
    return Status(ErrorCode::kAlreadyExists, "Ed25519 key \"" + std::string(name) + "\" already exists");
  }
  crypto::SecretBytes seed(32);
  rng_->Fill(seed.RevealMutable());
  ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key, crypto::Ed25519PrivateKey::FromSeed(seed.Reveal()));
  ed25519_seeds_.emplace(std::string(name), std::move(seed));
  return std::unique_ptr<crypto::Ed25519Signer>(std::make_unique<crypto::Ed25519PrivateKey>(std::move(key)));
}

StatusOr<std::unique_ptr<crypto::Ed25519Signer>> InMemoryKeystore::GetEd25519Key(std::string_view name) {
  RETURN_IF_ERROR(ValidateKeyName(name));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ed25519_seeds_.find(name);
  if (it == ed25519_seeds_.end()) return NotFound("no Ed25519 key named \"" + std::string(name) + "\" in the keystore");
  ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key, crypto::Ed25519PrivateKey::FromSeed(it->second.Reveal()));
  return std::unique_ptr<crypto::Ed25519Signer>(std::make_unique<crypto::Ed25519PrivateKey>(std::move(key)));
}

}  // namespace keyward::pkcs11
