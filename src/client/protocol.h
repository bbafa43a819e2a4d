// The client side of the Keyward vault protocol (docs/protocol.md), pure: no network, no clock.
// It turns a password and a secret into the byte fields of the keyward.v1.Vault requests and
// checks every response; the transport (gRPC) lives elsewhere in src/client.
//
// Registration:  StartRegistration -> [RegisterStart] -> FinishRegistration (checks the fleet key
//                the caller VALIDATED, builds upload + activation) -> [RegisterUpload] ->
//                [RegisterActivate with activation_key].
// Recovery:      StartRecovery -> [RecoverStart] -> ContinueRecovery (KE3, or a decoy KE3 when
//                the password/fleet did not verify, so the vault can report attempts left) ->
//                [RecoverFinish] -> FinishRecovery (decrypts the secret under the session key).
// After a successful recovery: DeleteProofFor / ReregisterUpload (replace the record without the
// account authority).
//
// Ownership: states own their secrets (wiped on destruction) and are consumed by the next step.
// Thread-safety: functions are pure given their inputs; a state must not be shared across threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "common/status.h"
#include "core/messages.h"
#include "core/vault_core.h"
#include "crypto/opaque.h"
#include "crypto/random.h"
#include "crypto/ristretto.h"
#include "crypto/secret.h"

namespace keyward::client {

// ------------------------------------------------------------------ registration

struct RegistrationStart {
  Bytes registration_request;  // RegisterStartRequest.registration_request (32 bytes)
  crypto::opaque::ClientRegistrationState state;
};
StatusOr<RegistrationStart> StartRegistration(ByteSpan password, crypto::Rng& rng);

struct RegistrationParams {
  Bytes user_id;                              // 1..256 bytes
  const crypto::SecretBytes* secret = nullptr;  // 1..128 bytes, not owned
  uint8_t max_attempts = core::kDefaultMaxAttempts;  // 1..255
  // The fleet public key the caller's trust policy validated. FinishRegistration refuses a
  // RegistrationResponse that carries any other key (kPermissionDenied).
  crypto::ristretto::ElementBytes validated_fleet_key{};
  crypto::opaque::Options options;  // KSF etc.; must match every later recovery
};

struct RegistrationUpload {
  core::UploadRequest upload;           // RegisterUploadRequest fields
  crypto::SecretBytes activation_key;   // RegisterActivateRequest.activation_key (32 bytes)
  crypto::SecretBytes export_key;       // OPAQUE export key (64), for app use
};
// `registration_response` is RegisterStartResponse.registration_response; `registration_epoch`
// RegisterStartResponse.registration_epoch.
StatusOr<RegistrationUpload> FinishRegistration(crypto::opaque::ClientRegistrationState state,
                                                ByteSpan registration_response,
                                                uint64_t registration_epoch,
                                                const RegistrationParams& params, crypto::Rng& rng);

// ------------------------------------------------------------------ recovery

struct RecoveryStart {
  Bytes ke1;  // RecoverStartRequest.ke1 (96 bytes)
  crypto::opaque::ClientLoginState state;
};
StatusOr<RecoveryStart> StartRecovery(ByteSpan password, crypto::Rng& rng);

// What the client keeps between KE3 and the vault's answer; after a success it also proves the
// session for a delete or a re-registration.
struct RecoverySession {
  Bytes user_id;
  Bytes login_state;                // RecoverStartResponse.login_state
  crypto::SecretBytes session_key;  // 64 bytes; EMPTY when the login did not verify locally
  crypto::SecretBytes export_key;
  bool verified() const { return !session_key.empty(); }
};
struct RecoveryContinue {
  Bytes ke3;  // RecoverFinishRequest.ke3 (64 bytes)
  RecoverySession session;
};
// Runs OPAQUE's client finish over KE2. If it fails (wrong password, no such record, wrong server)
// the result carries a random decoy KE3 and an unverified session: send it anyway to learn the
// vault's answer (attempts remaining or locked). Refuses (kPermissionDenied) a KE2 whose server
// key differs from `validated_fleet_key` — then nothing should be sent.
StatusOr<RecoveryContinue> ContinueRecovery(crypto::opaque::ClientLoginState state, ByteSpan ke2,
                                            ByteSpan login_state, ByteSpan user_id,
                                            const crypto::ristretto::ElementBytes& validated_fleet_key,
                                            const crypto::opaque::Options& options, crypto::Rng& rng);

struct RecoveryResult {
  core::RecoverOutcome outcome = core::RecoverOutcome::kLocked;
  uint32_t attempts_remaining = 0;
  crypto::SecretBytes secret;  // set iff outcome == kSuccess
};
// Checks the vault's answer. A kSuccess whose secret does not decrypt under the session key, or a
// kSuccess for an unverified session, is kAuthenticationFailed (the host lied).
StatusOr<RecoveryResult> FinishRecovery(const RecoverySession& session, core::RecoverOutcome outcome,
                                        uint32_t attempts_remaining, ByteSpan encrypted_secret);

// ------------------------------------------------------------------ after a successful recovery

// DeleteRequest.proof for a verified session.
StatusOr<core::DeleteRequest> BuildDeleteRequest(const RecoverySession& session);

// Builds a new upload that replaces the active record without the account authority, proving the
// finished session. The new registration must come from a fresh StartRegistration/RegisterStart.
StatusOr<RegistrationUpload> ReregisterUpload(const RecoverySession& session,
                                              crypto::opaque::ClientRegistrationState state,
                                              ByteSpan registration_response,
                                              uint64_t registration_epoch,
                                              const RegistrationParams& params, crypto::Rng& rng);

}  // namespace keyward::client
