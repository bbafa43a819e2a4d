// Keystore: where a vault core's and a signing organisation's long-term secrets live (DESIGN.md §2,
// docs/keystore.md).
//
// Two kinds of named objects:
//  - secrets: opaque byte strings (the fleet's OPRF seed, the OPAQUE server private key, the sealing
//    key) that must never be at rest in clear form. They are returned as crypto::SecretBytes to the
//    trusted core only.
//  - Ed25519 signing keys: generated where they live and used through crypto::Ed25519Signer; the
//    private key is never returned.
// Names are 1..64 characters of [A-Za-z0-9._-] (ValidateKeyName). Secret and key names are
// separate namespaces. Nothing is overwritten: Put/Create of an existing name is kAlreadyExists.
//
// Implementations: Pkcs11Keystore (pkcs11_keystore.h, a PKCS#11 token) and InMemoryKeystore (below,
// tests and simulation).
//
// Thread-safety: every Keystore method is thread-safe. A returned Ed25519Signer is independent of
// the Keystore object's lifetime (it keeps what it needs alive) and is thread-safe as well.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace keyward::pkcs11 {

inline constexpr size_t kMaxKeyNameLength = 64;
inline constexpr size_t kMaxSecretBytes = 4096;

// OK iff `name` is 1..64 characters of [A-Za-z0-9._-]; otherwise kInvalidArgument naming the rule.
Status ValidateKeyName(std::string_view name);

class Keystore {
 public:
  virtual ~Keystore() = default;

  // "pkcs11" or "memory" (for logs and status pages).
  virtual std::string_view kind() const = 0;

  // Seals and stores `secret` (1..kMaxSecretBytes bytes) under `name`. kAlreadyExists if present.
  virtual Status PutSecret(std::string_view name, const crypto::SecretBytes& secret) = 0;
  // The secret stored under `name`: kNotFound if absent; kAuthenticationFailed (uniform) if the
  // stored blob does not unseal (tampered, or sealed under another token's wrapping key).
  virtual StatusOr<crypto::SecretBytes> GetSecret(std::string_view name) = 0;
  virtual StatusOr<bool> HasSecret(std::string_view name) = 0;
  // Removes the secret; kNotFound if absent.
  virtual Status DeleteSecret(std::string_view name) = 0;

  // Generates a new Ed25519 key pair named `name` where the keystore keeps keys (inside the token
  // for PKCS#11). kAlreadyExists if a key with that name exists.
  virtual StatusOr<std::unique_ptr<crypto::Ed25519Signer>> CreateEd25519Key(std::string_view name) = 0;
  // The existing key named `name`; kNotFound if absent.
  virtual StatusOr<std::unique_ptr<crypto::Ed25519Signer>> GetEd25519Key(std::string_view name) = 0;
};

// The secret under `name`, or a fresh `length`-byte random one from `rng`, stored first.
StatusOr<crypto::SecretBytes> GetOrCreateSecret(Keystore& keystore, std::string_view name, size_t length,
                                                crypto::Rng& rng);
// The key named `name`, created if absent.
StatusOr<std::unique_ptr<crypto::Ed25519Signer>> GetOrCreateEd25519Key(Keystore& keystore,
                                                                      std::string_view name);

// A keystore in process memory (tests, the simulator). Nothing survives the object; secrets are
// kept in SecretBytes (wiped on destruction). Deterministic given its Rng.
class InMemoryKeystore final : public Keystore {
 public:
  InMemoryKeystore();  // keys from crypto::SystemRng
  explicit InMemoryKeystore(std::unique_ptr<crypto::Rng> rng);

  std::string_view kind() const override { return "memory"; }
  Status PutSecret(std::string_view name, const crypto::SecretBytes& secret) override;
  StatusOr<crypto::SecretBytes> GetSecret(std::string_view name) override;
  StatusOr<bool> HasSecret(std::string_view name) override;
  Status DeleteSecret(std::string_view name) override;
  StatusOr<std::unique_ptr<crypto::Ed25519Signer>> CreateEd25519Key(std::string_view name) override;
  StatusOr<std::unique_ptr<crypto::Ed25519Signer>> GetEd25519Key(std::string_view name) override;

 private:
  std::mutex mu_;
  std::unique_ptr<crypto::Rng> rng_;                           // guarded by mu_
  std::map<std::string, crypto::SecretBytes, std::less<>> secrets_;  // guarded by mu_
  std::map<std::string, crypto::SecretBytes, std::less<>> ed25519_seeds_;  // guarded by mu_
};

}  // namespace keyward::pkcs11
