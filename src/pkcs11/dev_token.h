// SoftHSM2 development tokens: a token directory inside a data dir, created through PKCS#11 itself
// (C_InitToken + C_InitPIN; no softhsm2-util).
//
// Layout of `dir` (docs/keystore.md):
//   dir/softhsm2.conf   directories.tokendir = dir/tokens, objectstore.backend = file,
//                       log.level = ERROR
//   dir/tokens/         SoftHSM2's token store (one subdirectory per token)
//   dir/user.pin        (CreateOrOpenDevToken only) the random user PIN, mode 0600
//   dir/so.pin          (CreateOrOpenDevToken only) the random SO PIN, mode 0600
//
// IMPORTANT: SoftHSM2 reads its configuration path from the SOFTHSM2_CONF environment variable once,
// at C_Initialize. These functions setenv() it, so a process can use ONE SoftHSM2 configuration (one
// token directory) at a time: while any keystore or signer over SoftHSM2 is alive, pointing at
// another directory is kFailedPrecondition. Tests give each test process its own directory
// (gtest_discover_tests runs every TEST in its own process).
//
// Thread-safety: these functions modify the process environment; call them at start-up, before
// other threads read the environment.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secret.h"
#include "pkcs11/config.h"

namespace keyward::pkcs11 {

// dir/softhsm2.conf
std::filesystem::path SoftHsmConfPath(const std::filesystem::path& dir);

// Writes dir/softhsm2.conf and dir/tokens/ if missing and points SOFTHSM2_CONF at the config.
// Fails if a SoftHSM2 module is already initialised in this process with another config.
Status UseSoftHsmDevDir(const std::filesystem::path& dir);

// UseSoftHsmDevDir(dir), then initialises a token labelled `label` (≤ 32 bytes) with the given SO
// and user PINs in the first free slot, unless a token with that label already exists in `dir`
// (then the PINs are not checked here; logging in later does that). Idempotent.
Status EnsureSoftHsmDevToken(const std::filesystem::path& dir, std::string_view label,
                             const crypto::SecretBytes& so_pin, const crypto::SecretBytes& user_pin,
                             std::string_view module_path = kSoftHsmModulePath);

// One call for a node's or a tool's dev mode: on first use creates `dir`, random 32-hex-digit user
// and SO PINs in dir/user.pin and dir/so.pin (0600), and the token; later calls reuse them. Returns
// the config to pass to Pkcs11Keystore::Open (pin = file:dir/user.pin). DEVELOPMENT ONLY: the PIN
// sits next to the token, so the token protects nothing against whoever can read the directory.
StatusOr<Pkcs11Config> CreateOrOpenDevToken(const std::filesystem::path& dir, std::string_view label,
                                            std::string_view module_path = kSoftHsmModulePath);

}  // namespace keyward::pkcs11
