// VaultCore: the TRUSTED vault core (DESIGN.md §2–3) — OPAQUE server, record table, attempt
// counters — as a deterministic state machine. Pure: no sockets, files, threads or clock;
// randomness comes in as crypto::Rng&, long-term secrets through a crypto::opaque::ServerKeys handle
// and a 32-byte fleet sealing key.
//
// Two ways to drive it:
//  1. Host API (single core, what `keyward node` uses today): RegisterStart, RegisterUpload,
//     RegisterActivate, RecoverStart, RecoverFinish, Delete. Each call validates the request,
//     builds the state-machine command, applies it and answers — in that order, so a KE2 is only
//     produced after the guess was counted (G1).
//  2. Replication API (for Raft, src/core/raft): Prepare* validates a request against the current
//     state and returns a Prepared* holding the Command to replicate; the caller replicates it and
//     every replica calls Apply(command) in log order; the proposing core then calls Complete* with
//     the ApplyResult it got for its command. Apply is the ONLY function that changes state.
//
// Request fields mirror proto/keyward/v1/vault.proto; every `Bytes` input is untrusted and checked
// (sizes, group elements, AEAD). Errors: kInvalidArgument (malformed; says which field),
// kFailedPrecondition (state does not allow it), kAlreadyExists (replacing an active record without
// the authority or a proof), kPermissionDenied (bad proof or login_state), kResourceExhausted (table
// full), kAuthenticationFailed (upload does not decrypt: one uniform message). A failed call
// changes no state. A wrong password is not an error: RecoverFinishResult.outcome says so.
//
// Ownership: the ServerKeys handle is borrowed and must outlive the core; the sealing key is owned
// (wiped on destruction). Thread-safety: none — the host serializes all calls (one core, one
// thread or a mutex); const methods may run concurrently with each other only, except
// FinishRecoverStart, which may also run concurrently with Apply and every other call.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "common/bytes.h"
#include "common/status.h"
#include "core/commands.h"
#include "core/messages.h"
#include "core/record.h"
#include "crypto/opaque.h"
#include "crypto/opaque_server_keys.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace keyward::core {

struct CoreConfig {
  // Bound on the record table (tombstones included). Uploads for new users beyond it fail with
  // kResourceExhausted.
  size_t max_records = size_t{1} << 20;
  // OPAQUE context and identities (the KSF field is unused by the server). Default: empty context
  // and default identities, as @serenity-kit/opaque.
  crypto::opaque::Options opaque_options;
};

// Whether the untrusted host vouches, with the app's account credential, that the caller may act
// for the user. It lets the caller replace or delete an active record — never read one.
enum class Authority : uint8_t { kNone = 0, kAccount = 1 };

struct RegisterStartResult {
  Bytes registration_response;  // RFC 9807 RegistrationResponse (64 bytes)
  uint64_t registration_epoch = 0;  // the client uploads with epoch = this + 1
};

struct UploadRequest {
  Bytes user_id;              // 1..256 bytes
  Bytes registration_record;  // RFC 9807 RegistrationRecord (192 bytes)
  Bytes encrypted_secret;     // UploadEnvelope (messages.h)
  Bytes activation_commitment;  // 32 bytes
  uint32_t max_attempts = 0;    // 1..255; 0 = default (10)
};
struct UploadResult {
  bool already_stored = false;  // idempotent retry of the same upload: nothing changed
  uint64_t epoch = 0;
};

struct ActivateResult {
  uint32_t attempts_remaining = 0;
  bool already_active = false;  // retry after a lost reply: nothing changed, no counter reset
};

struct RecoverStartResult {
  Bytes ke2;          // 320 bytes; fake (same size and code path) for unknown/pending/locked
  Bytes login_state;  // kLoginStateSize bytes; pass back with KE3
};

// Numbering matches keyward.v1.RecoverOutcome.
enum class RecoverOutcome : uint8_t { kSuccess = 1, kWrongPassword = 2, kLocked = 3 };
const char* RecoverOutcomeName(RecoverOutcome outcome);

struct RecoverFinishResult {
  RecoverOutcome outcome = RecoverOutcome::kLocked;
  uint32_t attempts_remaining = 0;  // after this KE3; max_attempts on success
  Bytes encrypted_secret;           // on success: nonce(24) || AEAD under the session key
};

struct DeleteRequest {
  Bytes user_id;
  Bytes login_state;  // with proof: from a successfully finished recovery (no newer KE1 since)
  Bytes proof;        // DeleteProof (64 bytes), or empty with Authority::kAccount
};
struct DeleteResult {
  bool deleted = false;  // false: there was no record (nothing changed)
};

// Prepared operations: what a core holds between Prepare* and Complete* (replication API).
struct PreparedUpload {
  Command command;
  bool already_stored = false;  // no command needs applying (idempotent retry)
  uint64_t epoch = 0;
};
struct PreparedActivate {
  Command command;
};
struct PreparedRecoverStart {
  Command command;
  Bytes user_id;
  Bytes ke1;
};
// What FinishRecoverStart needs, copied out of the record table right after Apply (BindRecoverStart),
// so the KE2 can be computed without holding the host's lock.
struct BoundRecoverStart {
  Bytes user_id;
  Bytes ke1;
  // The active record's RFC 9807 RegistrationRecord iff THIS command counted the guess (G1);
  // otherwise none, and the KE2 is fake.
  std::optional<std::array<uint8_t, crypto::opaque::kRegistrationRecordSize>> record;
  uint64_t epoch = 0;
  uint64_t login_serial = 0;
};
struct PreparedRecoverFinish {
  std::optional<Command> command;  // none: nothing to replicate (failure with guesses left)
  Bytes user_id;
  RecoverFinishResult result;      // final unless success: then Complete adds the secret
  crypto::SecretBytes session_key;  // secret; empty unless the KE3 verified
};
struct PreparedDelete {
  std::optional<Command> command;  // none: nothing to delete
};

