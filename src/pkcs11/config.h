// Pkcs11Config: where a keystore's PKCS#11 token lives and how to log in to it.
//
// The module path is configuration so that a real HSM's PKCS#11 library drops in for SoftHSM2. The
// user PIN is read from an environment variable or a file, never from the command line (argv is
// visible to every local user through /proc and ends up in shell history).
//
// Thread-safety: plain values; ReadPin() only reads the environment or a file.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secret.h"

namespace keyward::pkcs11 {

// Debian's SoftHSM2 module (packages softhsm2/libsofthsm2).
inline constexpr std::string_view kSoftHsmModulePath = "/usr/lib/softhsm/libsofthsm2.so";

// Where the user PIN comes from.
struct PinSource {
  enum class Kind { kEnv, kFile };
  Kind kind = Kind::kEnv;
  std::string name;  // the environment variable's name, or the file's path

  static PinSource Env(std::string variable) { return {Kind::kEnv, std::move(variable)}; }
  static PinSource File(std::string path) { return {Kind::kFile, std::move(path)}; }
  // Parses "env:NAME" or "file:PATH" (the form used in config files and --pin flags).
  static StatusOr<PinSource> Parse(std::string_view spec);
  // "env:NAME" / "file:PATH"; never the PIN itself.
  std::string ToString() const;
};

// Reads the PIN. From a file: its contents minus one trailing "\n" or "\r\n". An unset variable,
// an unreadable file or an empty PIN is an error that names the source (never the PIN).
StatusOr<crypto::SecretBytes> ReadPin(const PinSource& source);

struct Pkcs11Config {
  std::string module_path = std::string(kSoftHsmModulePath);  // the PKCS#11 library to dlopen()
  std::string token_label;  // CKA_LABEL of the token (trailing spaces of the 32-byte field ignored)
  PinSource pin;            // the CKU_USER PIN
};

}  // namespace keyward::pkcs11
