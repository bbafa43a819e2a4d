// Ed25519 signing keys in a PKCS#11 token WITHOUT a keystore (no AES wrapping key): what a
// signing organisation keeps in its HSM to sign validation bundles (issue 5, docs/trust.md
// "Running a signing organisation"), and what the `keyward bundle sign --pkcs11-*` flags open.
//
// The key pair is a CKK_EC_EDWARDS pair labelled `key_label` (CKA_LABEL), generated inside the token
// with CKM_EC_EDWARDS_KEY_PAIR_GEN (private half sensitive, unextractable) and used with CKM_EDDSA.
// Each signature is checked with the strict crypto::Ed25519Verify before it is returned.
//
// Ownership: the returned signer keeps the module and its logged-in session alive; the module is
// finalized when the last signer (or keystore) using it is gone. Thread-safety: the signer is
// thread-safe (calls into the token are serialised by the session's mutex). SoftHSM2: set
// SOFTHSM2_CONF (or call UseSoftHsmDevDir, dev_token.h) before the first call.
#pragma once

#include <memory>
#include <string_view>

#include "common/status.h"
#include "crypto/ed25519.h"
#include "pkcs11/config.h"

namespace keyward::pkcs11 {

// The key labelled `key_label` in the token of `config` (PIN read from config.pin).
// kNotFound if the token has no such key (create it with CreateTokenEd25519Signer).
StatusOr<std::unique_ptr<crypto::Ed25519Signer>> OpenTokenEd25519Signer(const Pkcs11Config& config,
                                                                          std::string_view key_label);
// Generates a new key labelled `key_label` in the token; kAlreadyExists if one exists.
StatusOr<std::unique_ptr<crypto::Ed25519Signer>> CreateTokenEd25519Signer(const Pkcs11Config& config,
                                                                            std::string_view key_label);

}  // namespace keyward::pkcs11
