#include "core/state_machine.h"

#include <sodium.h>

#include <type_traits>

#include "core/protocol_crypto.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::core {
namespace {

void WipeBytes(Bytes& b) {
  if (!b.empty()) sodium_memzero(b.data(), b.size());
  b.clear();
}

bool ValidUserId(const Bytes& user_id) {
  return user_id.size() >= kMinUserIdSize && user_id.size() <= kMaxUserIdSize;
}

ApplyResult ResultFor(ApplyCode code, bool changed, const UserRecord* r) {
  ApplyResult a;
  a.code = code;
  a.changed = changed;
  if (r != nullptr) {
    a.state = r->state;
    a.epoch = r->epoch;
    a.login_serial = r->login_serial;
    a.attempts_used = r->attempts_used;
    a.max_attempts = r->max_attempts;
  }
  return a;
}

// Destroys a record's secret material (G1: a record without guesses left must be useless to
// everyone, including a later correct password).
UserRecord Locked(const UserRecord& r) {
  UserRecord n = r;
  WipeBytes(n.sealed_secret);
  n.opaque_record.fill(0);
  n.state = RecordState::kLocked;
  n.version = r.version + 1;
  return n;
}

UserRecord Tombstone(const UserRecord& r) {
  UserRecord n;
  n.user_id = r.user_id;
  n.state = RecordState::kDeleted;
  n.epoch = r.epoch;  // kept forever: an old upload can never be applied again
  n.version = r.version + 1;
  n.max_attempts = r.max_attempts;
  return n;
}

// A finished recovery session `serial` proves the password for this record iff it is the newest
// login of the current epoch and it succeeded (no KE1 counted since).
bool SessionProves(const UserRecord& r, uint64_t epoch, uint64_t serial) {
  return r.state == RecordState::kActive && serial != 0 && epoch == r.epoch &&
         serial == r.success_serial && serial == r.login_serial;
}

}  // namespace

const UserRecord* RecordTable::Find(ByteSpan user_id) const {
  auto it = records_.find(Bytes(user_id.begin(), user_id.end()));
  return it == records_.end() ? nullptr : &it->second;
}