class VaultCore {
 public:
  // REQUIRES: `keys` outlives the core. `sealing_key` must be kSealingKeySize bytes.
  static StatusOr<std::unique_ptr<VaultCore>> Create(const crypto::opaque::ServerKeys& keys,
                                                     crypto::SecretBytes sealing_key,
                                                     CoreConfig config = {});
  ~VaultCore();
  VaultCore(const VaultCore&) = delete;
  VaultCore& operator=(const VaultCore&) = delete;

  // The fleet's OPAQUE server public key (what clients must have validated).
  const crypto::ristretto::ElementBytes& fleet_public_key() const;

  // ------------------------------------------------------------------ host API (single core)
  StatusOr<RegisterStartResult> RegisterStart(ByteSpan user_id, ByteSpan registration_request) const;
  StatusOr<UploadResult> RegisterUpload(const UploadRequest& request, Authority authority,
                                        crypto::Rng& rng);
  StatusOr<ActivateResult> RegisterActivate(ByteSpan user_id, ByteSpan activation_key);
  StatusOr<RecoverStartResult> RecoverStart(ByteSpan user_id, ByteSpan ke1, crypto::Rng& rng);
  StatusOr<RecoverFinishResult> RecoverFinish(ByteSpan user_id, ByteSpan login_state, ByteSpan ke3,
                                              crypto::Rng& rng);
  StatusOr<DeleteResult> Delete(const DeleteRequest& request, Authority authority);

  // ------------------------------------------------------------------ replication API
  StatusOr<PreparedUpload> PrepareUpload(const UploadRequest& request, Authority authority,
                                         crypto::Rng& rng) const;
  StatusOr<UploadResult> CompleteUpload(const PreparedUpload& prepared,
                                        const ApplyResult& applied) const;
  StatusOr<PreparedActivate> PrepareActivate(ByteSpan user_id, ByteSpan activation_key) const;
  StatusOr<ActivateResult> CompleteActivate(const ApplyResult& applied) const;
  StatusOr<PreparedRecoverStart> PrepareRecoverStart(ByteSpan user_id, ByteSpan ke1) const;
  StatusOr<RecoverStartResult> CompleteRecoverStart(const PreparedRecoverStart& prepared,
                                                    const ApplyResult& applied,
                                                    crypto::Rng& rng) const;
  // CompleteRecoverStart in two steps, for hosts that compute the KE2 outside their lock:
  // BindRecoverStart reads the record (cheap; serialize it with Apply, right after applying
  // `prepared.command`); FinishRecoverStart reads no state — only the immutable keys — and may run
  // concurrently with any other call (with a thread-safe `rng`). Same answers as
  // CompleteRecoverStart, which is Finish(Bind(...)).
  BoundRecoverStart BindRecoverStart(const PreparedRecoverStart& prepared,
                                     const ApplyResult& applied) const;
  StatusOr<RecoverStartResult> FinishRecoverStart(const BoundRecoverStart& bound,
                                                  crypto::Rng& rng) const;
  StatusOr<PreparedRecoverFinish> PrepareRecoverFinish(ByteSpan user_id, ByteSpan login_state,
                                                       ByteSpan ke3) const;
  StatusOr<RecoverFinishResult> CompleteRecoverFinish(PreparedRecoverFinish prepared,
                                                      const ApplyResult* applied,
                                                      crypto::Rng& rng) const;
  StatusOr<PreparedDelete> PrepareDelete(const DeleteRequest& request, Authority authority) const;
  StatusOr<DeleteResult> CompleteDelete(const PreparedDelete& prepared,
                                        const ApplyResult* applied) const;

  // Applies one command (deterministic; the only state change). Never fails: a command whose
  // preconditions no longer hold yields a non-kOk code and changes nothing.
  ApplyResult Apply(const Command& command);
  // Parses then applies; malformed bytes yield ApplyCode::kInvalid and change nothing.
  ApplyResult ApplySerialized(ByteSpan command_bytes);

  // ------------------------------------------------------------------ inspection
  // SHA-256 over the canonical encoding of every record (sorted by user id): equal digests mean
  // equal replicated state.
  std::array<uint8_t, 32> StateDigest() const;
  // The whole replicated state (canonical bytes; sealed secrets stay sealed) and its strict
  // inverse, for Raft catch-up of a healed core. Restore refuses a malformed snapshot or one that
  // breaks any record invariant, and then leaves the state unchanged. Snapshots must travel only
  // between cores over the authenticated peer channel.
  Bytes Snapshot() const;
  Status Restore(ByteSpan snapshot);
  const UserRecord* Find(ByteSpan user_id) const;
  size_t record_count() const;
  // KW_CHECKs every record invariant (record.h); for tests, fuzzing and the simulator.
  void CheckInvariants() const;

 private:
  struct Impl;
  explicit VaultCore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keyward::core
