// Loading the signing keys of the log and witness daemons (shared by keygen/log/witness commands).
//
// A key file is one of:
//  * a Go signer-key string (golang.org/x/mod/sumdb/note format,
//    `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ seed)>`) and a newline; mode 0600. Go's
//    note.NewSigner reads the same files.
//  * a PKCS#11 key reference (no secret in it; written by `keyward keygen --token-label ...`):
//        keyward-pkcs11-key/v1
//        name <note key name, e.g. example.com/log>
//        module <path of the PKCS#11 library>
//        token <token label>
//        object <CKA_LABEL of the Ed25519 key pair>
//        pin <env:VARIABLE | file:PATH>
//    The note key name may contain '/', which token object labels may not (pkcs11 keystore names are
//    [A-Za-z0-9._-]), so the object label is a sanitized form of the name and the real name is kept
//    in this file. Signing happens inside the token (CKM_EDDSA); the PIN is read from the variable or
//    file when the key is loaded.
//
// Thread-safety: free functions.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/ed25519.h"

namespace keyward::cli {

inline constexpr std::string_view kPkcs11KeyFileHeader = "keyward-pkcs11-key/v1";

struct LoadedKey {
  std::string name;
  std::shared_ptr<const crypto::Ed25519Signer> signer;
};
// Reads and parses a key file (either form); warns on stderr if it is readable by group/others.
StatusOr<LoadedKey> LoadKeyFile(const std::string& path);

// A parsed PKCS#11 key reference.
struct Pkcs11KeyRef {
  std::string name;
  std::string module;
  std::string token;
  std::string object;
  std::string pin;  // "env:NAME" or "file:PATH"
};
// Grammar: the header line, then exactly the five "key value" lines above in that order, each
// ending in "\n"; values non-empty without control characters. Anything else is rejected.
StatusOr<Pkcs11KeyRef> ParsePkcs11KeyRef(std::string_view text);
std::string FormatPkcs11KeyRef(const Pkcs11KeyRef& ref);

// A token object label for a note key name: characters outside [A-Za-z0-9._-] become '_', at most
// 64 characters ("example.com/log" → "example.com_log").
std::string SanitizedObjectLabel(std::string_view name);

}  // namespace keyward::cli
