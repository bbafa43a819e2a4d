// Account-authority credentials: the app's server vouches "this caller may act for user U until
// time T" with an HMAC-SHA512 token under a key it shares with the vault node's operator
// (`keyward node --app-key FILE`). The node checks the token BEFORE the core sees a request, which
// stops strangers registering over or deleting someone's record. A token can never read a secret:
// recovery still needs the password (OPAQUE), and the core's guess counter still applies.
//
// Token (72 bytes, proto/keyward/v1/vault.proto Account.credential):
//   expiry_unix_seconds (uint64 big-endian) ||
//   HMAC-SHA512(app_key, LABEL || uint16_be(len(user_id)) || user_id || expiry)
// LABEL is the scope (Account.scope): "keyward-account-v1" for a user credential (the caller is
// the user), "keyward-account-authority-v1" for the account authority itself, which may also
// replace or delete an active record without a recovery-session proof. A token verifies only
// under the scope it was minted for.
//
// App key file: the key as hex (64 bytes = 128 hex digits), one line, optional trailing newline;
// written 0600 by dev mode to DATA_DIR/app.key.
//
// Thread-safety: AppKey is immutable after construction; all functions are thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace keyward::node {

inline constexpr size_t kAppKeySize = 64;
inline constexpr size_t kAccountTokenSize = 8 + 64;
inline constexpr size_t kMaxUserIdSize = 256;

enum class CredentialScope : uint8_t { kUser = 0, kAccountAuthority = 1 };

class AppKey {
 public:
  static AppKey Generate(crypto::Rng& rng);
  static StatusOr<AppKey> FromBytes(ByteSpan key);
  // Reads a key file (hex); errors name the file and the expected format.
  static StatusOr<AppKey> Load(const std::filesystem::path& path);
  // Writes the key as hex with mode 0600 (fails if the file exists).
  Status Save(const std::filesystem::path& path) const;

  // A token for `user_id` valid until `expiry_unix_seconds`.
  Bytes Mint(ByteSpan user_id, uint64_t expiry_unix_seconds,
             CredentialScope scope = CredentialScope::kUser) const;
  // OK iff `token` is well-formed, its MAC under `scope` matches (constant time) and now < expiry.
  // Errors are kPermissionDenied starting "account credential" with a reason that does not help
  // forge (malformed / expired / bad MAC).
  Status Verify(ByteSpan user_id, ByteSpan token, uint64_t now_unix_seconds,
                CredentialScope scope = CredentialScope::kUser) const;

 private:
  explicit AppKey(crypto::SecretBytes key) : key_(std::move(key)) {}
  crypto::SecretBytes key_;
};

// Current host time in Unix seconds (the node's clock; untrusted but it only limits token age).
uint64_t NowUnixSeconds();

}  // namespace keyward::node
