#include "pkcs11/opaque_keys.h"

namespace keyward::pkcs11 {

using crypto::opaque::InMemoryServerKeys;
using crypto::opaque::ServerKeys;

StatusOr<std::unique_ptr<ServerKeys>> LoadOpaqueServerKeys(Keystore& keystore, std::string_view name) {
  ASSIGN_OR_RETURN(crypto::SecretBytes setup, keystore.GetSecret(name));
  auto keys = InMemoryServerKeys::FromServerSetup(setup.Reveal());
  if (!keys.ok()) {
    return keys.status().WithContext("keystore secret \"" + std::string(name) + "\" is not an OPAQUE server setup");
  }
  return std::unique_ptr<ServerKeys>(std::move(keys).value());
}

StatusOr<std::unique_ptr<ServerKeys>> LoadOrCreateOpaqueServerKeys(Keystore& keystore, crypto::Rng& rng,
                                                                   std::string_view name) {
  ASSIGN_OR_RETURN(bool present, keystore.HasSecret(name));
  if (!present) {
    const crypto::SecretBytes setup = InMemoryServerKeys::Generate(rng)->ExportServerSetup();
    Status put = keystore.PutSecret(name, setup);
    // Lost a race with another thread or process: theirs is the fleet's setup; load it.
    if (!put.ok() && put.code() != ErrorCode::kAlreadyExists) return put;
  }
  return LoadOpaqueServerKeys(keystore, name);
}

Status ImportOpaqueServerSetup(Keystore& keystore, const crypto::SecretBytes& setup, std::string_view name) {
  if (setup.size() != crypto::opaque::kServerSetupSize) {
    return InvalidArgument("an OPAQUE server setup is " + std::to_string(crypto::opaque::kServerSetupSize) +
                           " bytes, got " + std::to_string(setup.size()));
  }
  auto keys = InMemoryServerKeys::FromServerSetup(setup.Reveal());
  if (!keys.ok()) return keys.status().WithContext("importing the OPAQUE server setup");
  return keystore.PutSecret(name, setup);
}

}  // namespace keyward::pkcs11
