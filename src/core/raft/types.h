// Vocabulary of the trusted Raft core: node ids, log entries, memberships and the StateMachine that
// Raft drives. Everything here is a plain value; no I/O, clock or threads (DESIGN.md §4, issue 6).
//
// Thread-safety: values; the StateMachine is owned by the host and called only from the Raft
// instance that drives it (one thread).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace keyward::raft {

using NodeId = uint32_t;  // 0 is "nobody"; fleet members are 1..N (the fleet manifest)
using Hash = std::array<uint8_t, 32>;
inline constexpr NodeId kNoNode = 0;

enum class EntryType : uint8_t {
  kCommand = 1,  // opaque bytes for the StateMachine
  kConfig = 2,   // an encoded Membership; takes effect when appended (Raft thesis §4.1)
  kNoop = 3,     // appended by every new leader so that entries of earlier terms commit (§5.4.2)
};

// One log entry. `hash` = SHA-256(prev_hash ‖ term ‖ index ‖ type ‖ len(data) ‖ data): the chain makes
// "same index and hash" imply "same whole prefix" (SVR2's hash-chained log).
struct Entry {
  uint64_t term = 0;
  uint64_t index = 0;
  EntryType type = EntryType::kCommand;
  Bytes data;
  Hash hash{};
  bool operator==(const Entry&) const = default;
};

Hash ChainHash(const Hash& prev, uint64_t term, uint64_t index, EntryType type, ByteSpan data);

// A member of a configuration. `incarnation` is a random number the core draws at every boot: a
// restarted core has a new one, so a vote or ack of its previous life is never confused with one
// of its current life (the restart-safety invariant, docs/replication.md §Healing).
struct Member {
  NodeId id = kNoNode;
  uint64_t incarnation = 0;
  bool voter = false;
  bool operator==(const Member&) const = default;
};

// A configuration: members sorted by id, ids unique.
struct Membership {
  std::vector<Member> members;
  bool operator==(const Membership&) const = default;

  const Member* Find(NodeId id) const;
  // True iff (id, incarnation) is a voter here.
  bool IsVoter(NodeId id, uint64_t incarnation) const;
  size_t VoterCount() const;
  // Majority of the voters (elections, read-index).
  size_t Majority() const { return VoterCount() / 2 + 1; }
  Bytes Encode() const;
  // config := u16 count ‖ count × (u32 id ‖ u64 incarnation ‖ u8 voter∈{0,1}); ids strictly increasing.
  static StatusOr<Membership> Decode(ByteSpan bytes);
};

// The replicated application. Raft calls Apply for every committed kCommand entry, in index order,
// exactly once per instance; results go back to the host as Effects. Apply must be deterministic.
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  virtual Bytes Apply(uint64_t index, ByteSpan command) = 0;
  // The whole state after the last applied entry, and its inverse (for catch-up of a healed node).
  virtual Bytes Snapshot() const = 0;
  virtual Status Restore(ByteSpan snapshot) = 0;
};

}  // namespace keyward::raft
