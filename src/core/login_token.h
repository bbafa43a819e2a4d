// LoginToken: the server's OPAQUE login state between KE2 and KE3, sealed under a core-only key
// and handed to the untrusted host (and client) as RecoverStartResponse.login_state, so any core
// of the fleet can finish the login (docs/protocol.md "Login state").
//
//   token = nonce(24) || XChaCha20-Poly1305(token_key, nonce,
//             AD = "keyward login state v1" || u16 len(user_id) || user_id,
//             kind(1) || epoch(8) || serial(8) || server_login_state(128))
//
// kind 1 = real (issued after the guess was counted), 2 = fake (unknown/pending/locked user). Real
// and fake tokens have the same size. A token only ever finishes the login it names: the core
// accepts it only while serial is the record's newest login of that epoch and unfinished.
//
// Thread-safety: functions are pure.
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "core/messages.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace keyward::core {

inline constexpr size_t kServerLoginStateSize = 128;  // expected_client_mac(64) || session_key(64)

enum class LoginKind : uint8_t { kReal = 1, kFake = 2 };

struct LoginToken {
  LoginKind kind = LoginKind::kFake;
  uint64_t epoch = 0;
  uint64_t serial = 0;
  crypto::SecretBytes server_state;  // kServerLoginStateSize bytes
};

Bytes SealLoginToken(const crypto::SecretBytes& token_key, ByteSpan user_id, const LoginToken& token,
                     crypto::Rng& rng);
// kPermissionDenied (uniform) if the token is malformed, forged, or for another user.
StatusOr<LoginToken> OpenLoginToken(const crypto::SecretBytes& token_key, ByteSpan user_id,
                                    ByteSpan sealed);

}  // namespace keyward::core
