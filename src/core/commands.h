// Vault core state-machine commands and their apply results (DESIGN.md §3–4).
//
// Every change of the core's replicated state is one Command, applied in log order by
// VaultCore::Apply. Apply is deterministic (no randomness, no clock, no keys used beyond what the
// command carries), so Raft can replicate the serialized commands and every replica reaches the
// same state. Commands are produced only by a core (VaultCore::Prepare*) after it validated the
// client's request; they carry no plaintext secret (the sealed secret is sealed under the fleet
// sealing key). A command may be stale by the time it is applied (another command was applied in
// between): Apply re-checks every precondition against the current state and reports a non-kOk
// ApplyCode without changing anything.
//
// Bytes handed to ParseCommand must come from a trusted core over an authenticated channel (Raft
// peer layer) — never from a client or host: a forged FinishLogin(success) would reset a counter.
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <variant>

#include "common/bytes.h"
#include "common/status.h"
#include "core/record.h"

namespace keyward::core {

// Upload a (new) registration: creates or replaces the user's record as kPending.
struct UploadCommand {
  Bytes user_id;
  uint64_t epoch = 0;  // must be record.epoch + 1 (or equal, with the same record: idempotent retry)
  std::array<uint8_t, crypto::opaque::kRegistrationRecordSize> opaque_record{};
  Bytes sealed_secret;  // kSealedSecretMin..kSealedSecretMax bytes
  std::array<uint8_t, kActivationCommitmentSize> activation_commitment{};
  uint8_t max_attempts = kDefaultMaxAttempts;  // 1..255
  // Replacing an kActive record needs the account authority or a finished recovery session:
  bool authority = false;
  uint64_t proof_serial = 0;  // != 0: the login serial whose session proved the password
  bool operator==(const UploadCommand&) const = default;
};

// Activate a pending record whose commitment matches SHA-256(label || activation_key).
struct ActivateCommand {
  Bytes user_id;
  std::array<uint8_t, kActivationKeySize> activation_key{};
  bool operator==(const ActivateCommand&) const = default;
};

// Count one guess (KE1) BEFORE the KE2 is released (G1). For an active record with guesses left it
// increments attempts_used and login_serial; for an active record with none left it locks the
// record (wipes the secret); for unknown, pending, locked or deleted users it changes nothing but
// is still replicated, so a fake KE2 costs the same round trip as a real one.
struct BeginLoginCommand {
  Bytes user_id;
  bool operator==(const BeginLoginCommand&) const = default;
};

// The outcome of KE3 for login `serial` of `epoch`: success resets attempts_used to 0 and marks the
// serial finished; failure changes nothing unless no guesses are left, then it locks the record.
struct FinishLoginCommand {
  Bytes user_id;
  uint64_t epoch = 0;
  uint64_t serial = 0;
  bool success = false;
  bool operator==(const FinishLoginCommand&) const = default;
};

// Destroy the record (tombstone keeps the epoch). Needs the authority or a finished session.
struct DeleteCommand {
  Bytes user_id;
  bool authority = false;
  uint64_t epoch = 0;         // with proof_serial: the session's epoch
  uint64_t proof_serial = 0;  // != 0: the login serial whose session proved the password
  bool operator==(const DeleteCommand&) const = default;
};

using Command =
    std::variant<UploadCommand, ActivateCommand, BeginLoginCommand, FinishLoginCommand, DeleteCommand>;

enum class CommandType : uint8_t {
  kUpload = 1,
  kActivate = 2,
  kBeginLogin = 3,
  kFinishLogin = 4,
  kDelete = 5,
};

Bytes SerializeCommand(const Command& command);
// Strict: exact field sizes and ranges, known type, no trailing bytes (grammar in commands.cc).
StatusOr<Command> ParseCommand(ByteSpan bytes);

enum class ApplyCode : uint8_t {
  kOk = 0,             // applied (possibly an idempotent no-op: see `changed`)
  kNoRecord = 1,       // no usable record (unknown, pending, locked or deleted, as the command needs)
  kWrongState = 2,     // record exists but its state does not allow the command
  kStale = 3,          // epoch/serial/commitment mismatch: the command was overtaken or replayed
  kLocked = 4,         // this command locked the record (no guesses left; secret wiped)
  kTableFull = 5,      // bounded record table is full
  kNotAuthorized = 6,  // replacing/deleting an active record without authority or proof
  kInvalid = 7,        // malformed command (should never come from a core)
};
const char* ApplyCodeName(ApplyCode code);

// What Apply did, deterministic and serializable (Raft returns it to the proposing core).
struct ApplyResult {
  ApplyCode code = ApplyCode::kInvalid;
  bool changed = false;                       // did the state change
  RecordState state = RecordState::kDeleted;  // the record's state after apply (kDeleted if none)
  uint64_t epoch = 0;
  uint64_t login_serial = 0;
  uint8_t attempts_used = 0;
  uint8_t max_attempts = 0;
  bool operator==(const ApplyResult&) const = default;
};

Bytes SerializeApplyResult(const ApplyResult& result);
StatusOr<ApplyResult> ParseApplyResult(ByteSpan bytes);

}  // namespace keyward::core
