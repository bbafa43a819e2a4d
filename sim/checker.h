// Checkers that run OUTSIDE the simulated cores (TigerBeetle VOPR style). They see only what a
// perfect observer could: every node's applied entries, roles and terms, and what clients saw.
//
// - Election safety: at most one leader per term.
// - Committed entries never change: every node's applied chain (index → hash) agrees with the first
//   one observed, and every node's StateMachine result for an index equals the oracle's.
// - Counters: replaying the committed log through an oracle VaultModel, every user's attempts stay
//   ≤ max, change only by +1 (allowed attempt) or to 0 (success), and the KE2 releases (allowed
//   attempts) between two successful recoveries never exceed max attempts.
// - Linearizability of the client history (see CheckHistory).
//
// Thread-safety: not thread-safe; one per simulation.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/raft/raft.h"
#include "sim/vault_model.h"

namespace keyward::sim {

// One client operation as the client saw it. Times are simulation steps.
struct HistoryOp {
  uint32_t client = 0;
  uint64_t seq = 0;       // writes: the command's (client, seq); reads: 0
  bool read = false;
  uint32_t user = 0;
  uint64_t invoke = 0;
  uint64_t complete = 0;
  Result result;                      // writes
  std::optional<UserRecord> value;    // reads
  uint64_t read_at = 0;               // reads: the applied index the value was read at
};

class Checker {
 public:
  // Returns a failure description, or "" if fine.
  std::string OnLeader(raft::NodeId id, uint64_t term);
  std::string OnApplied(raft::NodeId id, const raft::Effect& fx);
  // A node restored a snapshot: its base must be a committed index with the committed hash.
  std::string OnSnapshotBase(raft::NodeId id, uint64_t index, const raft::Hash& hash);

  // Linearizability for this model, checked exactly against the order the fleet committed:
  // each write's linearization point is the FIRST committed index carrying its (client, seq);
  // each read's is just after the applied index it read at. The history is accepted iff (1) every
  // write result equals the oracle's result at its point, (2) every read value equals the oracle
  // state at its point, and (3) real time is respected: an op that completed before another was
  // invoked has a strictly earlier point (reads may share a point). This is sound (a passing
  // history is linearizable, the commit order is a witness) and, because the oracle result of
  // every write depends on the order, it is the check a Porcupine search would reduce to here.
  std::string CheckHistory(const std::vector<HistoryOp>& ops) const;

  // The oracle state after applying the committed log (for end-of-run comparisons).
  const VaultModel& oracle() const { return oracle_; }
  uint64_t committed() const { return chain_.size(); }
  uint64_t releases() const { return releases_; }
  uint64_t terms_with_leader() const { return leaders_.size(); }

 private:
  std::string Audit(uint64_t index, const Command& c, const Result& r, bool first);
  std::optional<UserRecord> OracleAt(uint32_t user, uint64_t index) const;

  std::map<uint64_t, raft::NodeId> leaders_;
  std::vector<raft::Hash> chain_;              // chain_[i-1] = hash of committed entry i
  std::map<uint64_t, Result> oracle_results_;  // by index, commands only
  std::map<std::pair<uint32_t, uint64_t>, uint64_t> first_index_;  // (client, seq) → index
  // Per user: (index, record after it) for every committed command touching the user.
  std::map<uint32_t, std::vector<std::pair<uint64_t, UserRecord>>> user_history_;
  std::map<uint32_t, uint64_t> releases_since_success_;
  uint64_t releases_ = 0;
  VaultModel oracle_;
};

}  // namespace keyward::sim
