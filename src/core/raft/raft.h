// Raft: the consensus core of one vault node, inside the trust boundary (DESIGN.md §4, issue 6).
//
// Pure: messages, ticks and randomness in; messages and effects out. No sockets, threads, clock or
// files. The host calls Tick() at a fixed rate, feeds authenticated peer messages to Receive()/Step(),
// and after each batch of inputs drains TakeOutbox() (messages to send, batched per peer) and
// TakeEffects() (committed commands with their StateMachine results, read-index confirmations).
//
// Protocol: Raft (Ongaro & Ousterhout) with pre-vote and leader stickiness, a SHA-256 hash-chained
// log (SVR2), pipelined batched AppendEntries, read-index reads, single-server membership changes,
// snapshots for catch-up, and an optional rollback tolerance k (commit needs majority + k voters).
// A core never trusts a disk: it boots with no state and a fresh random incarnation; a voter is the
// pair (id, incarnation), so a restarted core is a brand-new server that must be re-added by the
// leader (learner → caught up → voter). docs/replication.md states the invariants and why they hold.
//
// Thread-safety: not thread-safe; one host thread drives it. The Rng and StateMachine passed to the
// constructor must outlive it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "core/raft/log.h"
#include "core/raft/messages.h"
#include "core/raft/types.h"
#include "crypto/random.h"

namespace keyward::raft {

struct RaftOptions {
  NodeId id = kNoNode;
  std::vector<NodeId> manifest;  // every core of the fleet (including this one)
  uint32_t election_timeout_min_ticks = 10;  // randomized in [min, max) from the Rng
  uint32_t election_timeout_max_ticks = 20;
  uint32_t heartbeat_ticks = 2;
  uint32_t max_entries_per_append = 64;   // batching
  uint32_t max_inflight_appends = 4;      // pipelining bound per follower
  uint64_t snapshot_threshold = 256;      // compact when applied - base exceeds this
  uint64_t max_uncommitted_entries = 4096;  // Propose() back-pressure
  uint32_t min_voters = 1;                // removals (operator or silent) never go below this
  // Silent-member removal: the leader proposes removing a member (voter or learner) from which no
  // message of any incarnation arrived for this many ticks, never below min_voters. 0: never.
  uint32_t remove_silent_after_ticks = 0;
  uint32_t rollback_tolerance = 0;        // k: a commit needs min(voters, majority + k) acks
  bool auto_heal = true;                  // leader re-adds restarted manifest members by itself
};

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RoleName(Role r);

// Something the host must act on.
struct Effect {
  enum class Kind : uint8_t { kApplied, kReadReady, kReadFailed };
  Kind kind = Kind::kApplied;
  // kApplied: every committed entry, in index order (commands with the StateMachine's result;
  // kNoop/kConfig entries have an empty result and let the host audit the whole chain).
  uint64_t index = 0;
  uint64_t term = 0;
  EntryType entry_type = EntryType::kCommand;
  Hash hash{};
  Bytes command;
  Bytes result;
  // kReadReady: the StateMachine now reflects every write that completed before ReadIndex() was
  // called; the host may answer read `read_id` from it now. kReadFailed: leadership was lost; retry.
  uint64_t read_id = 0;
};

class Raft {
 public:
  enum class Boot : uint8_t {
    kFounder,  // creates a new fleet whose only voter is this core (the others join)
    kJoiner,   // every other boot, including every restart: no state, waits to be added
  };
  Raft(RaftOptions options, crypto::Rng& rng, StateMachine& sm, Boot boot);

  void Tick();
  // A message from the authenticated peer `authenticated_from` (PeerChannel has checked who sent
  // it). Malformed or misaddressed input is an error and changes nothing.
  Status Receive(NodeId authenticated_from, ByteSpan bytes);
  Status Step(const Message& m);

  // Leader only: appends `command`; returns its log index. The result arrives as a kApplied effect.
  StatusOr<uint64_t> Propose(Bytes command);
  // Leader only: linearizable read (read-index, Raft thesis §6.4): answered by a kReadReady effect.
  Status ReadIndex(uint64_t read_id);
  // Operator membership changes, one at a time (leader only).
  Status AddLearner(NodeId id);
  Status Promote(NodeId id);
  Status Remove(NodeId id);
  // The host replaces the fleet manifest (an operator added or removed a member identity, see
  // docs/replication.md §6). Messages from ids outside it are dropped; a listed member that is not
  // in the manifest any more stays in the configuration until removed. This core must stay listed.
  Status SetManifest(std::vector<NodeId> manifest);
  const std::vector<NodeId>& manifest() const { return opt_.manifest; }
  // Number of members this core removed for silence while leader (for tests and metrics).
  uint64_t silent_removals() const { return silent_removals_; }

  std::vector<Message> TakeOutbox();
  std::vector<Effect> TakeEffects();

