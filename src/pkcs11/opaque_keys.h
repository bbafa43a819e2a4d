// The fleet's OPAQUE server keys (crypto/opaque_server_keys.h) kept in a Keystore.
//
// The fleet-wide OPAQUE secrets — OPRF seed, server private key and the fake-record key — are stored
// as ONE keystore secret in @serenity-kit/opaque's ServerSetup layout
// (oprf_seed(64) ‖ server_sk(32) ‖ dummy_pk(32), 128 bytes), so the three can never get out of step
// and a setup can be moved to or from a serenity-based deployment. ristretto255 cannot be used inside
// a PKCS#11 token, so the setup is unwrapped into crypto::SecretBytes in the core's memory when it
// is loaded (docs/keystore.md, "Honest limits").
//
// Thread-safety: as the Keystore; the returned ServerKeys allows concurrent const calls.
#pragma once

#include <memory>
#include <string_view>

#include "common/status.h"
#include "crypto/opaque_server_keys.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "pkcs11/keystore.h"

namespace keyward::pkcs11 {

// Conventional keystore names (one place, so node, tools and docs agree).
inline constexpr std::string_view kOpaqueServerSetupName = "fleet-opaque-setup";   // 128-byte secret
inline constexpr std::string_view kSealingKeyName = "fleet-sealing-key";           // 32-byte secret
inline constexpr std::string_view kCoreIdentityKeyName = "core-identity";                // Ed25519 key

// Loads the setup stored under `name`: kNotFound if absent; kAuthenticationFailed if it does not
// unseal; kInvalidArgument if the stored bytes are not a valid ServerSetup.
StatusOr<std::unique_ptr<crypto::opaque::ServerKeys>> LoadOpaqueServerKeys(
    Keystore& keystore, std::string_view name = kOpaqueServerSetupName);

// The first core of a new fleet: loads the setup, or generates a fresh one from `rng` and stores it
// first. Other cores receive the fleet's setup and ImportOpaqueServerSetup() it instead.
StatusOr<std::unique_ptr<crypto::opaque::ServerKeys>> LoadOrCreateOpaqueServerKeys(
    Keystore& keystore, crypto::Rng& rng, std::string_view name = kOpaqueServerSetupName);

// Stores a 128-byte ServerSetup (validated first) under `name`; kAlreadyExists if one is stored.
Status ImportOpaqueServerSetup(Keystore& keystore, const crypto::SecretBytes& setup,
                               std::string_view name = kOpaqueServerSetupName);

}  // namespace keyward::pkcs11