RecordTable::Decision RecordTable::Decide(const Command& command) const {
  return std::visit(
      [this](const auto& c) -> Decision {
        using T = std::decay_t<decltype(c)>;
        if (!ValidUserId(c.user_id)) return {ResultFor(ApplyCode::kInvalid, false, nullptr), {}};
        const UserRecord* r = Find(c.user_id);

        if constexpr (std::is_same_v<T, UploadCommand>) {
          if (c.max_attempts == 0 || c.sealed_secret.size() < kSealedSecretMin ||
              c.sealed_secret.size() > kSealedSecretMax) {
            return {ResultFor(ApplyCode::kInvalid, false, r), {}};
          }
          if (r != nullptr && c.epoch == r->epoch && r->opaque_record == c.opaque_record &&
              r->activation_commitment == c.activation_commitment &&
              (r->state == RecordState::kPending || r->state == RecordState::kActive)) {
            // Retried upload after a lost reply: changes nothing (never resets a counter).
            return {ResultFor(ApplyCode::kOk, false, r), {}};
          }
          const uint64_t current_epoch = r == nullptr ? 0 : r->epoch;
          // Each epoch is usable once, ever (tombstones keep it): a replayed upload — even with
          // the account authority — can never recreate a record with a fresh counter (G1).
          if (c.epoch != current_epoch + 1) return {ResultFor(ApplyCode::kStale, false, r), {}};
          if (r == nullptr && records_.size() >= max_records_) {
            return {ResultFor(ApplyCode::kTableFull, false, r), {}};
          }
          // Replacing an active record resets its counter: only the account authority (which
          // destroys the old secret, never reads it) or a proven recovery session may do it.
          if (r != nullptr && r->state == RecordState::kActive && !c.authority &&
              !SessionProves(*r, r->epoch, c.proof_serial)) {
            return {ResultFor(ApplyCode::kNotAuthorized, false, r), {}};
          }
          UserRecord n;
          n.user_id = c.user_id;
          n.state = RecordState::kPending;
          n.epoch = c.epoch;
          n.version = r == nullptr ? 1 : r->version + 1;
          n.opaque_record = c.opaque_record;
          n.sealed_secret = c.sealed_secret;
          n.activation_commitment = c.activation_commitment;
          n.max_attempts = c.max_attempts;
          return {ResultFor(ApplyCode::kOk, true, &n), n};
        } else if constexpr (std::is_same_v<T, ActivateCommand>) {
          if (r == nullptr || r->state == RecordState::kDeleted) {
            return {ResultFor(ApplyCode::kNoRecord, false, r), {}};
          }
          const auto commitment = ActivationCommitment(c.activation_key);
          if (!crypto::SecretBytes::ConstantTimeEquals(commitment, r->activation_commitment)) {
            return {ResultFor(ApplyCode::kStale, false, r), {}};
          }
          if (r->state == RecordState::kActive) {
            // Retried activation after a lost reply: no change, and above all no counter reset.
            return {ResultFor(ApplyCode::kOk, false, r), {}};
          }
          if (r->state != RecordState::kPending) return {ResultFor(ApplyCode::kWrongState, false, r), {}};
          UserRecord n = *r;
          n.state = RecordState::kActive;
          n.attempts_used = 0;  // a pending record was never guessable, so nothing is lost
          n.version = r->version + 1;
          return {ResultFor(ApplyCode::kOk, true, &n), n};
        } else if constexpr (std::is_same_v<T, BeginLoginCommand>) {
          if (r == nullptr || r->state != RecordState::kActive) {
            // Unknown, pending, locked, deleted: replicated like a real guess, no change.
            return {ResultFor(ApplyCode::kNoRecord, false, r), {}};
          }
          if (r->attempts_used >= r->max_attempts) {
            // No guesses left: destroy now; the caller answers with a fake KE2.
            UserRecord n = Locked(*r);
            return {ResultFor(ApplyCode::kLocked, true, &n), n};
          }
          // G1: the guess is counted here, before any KE2 for it exists.
          UserRecord n = *r;
          n.attempts_used = static_cast<uint8_t>(r->attempts_used + 1);
          n.login_serial = r->login_serial + 1;
          n.version = r->version + 1;
          return {ResultFor(ApplyCode::kOk, true, &n), n};
        } else if constexpr (std::is_same_v<T, FinishLoginCommand>) {
          if (r == nullptr || r->state == RecordState::kDeleted || r->state == RecordState::kPending) {
            return {ResultFor(ApplyCode::kNoRecord, false, r), {}};
          }
          if (r->state == RecordState::kLocked) return {ResultFor(ApplyCode::kLocked, false, r), {}};
          // Only the newest, unfinished login of this epoch may finish: a held-back or replayed
          // KE3 cannot reset a counter that newer guesses have used (G1).
          if (c.epoch != r->epoch || c.serial != r->login_serial || c.serial <= r->success_serial) {
            return {ResultFor(ApplyCode::kStale, false, r), {}};
          }
          if (c.success) {
            UserRecord n = *r;
            n.attempts_used = 0;
            n.success_serial = c.serial;
            n.version = r->version + 1;
            return {ResultFor(ApplyCode::kOk, true, &n), n};
          }
          if (r->attempts_used >= r->max_attempts) {
            UserRecord n = Locked(*r);
            return {ResultFor(ApplyCode::kLocked, true, &n), n};
          }
          return {ResultFor(ApplyCode::kOk, false, r), {}};
        } else {
          static_assert(std::is_same_v<T, DeleteCommand>);
          if (r == nullptr || r->state == RecordState::kDeleted) {
            return {ResultFor(ApplyCode::kNoRecord, false, r), {}};
          }
          if (!c.authority && !SessionProves(*r, c.epoch, c.proof_serial)) {
            return {ResultFor(ApplyCode::kNotAuthorized, false, r), {}};
          }
          UserRecord n = Tombstone(*r);
          return {ResultFor(ApplyCode::kOk, true, &n), n};
        }
      },
      command);
}

ApplyResult RecordTable::Preview(const Command& command) const { return Decide(command).result; }

ApplyResult RecordTable::Apply(const Command& command) {
  Decision d = Decide(command);
  if (d.next.has_value()) {
    Bytes key = d.next->user_id;
    auto it = records_.find(key);
    if (it == records_.end()) {
      KW_CHECK(records_.size() < max_records_);
      records_.emplace(std::move(key), std::move(*d.next));
    } else {
      WipeBytes(it->second.sealed_secret);  // the old sealed secret never lingers in memory
      it->second = std::move(*d.next);
    }
  }
  return d.result;
}