  NodeId id() const { return opt_.id; }
  uint64_t incarnation() const { return incarnation_; }
  Role role() const { return role_; }
  uint64_t term() const { return current_term_; }
  NodeId leader() const { return leader_; }
  uint64_t commit_index() const { return commit_; }
  uint64_t applied_index() const { return applied_; }
  const RaftLog& log() const { return log_; }
  const Membership& config() const { return config_; }
  bool IsSelfVoter() const { return config_.IsVoter(opt_.id, incarnation_); }

 private:
  struct Progress {
    uint64_t incarnation = 0;  // whose acks these are: acks of another incarnation never count
    uint64_t next = 1;
    uint64_t match = 0;
    uint32_t inflight = 0;
    uint64_t acked_seq = 0;
    uint64_t last_ack_tick = 0;
    uint64_t last_progress_tick = 0;  // when match last advanced
    uint64_t last_snapshot_tick = 0;
    bool recent = false;  // heard from since the last check-quorum
  };
  struct PendingRead {
    uint64_t id;
    uint64_t index;
    uint64_t seq;
  };
  struct Snapshot {
    uint64_t index = 0, term = 0;
    Hash hash{}, digest{};
    Membership config;
    Bytes data;
  };

  // raft.cc: roles and elections
  void BecomeFollower(uint64_t term, NodeId leader);
  void BecomeLeader();
  void StartPreVote();
  void StartElection();
  void ResetElectionTimer();
  bool LogUpToDate(const Message& m) const;
  void HandlePreVote(const Message& m);
  void HandleVote(const Message& m);
  void HandleVoteReply(const Message& m, bool pre);
  size_t CountVotes() const;
  void CheckQuorum();
  Message NewMessage(MessageType type, NodeId to) const;
  // Only manifest members are ever addressed (a configuration may list a member whose identity
  // this core does not know yet, e.g. one added by `keyward fleet add` while this core was down).
  void Send(Message m) {
    if (InManifest(m.to)) outbox_.push_back(std::move(m));
  }
  bool InManifest(NodeId id) const;
  // raft_replication.cc: log replication, commit, apply, snapshots, reads
  void Replicate(NodeId peer, bool heartbeat);
  void BroadcastHeartbeat();
  void SendSnapshot(NodeId peer, Progress& pr);
  Status HandleAppend(const Message& m);
  Status HandleSnapshot(const Message& m);
  void HandleAppendReply(const Message& m);
  Progress* ProgressFor(const Message& m);
  void MaybeCommit();
  size_t CommitQuorum() const;
  void ApplyCommitted();
  void MaybeCompact();
  void AdvanceReads();
  void FailReads();
  // raft_membership.cc
  void RecomputeConfig();
  Membership ConfigAt(uint64_t index) const;
  void OnConfigChanged();
  Status ProposeConfig(Membership next);
  bool CanChangeConfig() const;
  void MaybeHeal();
  void MaybeRemoveSilent();
  void ObserveIncarnation(const Message& m);

  RaftOptions opt_;
  crypto::Rng& rng_;
  StateMachine& sm_;
  uint64_t incarnation_ = 0;

  // Volatile state only: nothing here survives a restart, by design.
  uint64_t current_term_ = 0;
  NodeId voted_for_ = kNoNode;
  Role role_ = Role::kFollower;
  NodeId leader_ = kNoNode;
  uint64_t ticks_ = 0;
  uint64_t election_elapsed_ = 0;
  uint64_t election_timeout_ = 0;
  uint64_t heartbeat_elapsed_ = 0;
  std::set<std::pair<NodeId, uint64_t>> votes_;  // (id, incarnation) that granted

  RaftLog log_;
  uint64_t commit_ = 0;
  uint64_t applied_ = 0;
  Membership config_;           // latest configuration in the log (used even if uncommitted)
  uint64_t config_index_ = 0;   // its index (≤ base: from the snapshot)
  Membership snapshot_config_;  // configuration at log_.base_index()
  std::optional<Snapshot> snapshot_;

  std::map<NodeId, Progress> progress_;  // leader only: every member but self
  uint64_t seq_ = 0;                     // leader's heartbeat round for read-index
  std::deque<PendingRead> reads_;
  // id -> incarnation -> last tick a message of it arrived (a few recent incarnations per id),
  // and the first tick of the current run of messages from it.
  std::map<NodeId, std::map<uint64_t, uint64_t>> observed_;
  std::map<std::pair<NodeId, uint64_t>, uint64_t> observed_since_;
  // (id, incarnation) -> highest heartbeat round (seq_) it echoed to this leader in this term: the
  // proof that the incarnation is alive now. A late or replayed reply of a dead life echoes an old
  // round, so it can never evict the live incarnation of a voter (simulator seed 1004777).
  std::map<std::pair<NodeId, uint64_t>, uint64_t> echoed_seq_;
  uint64_t leader_since_tick_ = 0;
  std::map<NodeId, std::set<uint64_t>> retired_;              // incarnations replaced by healing
  uint64_t silent_removals_ = 0;

  std::vector<Message> outbox_;
  std::vector<Effect> effects_;
};

}  // namespace keyward::raft
