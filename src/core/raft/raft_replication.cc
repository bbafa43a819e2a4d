// Log replication (batched, pipelined, hash-chain checked), commit, apply, snapshots, read-index.
#include <algorithm>
#include <optional>
#include <string>

#include "common/check.h"
#include "core/raft/raft.h"
#include "crypto/hash.h"

namespace keyward::raft {

void Raft::BroadcastHeartbeat() {
  ++seq_;
  for (auto& [peer, pr] : progress_) {
    // Entries sent but not acknowledged for two heartbeats were probably lost: rewind to the last
    // known match and resend from there (followers ignore what they already have). Progress, not
    // mere acks, is the test: heartbeat acks keep coming while a lost batch is never re-sent.
    if (pr.next > pr.match + 1 && ticks_ - pr.last_progress_tick >= 2ull * opt_.heartbeat_ticks) {
      pr.next = pr.match + 1;
      pr.inflight = 0;
    }
    Replicate(peer, /*heartbeat=*/true);
  }
  AdvanceReads();  // a fleet of one confirms reads by itself
}

void Raft::Replicate(NodeId peer, bool heartbeat) {
  Progress& pr = progress_.at(peer);
  if (pr.next <= log_.base_index()) return SendSnapshot(peer, pr);
  if (pr.next <= log_.last_index() && pr.inflight < opt_.max_inflight_appends) {
    Message m = NewMessage(MessageType::kAppend, peer);
    m.prev_index = pr.next - 1;
    m.prev_hash = *log_.HashAt(m.prev_index);
    m.commit = commit_;
    m.seq = seq_;
    uint64_t end = std::min<uint64_t>(log_.last_index(), pr.next + opt_.max_entries_per_append - 1);
    for (uint64_t i = pr.next; i <= end; ++i) m.entries.push_back(log_.At(i));
    pr.next = end + 1;  // optimistic: pipelining does not wait for the ack
    ++pr.inflight;
    return Send(std::move(m));
  }
  if (!heartbeat) return;
  // Heartbeat anchored at the last known match, so that it never fails for in-flight entries.
  uint64_t prev = std::max(pr.match, log_.base_index());
  if (prev >= pr.next) prev = pr.next - 1;
  Message m = NewMessage(MessageType::kAppend, peer);
  m.prev_index = prev;
  m.prev_hash = *log_.HashAt(prev);
  m.commit = commit_;
  m.seq = seq_;
  Send(std::move(m));
}

void Raft::SendSnapshot(NodeId peer, Progress& pr) {
  KW_CHECK(snapshot_.has_value() && snapshot_->index == log_.base_index());
  if (pr.last_snapshot_tick != 0 && ticks_ - pr.last_snapshot_tick < 2ull * opt_.heartbeat_ticks) return;
  pr.last_snapshot_tick = ticks_;
  Message m = NewMessage(MessageType::kSnapshot, peer);
  m.snap_index = snapshot_->index;
  m.snap_term = snapshot_->term;
  m.snap_hash = snapshot_->hash;
  m.snap_digest = snapshot_->digest;
  m.snap_config = snapshot_->config;
  m.snap_data = snapshot_->data;
  m.seq = seq_;
  Send(std::move(m));
}

// Follower side of AppendEntries. Checks, in order: term (done by Step), the leader's previous
// entry hash (Log Matching via the hash chain), the chain over every new entry, and never
// truncating a committed entry (State Machine Safety). Replies only after storing: the ack is a
// promise that this core holds the entries (SVR2's promise-then-commit).
Status Raft::HandleAppend(const Message& m) {
  Message reply = NewMessage(MessageType::kAppendReply, m.from);
  reply.seq = m.seq;
  if (m.term < current_term_) {
    Send(std::move(reply));  // stale leader: our term in the reply makes it step down
    return Status::Ok();
  }
  if (role_ == Role::kLeader) {
    return InvalidArgument("AppendEntries from another leader of our own term; dropped");
  }
  if (role_ != Role::kFollower || leader_ != m.from) BecomeFollower(current_term_, m.from);
  voted_for_ = m.from;  // knowing the leader of this term, never vote for anyone else in it
  election_elapsed_ = 0;
  // Skip entries we compacted: everything ≤ base is committed, hence identical on every leader.
  uint64_t prev = m.prev_index;
  Hash prev_hash = m.prev_hash;
  size_t skip = 0;
  if (prev < log_.base_index()) {
    skip = std::min<size_t>(m.entries.size(), log_.base_index() - prev);
    if (skip > 0 && m.entries[skip - 1].index == log_.base_index() &&
        m.entries[skip - 1].hash == log_.base_hash()) {
      prev = log_.base_index();
      prev_hash = log_.base_hash();
    } else {
      reply.match_index = commit_;  // hint: resend from our commit point
      Send(std::move(reply));
      return Status::Ok();
    }
  }
  if (prev > log_.last_index() || *log_.HashAt(prev) != prev_hash) {
    reply.match_index = std::min(commit_, log_.last_index());
    Send(std::move(reply));
    return Status::Ok();
  }
  // Verify the whole chain before changing anything.
  Hash h = prev_hash;
  for (size_t i = skip; i < m.entries.size(); ++i) {
    const Entry& e = m.entries[i];
    if (e.index != prev + 1 + (i - skip) || e.term > m.term ||
        ChainHash(h, e.term, e.index, e.type, e.data) != e.hash) {
      return InvalidArgument("AppendEntries breaks the hash chain at index " + std::to_string(e.index) +
                             "; the leader's log is corrupt or the message was altered; dropped");
    }
    h = e.hash;
  }
  bool config_touched = false;
  for (size_t i = skip; i < m.entries.size(); ++i) {
    const Entry& e = m.entries[i];
    if (log_.Has(e.index)) {
      if (log_.At(e.index).hash == e.hash) continue;
      if (e.index <= commit_) {
        return InvalidArgument("AppendEntries conflicts with committed index " + std::to_string(e.index) +
                               "; dropped");
      }
      if (config_index_ >= e.index) config_touched = true;
      log_.TruncateAfter(e.index - 1);
    }
    if (e.type == EntryType::kConfig) {
      if (!Membership::Decode(e.data).ok()) return InvalidArgument("undecodable config entry; dropped");
      config_touched = true;
    }
    log_.AppendVerified(e);
  }
  if (config_touched) RecomputeConfig();
  uint64_t last_new = prev + (m.entries.size() - skip);
  // Commit only what we verified matches the leader (Log Matching), never backwards.
  commit_ = std::max(commit_, std::min(m.commit, last_new));
  reply.granted = true;
  reply.match_index = last_new;
  Send(std::move(reply));
  ApplyCommitted();
  return Status::Ok();
}

Status Raft::HandleSnapshot(const Message& m) {
  Message reply = NewMessage(MessageType::kSnapshotReply, m.from);
  if (m.term < current_term_) {
    Send(std::move(reply));
    return Status::Ok();
  }
  if (role_ == Role::kLeader) return InvalidArgument("snapshot from another leader of our term; dropped");
  if (role_ != Role::kFollower || leader_ != m.from) BecomeFollower(current_term_, m.from);
  voted_for_ = m.from;
  election_elapsed_ = 0;
  if (crypto::Sha256(m.snap_data) != m.snap_digest) {
    return InvalidArgument("snapshot digest mismatch; the transfer was altered; dropped");
  }
  std::optional<Hash> held = log_.HashAt(m.snap_index);
  if (m.snap_index > commit_ && held.has_value() && *held == m.snap_hash) {
    // We already hold the snapshot's last entry (a late or duplicated snapshot): keep the entries
    // after it, as the Raft paper's InstallSnapshot step 6 says. We may have acknowledged them, so
    // discarding them could un-store an entry the leader counted towards a commit (simulator seed
    // 127203: a late snapshot truncated an acknowledged entry, and the core then won an election
    // without it). The matching hash proves our prefix is the committed one: commit it and apply
    // from our own log.
    commit_ = m.snap_index;
    ApplyCommitted();
  } else if (m.snap_index > commit_) {
    RETURN_IF_ERROR(sm_.Restore(m.snap_data).WithContext("restoring snapshot"));
    log_.ResetTo(m.snap_index, m.snap_term, m.snap_hash);
    commit_ = applied_ = m.snap_index;
    snapshot_config_ = m.snap_config;
    snapshot_ = Snapshot{m.snap_index, m.snap_term, m.snap_hash, m.snap_digest, m.snap_config, m.snap_data};
    RecomputeConfig();
  }
  reply.match_index = commit_;
  Send(std::move(reply));
  return Status::Ok();
}

Raft::Progress* Raft::ProgressFor(const Message& m) {
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return nullptr;
  Progress& pr = it->second;
  if (pr.incarnation != m.from_incarnation) {
    // A different life of that core: what the old one stored is gone. Start over; its acks count
    // for nothing until the configuration lists this incarnation.
    pr = Progress{};
    pr.incarnation = m.from_incarnation;
    pr.next = log_.last_index() + 1;
  }
  return &pr;
}

void Raft::HandleAppendReply(const Message& m) {
  if (role_ != Role::kLeader || m.term != current_term_) return;
  if (m.type == MessageType::kAppendReply && m.seq <= seq_ && observed_[m.from].count(m.from_incarnation)) {
    uint64_t& echoed = echoed_seq_[{m.from, m.from_incarnation}];
    echoed = std::max(echoed, m.seq);
  }
  Progress* pr = ProgressFor(m);
  if (pr == nullptr) return;
  pr->recent = true;
  pr->last_ack_tick = ticks_;
  if (m.type == MessageType::kAppendReply) pr->acked_seq = std::max(pr->acked_seq, m.seq);
  if (m.granted || m.type == MessageType::kSnapshotReply) {
    if (m.match_index > log_.last_index()) return;  // impossible from an honest follower
    if (m.match_index > pr->match) pr->last_progress_tick = ticks_;
    pr->match = std::max(pr->match, m.match_index);
    pr->next = std::max(pr->next, pr->match + 1);
    if (pr->inflight > 0) --pr->inflight;
    if (m.type == MessageType::kSnapshotReply) pr->inflight = 0;
    MaybeCommit();
  } else {
    // Rejected: rewind to the follower's hint (its commit point or log end) and resend.
    pr->next = std::max<uint64_t>(1, std::min(pr->next, m.match_index + 1));
    pr->match = std::min(pr->match, m.match_index);
    pr->inflight = 0;
  }
  AdvanceReads();
  if (role_ == Role::kLeader && progress_.count(m.from)) Replicate(m.from, /*heartbeat=*/false);
}

size_t Raft::CommitQuorum() const {
  return std::min(config_.VoterCount(), config_.Majority() + opt_.rollback_tolerance);
}

// Leader commit rule: an entry of the CURRENT term is committed once a commit quorum of voters
// (by incarnation) has stored it; earlier entries commit with it (Raft §5.4.2 — counting replicas
// of an older-term entry is unsafe, Figure 8).
void Raft::MaybeCommit() {
  for (uint64_t n = log_.last_index(); n > commit_; --n) {
    if (log_.At(n).term != current_term_) break;
    size_t acks = IsSelfVoter() ? 1 : 0;
    for (const auto& [peer, pr] : progress_) {
      if (pr.match >= n && config_.IsVoter(peer, pr.incarnation)) ++acks;
    }
    if (acks >= CommitQuorum() && acks > 0) {
      commit_ = n;
      ApplyCommitted();
      return;
    }
  }
}

void Raft::ApplyCommitted() {
  while (applied_ < commit_) {
    ++applied_;
    const Entry& e = log_.At(applied_);
    Effect fx;
    fx.kind = Effect::Kind::kApplied;
    fx.index = e.index;
    fx.term = e.term;
    fx.entry_type = e.type;
    fx.hash = e.hash;
    fx.command = e.data;
    if (e.type == EntryType::kCommand) fx.result = sm_.Apply(e.index, e.data);
    effects_.push_back(std::move(fx));
  }
  // A leader that committed a configuration without itself as voter hands over (thesis §4.2.2).
  if (role_ == Role::kLeader && config_index_ <= commit_ && !IsSelfVoter()) {
    BecomeFollower(current_term_, kNoNode);
  }
  MaybeCompact();
  AdvanceReads();
}

void Raft::MaybeCompact() {
  if (applied_ - log_.base_index() <= opt_.snapshot_threshold) return;
  Snapshot s;
  s.index = applied_;
  s.term = *log_.TermAt(applied_);
  s.hash = *log_.HashAt(applied_);
  s.config = ConfigAt(applied_);
  s.data = sm_.Snapshot();
  s.digest = crypto::Sha256(s.data);
  snapshot_config_ = s.config;
  log_.CompactTo(applied_);
  snapshot_ = std::move(s);
}

Status Raft::ReadIndex(uint64_t read_id) {
  if (role_ != Role::kLeader) {
    return FailedPrecondition("not the leader (leader hint " + std::to_string(leader_) + "); retry there");
  }
  if (log_.TermAt(commit_) != current_term_) {
    return Unavailable("new leader has not committed an entry of its term yet; retry shortly");
  }
  reads_.push_back(PendingRead{read_id, commit_, seq_ + 1});
  BroadcastHeartbeat();  // increments seq_ to the read's round
  return Status::Ok();
}

// A read is confirmed once a majority of voters acked a heartbeat round sent after the read
// arrived (so no newer leader existed then); it is answered once applied ≥ its read index.
void Raft::AdvanceReads() {
  if (role_ != Role::kLeader) return;
  while (!reads_.empty()) {
    const PendingRead& r = reads_.front();
    size_t acks = IsSelfVoter() ? 1 : 0;
    for (const auto& [peer, pr] : progress_) {
      if (pr.acked_seq >= r.seq && config_.IsVoter(peer, pr.incarnation)) ++acks;
    }
    if (acks < config_.Majority() || applied_ < r.index) return;
    Effect fx;
    fx.kind = Effect::Kind::kReadReady;
    fx.read_id = r.id;
    fx.index = r.index;
    effects_.push_back(std::move(fx));
    reads_.pop_front();
  }
}

void Raft::FailReads() {
  for (const PendingRead& r : reads_) {
    Effect fx;
    fx.kind = Effect::Kind::kReadFailed;
    fx.read_id = r.id;
    effects_.push_back(std::move(fx));
  }
  reads_.clear();
}

StatusOr<uint64_t> Raft::Propose(Bytes command) {
  if (role_ != Role::kLeader) {
    return FailedPrecondition("not the leader (leader hint " + std::to_string(leader_) + "); retry there");
  }
  if (command.size() > kMaxEntryBytes) return InvalidArgument("command larger than 1 MiB");
  if (log_.last_index() - commit_ >= opt_.max_uncommitted_entries) {
    return ResourceExhausted("too many uncommitted commands; retry after the fleet catches up");
  }
  const Entry& e = log_.AppendNew(current_term_, EntryType::kCommand, std::move(command));
  uint64_t index = e.index;
  MaybeCommit();  // a fleet of one commits at once
  return index;
}

}  // namespace keyward::raft
