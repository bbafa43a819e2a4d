// Loading the signing keys of the log and witness daemons (shared by keygen/log/witness commands).
//
// A key file holds one Go signer-key string (golang.org/x/mod/sumdb/note format,
// `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ seed)>`) and a newline; mode 0600. Go's
// note.NewSigner reads the same files.
//
// Thread-safety: free functions.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "crypto/ed25519.h"

namespace keyward::cli {

struct LoadedKey {
  std::string name;
  std::shared_ptr<const crypto::Ed25519Signer> signer;
};
// Reads and parses a key file; warns on stderr if it is readable by group/others.
StatusOr<LoadedKey> LoadKeyFile(const std::string& path);

}  // namespace keyward::cli