namespace {

// Why a record breaks an invariant of record.h, or OK.
Status ValidateRecord(const UserRecord& r) {
  if (!ValidUserId(r.user_id)) return InvalidArgument("record: user id must be 1..256 bytes");
  if (r.max_attempts < 1 || r.attempts_used > r.max_attempts) {
    return InvalidArgument("record: attempts_used must be <= max_attempts, max_attempts >= 1");
  }
  if (r.success_serial > r.login_serial || r.epoch < 1) {
    return InvalidArgument("record: success_serial > login_serial or epoch 0");
  }
  switch (r.state) {
    case RecordState::kPending:
      if (r.attempts_used != 0 || r.login_serial != 0) {
        return InvalidArgument("record: a pending record cannot have counted guesses");
      }
      [[fallthrough]];
    case RecordState::kActive:
      if (r.sealed_secret.size() < kSealedSecretMin || r.sealed_secret.size() > kSealedSecretMax) {
        return InvalidArgument("record: sealed secret must be 41..168 bytes");
      }
      return Status::Ok();
    case RecordState::kLocked:
    case RecordState::kDeleted:
      if (!r.sealed_secret.empty()) {
        return InvalidArgument("record: a locked or deleted record must hold no secret");
      }
      return Status::Ok();
  }
  return InvalidArgument("record: unknown state");
}

void WriteRecord(wire::Writer& w, const UserRecord& r) {
  w.U16Prefixed(r.user_id).U8(static_cast<uint8_t>(r.state)).U64(r.epoch).U64(r.version);
  w.Bytes(r.opaque_record).U8Prefixed(r.sealed_secret).Bytes(r.activation_commitment);
  w.U8(r.max_attempts).U8(r.attempts_used).U64(r.login_serial).U64(r.success_serial);
}

bool ReadRecord(wire::Reader& rd, UserRecord* r) {
  ByteSpan id, sealed;
  uint8_t state = 0;
  if (!rd.U16Prefixed(&id) || !rd.U8(&state) || state < 1 || state > 4 || !rd.U64(&r->epoch) ||
      !rd.U64(&r->version) || !rd.Fixed(&r->opaque_record) || !rd.U8Prefixed(&sealed) ||
      !rd.Fixed(&r->activation_commitment) || !rd.U8(&r->max_attempts) ||
      !rd.U8(&r->attempts_used) || !rd.U64(&r->login_serial) || !rd.U64(&r->success_serial)) {
    return false;
  }
  r->user_id.assign(id.begin(), id.end());
  r->state = static_cast<RecordState>(state);
  r->sealed_secret.assign(sealed.begin(), sealed.end());
  return true;
}

constexpr uint8_t kSnapshotVersion = 1;

}  // namespace

Bytes RecordTable::Snapshot() const {
  wire::Writer w(records_.size() * 330 + 9);
  w.U8(kSnapshotVersion).U64(records_.size());
  for (const auto& [id, r] : records_) WriteRecord(w, r);
  return w.Take();
}

// Snapshot grammar:
//   uint8 version = 1; uint64 count (<= max_records);
//   count x { user_id<1..256> (u16); uint8 state (1..4); uint64 epoch; uint64 version;
//             uint8 opaque_record[192]; opaque sealed_secret<0..255> (u8); uint8 commitment[32];
//             uint8 max_attempts; uint8 attempts_used; uint64 login_serial; uint64 success_serial; }
//   records strictly increasing by user_id; each satisfies record.h's invariants; nothing after.
Status RecordTable::Restore(ByteSpan snapshot) {
  wire::Reader rd(snapshot);
  uint8_t version = 0;
  uint64_t count = 0;
  if (!rd.U8(&version) || version != kSnapshotVersion || !rd.U64(&count)) {
    return InvalidArgument("core snapshot: bad header (expected version 1 and a record count)");
  }
  if (count > max_records_) return ResourceExhausted("core snapshot: more records than max_records");
  std::map<Bytes, UserRecord, std::less<>> records;
  for (uint64_t i = 0; i < count; ++i) {
    UserRecord r;
    if (!ReadRecord(rd, &r)) return InvalidArgument("core snapshot: truncated or malformed record");
    RETURN_IF_ERROR(ValidateRecord(r).WithContext("core snapshot"));
    if (!records.empty() && !(records.rbegin()->first < r.user_id)) {
      return InvalidArgument("core snapshot: records out of order or duplicated");
    }
    Bytes key = r.user_id;
    records.emplace_hint(records.end(), std::move(key), std::move(r));
  }
  if (!rd.Finish()) return InvalidArgument("core snapshot: trailing bytes");
  for (auto& [id, r] : records_) WipeBytes(r.sealed_secret);
  records_ = std::move(records);
  return Status::Ok();
}

std::array<uint8_t, 32> RecordTable::Digest() const {
  return crypto::Sha256({AsBytes("keyward core state v1"), Snapshot()});
}

void RecordTable::CheckInvariants() const {
  KW_CHECK(records_.size() <= max_records_);
  for (const auto& [id, r] : records_) {
    KW_CHECK(id == r.user_id);
    KW_CHECK(ValidateRecord(r).ok());
  }
}

}  // namespace keyward::core
