// Pkcs11Keystore: the Keystore (keystore.h) over a PKCS#11 token — SoftHSM2 in development, an HSM
// in production (docs/keystore.md).
//
// Layout inside the token (all objects CKA_TOKEN=true, CKA_PRIVATE=true, so they need the user PIN):
//  - one AES-256 wrapping key, generated inside the token (CKM_AES_KEY_GEN), CKA_SENSITIVE=true,
//    CKA_EXTRACTABLE=false, usable only for CKM_AES_GCM encrypt/decrypt; label "keyward-wrap-key".
//  - each secret: a CKO_DATA object (CKA_APPLICATION "keyward-secret", CKA_LABEL = name) whose
//    CKA_VALUE is the blob of blob.h: AES-256-GCM under the wrapping key with a random 12-byte IV
//    and AAD binding the secret's name. ristretto255/OPRF keys cannot be used inside PKCS#11, so
//    they are unwrapped into SecretBytes in the core's memory when needed.
//  - each Ed25519 key: a CKK_EC_EDWARDS pair (CKM_EC_EDWARDS_KEY_PAIR_GEN) with CKA_LABEL = name;
//    the private half is sensitive and unextractable and signs with CKM_EDDSA inside the token.
//
// Sessions and threads: a Pkcs11Keystore holds one logged-in read-write session; every call
// (including Sign on signers it returned) takes one mutex, so the object is thread-safe and calls
// into the token are serialised. The PKCS#11 module is loaded once per process per path and
// C_Initialize'd with CKF_OS_LOCKING_OK; it is finalized and unloaded when the last keystore or
// signer using it is destroyed.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secret.h"
#include "pkcs11/config.h"
#include "pkcs11/keystore.h"

namespace keyward::pkcs11 {

class Token;  // internal (token.h)

struct Pkcs11KeystoreOptions {
  // CKA_LABEL of the AES wrapping key.
  std::string wrap_key_label = "keyward-wrap-key";
  // Generate the wrapping key in the token if it does not exist yet (first start). When false, a
  // missing key is kNotFound (production: the key ceremony creates it).
  bool create_wrap_key_if_missing = true;
};

class Pkcs11Keystore final : public Keystore {
 public:
  // Loads config.module_path, finds the token labelled config.token_label, logs in with the PIN
  // read from config.pin and finds (or creates) the wrapping key.
  static StatusOr<std::unique_ptr<Pkcs11Keystore>> Open(const Pkcs11Config& config,
                                                        const Pkcs11KeystoreOptions& options = {});
  // Same with a PIN already in memory.
  static StatusOr<std::unique_ptr<Pkcs11Keystore>> Open(std::string_view module_path,
                                                        std::string_view token_label,
                                                        const crypto::SecretBytes& pin,
                                                        const Pkcs11KeystoreOptions& options = {});
  ~Pkcs11Keystore() override;
  Pkcs11Keystore(const Pkcs11Keystore&) = delete;
  Pkcs11Keystore& operator=(const Pkcs11Keystore&) = delete;

  std::string_view kind() const override { return "pkcs11"; }
  Status PutSecret(std::string_view name, const crypto::SecretBytes& secret) override;
  StatusOr<crypto::SecretBytes> GetSecret(std::string_view name) override;
  StatusOr<bool> HasSecret(std::string_view name) override;
  Status DeleteSecret(std::string_view name) override;
  StatusOr<std::unique_ptr<crypto::Ed25519Signer>> CreateEd25519Key(std::string_view name) override;
  StatusOr<std::unique_ptr<crypto::Ed25519Signer>> GetEd25519Key(std::string_view name) override;

 private:
  Pkcs11Keystore(std::shared_ptr<Token> token, unsigned long wrap_key);
  std::shared_ptr<Token> token_;
  unsigned long wrap_key_;  // CK_OBJECT_HANDLE of the AES wrapping key (valid for the session)
};

}  // namespace keyward::pkcs11
