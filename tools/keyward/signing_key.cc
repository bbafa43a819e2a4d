#include "signing_key.h"

#include "pkcs11/config.h"
#include "pkcs11/token_signer.h"

namespace keyward::cli {

void AddSigningKeyOptions(CLI::App* cmd, SigningKeyOptions& o) {
  cmd->add_option("--key", o.key_file,
                  "Signing key file (PRIVATE+KEY+... from `keyward keygen --name NAME`); or use the "
                  "--pkcs11-* options for a key in a token");
  cmd->add_option("--pkcs11-module", o.pkcs11_module,
                  "PKCS#11 library holding the signing key (default: SoftHSM2, " +
                      std::string(pkcs11::kSoftHsmModulePath) + ")");
  cmd->add_option("--token-label", o.token_label, "PKCS#11 token label of the signing key");
  cmd->add_option("--key-label", o.key_label,
                  "CKA_LABEL of the Ed25519 key pair in the token ([A-Za-z0-9._-], 1..64 chars)");
  cmd->add_option("--pin-env", o.pin_env,
                  "Environment variable holding the token's user PIN (never the PIN itself)");
  cmd->add_option("--key-name", o.key_name,
                  "C2SP key name of a token key (the keyid's name part, e.g. org-a.example); "
                  "default: the key label");
}

StatusOr<std::unique_ptr<trust::Signer>> OpenSigningKey(const SigningKeyOptions& o) {
  const bool token = !o.token_label.empty() || !o.key_label.empty() || !o.pkcs11_module.empty();
  if (!o.key_file.empty() && token) {
    return InvalidArgument("give either --key FILE or the --pkcs11-*/--token-label/--key-label options, not both");
  }
  if (!o.key_file.empty()) return trust::LoadFileSigner(o.key_file);
  if (!token) return InvalidArgument("no signing key: give --key FILE or --token-label L --key-label K --pin-env VAR");
  if (o.token_label.empty() || o.key_label.empty() || o.pin_env.empty()) {
    return InvalidArgument("a token key needs --token-label, --key-label and --pin-env");
  }
  pkcs11::Pkcs11Config config;
  if (!o.pkcs11_module.empty()) config.module_path = o.pkcs11_module;
  config.token_label = o.token_label;
  config.pin = pkcs11::PinSource::Env(o.pin_env);
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::Ed25519Signer> key,
                   pkcs11::OpenTokenEd25519Signer(config, o.key_label));
  std::shared_ptr<const crypto::Ed25519Signer> shared(std::move(key));
  ASSIGN_OR_RETURN(auto signer, trust::Ed25519EnvelopeSigner::Create(
                                    o.key_name.empty() ? o.key_label : o.key_name, std::move(shared)));
  return std::unique_ptr<trust::Signer>(std::move(signer));
}

}  // namespace keyward::cli
