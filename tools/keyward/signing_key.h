// How `keyward bundle sign|countersign` and `keyward policy` name a signing key: a key file
// (`--key FILE`, a Go signer key as written by `keyward keygen`) or an Ed25519 key inside a PKCS#11
// token (`--pkcs11-module PATH --token-label L --key-label K --pin-env VAR [--key-name NAME]`):
// signing organisations keep their keys in HSMs (SoftHSM2 for development).
//
// For a token key, the C2SP key name (the part of the keyid before '+') is --key-name, default the
// key label; the verifier key printed by `keyward bundle pubkey` goes into the clients' policy.
//
// Thread-safety: free functions, called from the CLI's main thread.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "common/status.h"
#include "trust/envelope.h"

namespace keyward::cli {

struct SigningKeyOptions {
  std::string key_file;
  std::string pkcs11_module;
  std::string token_label;
  std::string key_label;
  std::string pin_env;
  std::string key_name;
};

// Adds --key, --pkcs11-module, --token-label, --key-label, --pin-env, --key-name to `cmd`.
void AddSigningKeyOptions(CLI::App* cmd, SigningKeyOptions& options);
// Exactly one of --key or --token-label/--key-label must be given; InvalidArgument says which.
StatusOr<std::unique_ptr<trust::Signer>> OpenSigningKey(const SigningKeyOptions& options);

}  // namespace keyward::cli
