// RecordTable: the vault core's replicated state and the deterministic transition function over
// it (DESIGN.md §3–4). Internal to src/core; VaultCore wraps it with the crypto.
//
// Decide(command, record) is a pure function of the command and the current record: it returns
// the ApplyResult and the record's new value (or that nothing changes). Apply = Decide + store;
// Preview = Decide without storing (what Prepare* uses to answer with a precise error before
// anything is replicated). Every G1-relevant rule lives in Decide (state_machine.cc), with the
// property it protects written next to it.
//
// Invariants: record.h; size() <= max_records. Thread-safety: none (owned by one VaultCore).
#pragma once

#include <array>
#include <map>
#include <optional>

#include "common/bytes.h"
#include "core/commands.h"
#include "core/record.h"

namespace keyward::core {

class RecordTable {
 public:
  explicit RecordTable(size_t max_records) : max_records_(max_records) {}

  ApplyResult Apply(const Command& command);
  ApplyResult Preview(const Command& command) const;

  const UserRecord* Find(ByteSpan user_id) const;
  size_t size() const { return records_.size(); }
  // SHA-256 over Snapshot().
  std::array<uint8_t, 32> Digest() const;
  void CheckInvariants() const;
  // Canonical encoding of every record (grammar in state_machine.cc), and its strict inverse: a
  // snapshot that is malformed, out of order, over the table bound or breaks a record invariant is
  // refused and the table is left unchanged.
  Bytes Snapshot() const;
  Status Restore(ByteSpan snapshot);

 private:
  struct Decision {
    ApplyResult result;
    std::optional<UserRecord> next;  // new value of the record when it changes
  };
  Decision Decide(const Command& command) const;

  size_t max_records_;
  std::map<Bytes, UserRecord, std::less<>> records_;
};

}  // namespace keyward::core
