// UserRecord: one user's entry in the vault core's replicated state (DESIGN.md §3), and the limits
// that bound it.
//
// A record is created by an upload (state kPending), becomes kActive on activation, kLocked when
// its last allowed guess failed (the sealed secret is wiped), and kDeleted (a tombstone that keeps
// only the registration epoch, so an old upload can never be replayed) on deletion.
//
// Invariants (checked by VaultCore::CheckInvariants and the fuzz target):
//   attempts_used <= max_attempts, 1 <= max_attempts <= 255;
//   state kLocked or kDeleted  =>  sealed_secret is empty;
//   state kPending or kActive  =>  sealed_secret holds kSealedSecretMin..kSealedSecretMax bytes;
//   success_serial <= login_serial; login_serial never decreases within an epoch;
//   epoch never decreases for a user id (tombstones keep it).
//
// Thread-safety: plain value.
#pragma once

#include <array>
#include <cstdint>

#include "common/bytes.h"
#include "crypto/opaque_messages.h"

namespace keyward::core {

inline constexpr size_t kMinUserIdSize = 1;
inline constexpr size_t kMaxUserIdSize = 256;
inline constexpr size_t kMinSecretSize = 1;
inline constexpr size_t kMaxSecretSize = 128;
inline constexpr uint8_t kDefaultMaxAttempts = 10;
inline constexpr size_t kActivationKeySize = 32;
inline constexpr size_t kActivationCommitmentSize = 32;
inline constexpr size_t kSealingKeySize = 32;  // the fleet sealing key given to the core
// Sealed secret at rest: nonce(24) || XChaCha20-Poly1305(secret) (secret + 16-byte tag).
inline constexpr size_t kSealedSecretMin = 24 + kMinSecretSize + 16;
inline constexpr size_t kSealedSecretMax = 24 + kMaxSecretSize + 16;

enum class RecordState : uint8_t {
  kPending = 1,  // uploaded, not yet activated: cannot be guessed against (fake KE2)
  kActive = 2,   // recoverable
  kLocked = 3,   // last allowed guess failed: secret wiped; only a new registration helps
  kDeleted = 4,  // tombstone: nothing but user_id and epoch
};
const char* RecordStateName(RecordState state);

struct UserRecord {
  Bytes user_id;
  RecordState state = RecordState::kPending;
  // Registration epoch: the client's upload names epoch + 1 (it learns the current value from
  // RegisterStart), so an upload can be applied at most once, ever (see docs/protocol.md).
  uint64_t epoch = 0;
  // Bumped by every applied command that changes this record (for digests and tests).
  uint64_t version = 0;
  std::array<uint8_t, crypto::opaque::kRegistrationRecordSize> opaque_record{};
  Bytes sealed_secret;  // nonce || ciphertext || tag, sealed under the fleet sealing key
  std::array<uint8_t, kActivationCommitmentSize> activation_commitment{};
  uint8_t max_attempts = kDefaultMaxAttempts;
  uint8_t attempts_used = 0;
  // Number of KE1s counted in this epoch (never reset); a login token names the serial it was
  // issued for, and only the newest serial can finish.
  uint64_t login_serial = 0;
  // Serial of the last login that finished successfully (0: none).
  uint64_t success_serial = 0;

  bool operator==(const UserRecord&) const = default;
};

}  // namespace keyward::core
