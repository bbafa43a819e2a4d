// FleetReplica: one node's replica of the fleet — the core's Raft (src/core/raft), its PeerChannel
// and the VaultCore as the replicated state machine — driven by a host loop thread that feeds it
// ticks from the host clock, peer envelopes (from the keyward.v1.Peer service) and client commands
// (docs/replication.md).
//
// Trust split: Raft, PeerChannel, BatchStateMachine and the VaultCore are the trusted core; the loop
// thread, the clock and the `send` callback are the untrusted host, which can only delay, drop or
// replay what the core emits (the envelopes are sealed core to core).
//
// Group commit: while max_inflight_entries entries of this leader are proposed but not yet
// committed, new commands wait; they all go into the next log entry (up to max_batch commands per
// entry) as soon as one commits. Under load an entry thus carries every command that arrived during
// one commit round trip, so the per-entry costs (sealing, peer messages, acknowledgements, thread
// wake-ups on every member) are shared by many commands; an idle leader proposes a command at once.
// A submitter's result is released only after the entry holding its command is committed and
// applied on this replica (the caller then runs the Complete* step, e.g. computes the KE2 after the
// guess was counted).
//
// Concurrency: the VaultCore is shared with the request threads through `core_mu`: Apply/Restore
// take it exclusively, Snapshot shared; the request threads run the const Prepare*/Complete* calls
// under a shared lock, so the OPAQUE crypto of many requests runs in parallel. Every other member is
// owned by the loop thread; the public methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "core/commands.h"
#include "core/raft/peer_channel.h"
#include "core/raft/raft.h"
#include "core/vault_core.h"

namespace keyward::node {

struct FleetReplicaOptions {
  raft::NodeId id = raft::kNoNode;
  std::map<raft::NodeId, raft::KxPublicKey> manifest;  // every member's identity key
  bool founder = false;
  std::chrono::milliseconds tick{10};
  uint32_t election_timeout_min_ticks = 30;  // 300..600 ms at 10 ms ticks
  uint32_t election_timeout_max_ticks = 60;
  uint32_t heartbeat_ticks = 3;
  size_t max_batch = 512;  // commands per log entry
  // Entries of this leader proposed and not yet committed before new commands are held back for
  // the next entry (group commit, above); 0: no limit (every loop turn proposes what it has).
  // 2 rather than 1: on a loaded 2-core machine 1 cut the entries per recovery by about half but
  // made p99 at half load swing (one commit round trip of waiting); 2 keeps ~20 % fewer entries.
  size_t max_inflight_entries = 2;
  // Batching window: a held-back command waits up to this long for others to share its entry
  // (proposed earlier when max_batch commands wait). 0: propose as soon as max_inflight_entries
  // allows. Only a leader holds commands back; the window bounds what a command can lose to it.
  std::chrono::microseconds batch_window{0};
  std::chrono::milliseconds commit_timeout{5000};
  // Membership (docs/replication.md §6): removals never go below min_voters (0: the manifest's
  // majority); the leader removes a member silent this long (0: never).
  uint32_t min_voters = 0;
  uint32_t remove_silent_after_ticks = 0;
};

// What a node knows about the fleet right now (a copy; may be stale the moment it is read).
struct FleetInfo {
  raft::Role role = raft::Role::kFollower;
  uint64_t term = 0;
  raft::NodeId leader = raft::kNoNode;
  uint64_t commit_index = 0;
  uint64_t applied_index = 0;
  uint32_t voters = 0;
  bool self_voter = false;
  bool ready_leader = false;  // leader whose state reflects every committed entry of earlier terms
  uint64_t incarnation = 0;
  uint64_t entries_proposed = 0;   // log entries this node proposed as leader (since start)
  uint64_t commands_proposed = 0;  // client commands in them
};

// raft::StateMachine over the VaultCore with group commit.
//   batch  := u16 count (1..4096) ‖ count × u32-prefixed SerializeCommand bytes
//   result := u16 count ‖ count × u8-prefixed SerializeApplyResult bytes
// A malformed batch applies nothing and yields an empty result.
class BatchStateMachine final : public raft::StateMachine {
 public:
  // Called after each command of a batch is applied, still under the exclusive lock and before the
  // next command: (log index, whole batch bytes, position in the batch, result).
  using AfterApply = std::function<void(uint64_t, ByteSpan, size_t, const core::ApplyResult&)>;
  BatchStateMachine(core::VaultCore& core, std::shared_mutex& core_mu) : core_(core), mu_(core_mu) {}
  void set_after_apply(AfterApply f) { after_apply_ = std::move(f); }
  Bytes Apply(uint64_t index, ByteSpan command) override;
  Bytes Snapshot() const override;
  Status Restore(ByteSpan snapshot) override;

