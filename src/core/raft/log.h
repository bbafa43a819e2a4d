// RaftLog: the in-memory, hash-chained Raft log of one core (nothing is read from disk: a restarted
// core starts empty and heals from its peers, docs/replication.md §Healing).
//
// Entries (base, last] are held; entries ≤ base were compacted into a snapshot whose chain hash is
// base_hash. Invariants: entries[i].index == base + 1 + i; entries[i].hash chains from the previous
// entry's hash (or base_hash). Thread-safety: owned by one Raft instance.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "core/raft/types.h"

namespace keyward::raft {

class RaftLog {
 public:
  uint64_t base_index() const { return base_index_; }
  uint64_t base_term() const { return base_term_; }
  const Hash& base_hash() const { return base_hash_; }
  uint64_t last_index() const { return base_index_ + entries_.size(); }
  uint64_t last_term() const { return entries_.empty() ? base_term_ : entries_.back().term; }
  const Hash& last_hash() const { return entries_.empty() ? base_hash_ : entries_.back().hash; }

  bool Has(uint64_t index) const { return index > base_index_ && index <= last_index(); }
  // REQUIRES: Has(index).
  const Entry& At(uint64_t index) const;
  // Term / hash of any index in [base, last]; nullopt outside.
  std::optional<uint64_t> TermAt(uint64_t index) const;
  std::optional<Hash> HashAt(uint64_t index) const;

  // Appends a new entry at last_index()+1, computing its chain hash. Returns the entry.
  const Entry& AppendNew(uint64_t term, EntryType type, Bytes data);
  // Appends an entry received from a leader. REQUIRES: e.index == last_index()+1 and e.hash is the
  // chain hash over last_hash() (the caller verified it).
  void AppendVerified(Entry e);
  // Drops entries > index. REQUIRES: base <= index.
  void TruncateAfter(uint64_t index);
  // Forgets entries <= index (they are in a snapshot). REQUIRES: base <= index <= last.
  void CompactTo(uint64_t index);
  // Replaces everything with an empty log based at a snapshot.
  void ResetTo(uint64_t index, uint64_t term, const Hash& hash);

  size_t size() const { return entries_.size(); }

 private:
  uint64_t base_index_ = 0;
  uint64_t base_term_ = 0;
  Hash base_hash_{};  // genesis: all zeros
  std::deque<Entry> entries_;
};

}  // namespace keyward::raft