  static Bytes EncodeBatch(const std::vector<Bytes>& commands);
  static StatusOr<std::vector<core::ApplyResult>> DecodeResults(ByteSpan bytes);

 private:
  core::VaultCore& core_;
  std::shared_mutex& mu_;
  AfterApply after_apply_;
};

// One command to replicate and what to do with its outcome.
struct FleetSubmission {
  Bytes command;  // SerializeCommand bytes from a Prepare* on this node
  // Runs on the replica thread under the core's exclusive lock right after THIS command was applied
  // (before any later command), so it sees the record exactly as the command left it: the place for
  // Bind*/Complete* (cheap steps). Must not block.
  std::function<void(const core::ApplyResult&)> applied;
  // Runs (on some thread) if the command was not committed: not the leader, leadership lost,
  // timeout or shutdown. Exactly one of `applied` and `failed` runs.
  std::function<void(const Status&)> failed;
};

class FleetReplica {
 public:
  using SendFn = std::function<void(raft::NodeId to, Bytes envelope)>;

  FleetReplica(FleetReplicaOptions options, raft::KxKeyPair identity, core::VaultCore& core,
               std::shared_mutex& core_mu, SendFn send);
  ~FleetReplica();  // stops the loop; pending submitters get kUnavailable
  FleetReplica(const FleetReplica&) = delete;
  FleetReplica& operator=(const FleetReplica&) = delete;

  void Start();
  void Stop();

  // An envelope from the peer transport (unauthenticated bytes; the core opens them).
  void Deliver(Bytes envelope);
  // Several envelopes at once (one message of a peer stream): one lock and one wake-up.
  void Deliver(std::vector<Bytes> envelopes);
  // Replicates one command. `applied` runs once its entry is committed and applied here; `failed`
  // (kUnavailable) if this node is not a ready leader, loses leadership before the entry commits,
  // or the commit takes longer than commit_timeout.
  void Submit(FleetSubmission submission);

  FleetInfo info() const;

  // Runs `fn` on the loop thread with the core's Raft and PeerChannel (membership operations:
  // Remove, a manifest update) and returns its status; kUnavailable if the loop is stopped or does
  // not get to it within `timeout`. `fn` must not block.
  using CoreFn = std::function<Status(raft::Raft&, raft::PeerChannel&)>;
  Status RunOnLoop(CoreFn fn, std::chrono::milliseconds timeout);

 private:
  struct PendingEntry {
    std::chrono::steady_clock::time_point deadline;
    Bytes batch;  // the proposed entry data: an applied entry at this index is ours iff equal
    std::vector<FleetSubmission> subs;
    bool applied = false;
  };
  void Loop();
  void ProposeBatch(std::vector<FleetSubmission>& batch);
  // When `waiting` held-back commands, the oldest of which arrived at `since`, may be proposed (see
  // group commit above): time_point::min() for at once (a full batch, not the leader, or a free
  // in-flight slot and no window), since + batch_window, or time_point::max() while the in-flight
  // entries are at their limit (an acknowledgement that commits one frees a slot).
  std::chrono::steady_clock::time_point ProposeAt(size_t waiting, std::chrono::steady_clock::time_point since) const;
  void AfterApply(uint64_t index, ByteSpan batch, size_t position, const core::ApplyResult& result);
  void Flush();
  void HandleEffects();
  static void FailAll(std::vector<FleetSubmission>& subs, const Status& status);
  void PublishInfo();

  FleetReplicaOptions opt_;
  core::VaultCore& core_;
  SendFn send_;
  crypto::BlockRng rng_;  // Raft timeouts and PeerChannel nonces
  BatchStateMachine sm_;
  std::unique_ptr<raft::Raft> raft_;            // loop thread only
  std::unique_ptr<raft::PeerChannel> channel_;  // loop thread only
  std::map<uint64_t, PendingEntry> pending_;    // loop thread only: by log index
  uint64_t entries_proposed_ = 0;               // loop thread only
  uint64_t commands_proposed_ = 0;              // loop thread only

  mutable std::mutex mu_;  // guards the inboxes, info_ and stop_
  std::condition_variable cv_;
  std::vector<Bytes> inbox_;
  std::vector<FleetSubmission> submissions_;
  std::vector<std::pair<CoreFn, std::shared_ptr<std::promise<Status>>>> controls_;
  FleetInfo info_;
  // Whether a new submission should wake the loop (set by the loop before it sleeps): not while it
  // holds back a batch that the window or the in-flight limit keeps waiting anyway.
  bool wake_on_submit_ = true;
  std::chrono::steady_clock::time_point submissions_since_;  // when submissions_ became non-empty
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace keyward::node
