// Roles, ticks and elections. Replication is in raft_replication.cc, membership in
// raft_membership.cc.
#include "core/raft/raft.h"

#include <algorithm>
#include <string>

#include "common/check.h"

namespace keyward::raft {

const char* RoleName(Role r) {
  switch (r) {
    case Role::kFollower: return "follower";
    case Role::kPreCandidate: return "pre-candidate";
    case Role::kCandidate: return "candidate";
    case Role::kLeader: return "leader";
  }
  return "?";
}

namespace {
uint64_t RandomU64(crypto::Rng& rng) {
  auto b = rng.Array<8>();
  uint64_t v = 0;
  for (uint8_t x : b) v = (v << 8) | x;
  return v;
}
}  // namespace

Raft::Raft(RaftOptions options, crypto::Rng& rng, StateMachine& sm, Boot boot)
    : opt_(std::move(options)), rng_(rng), sm_(sm) {
  KW_CHECK(opt_.id != kNoNode && InManifest(opt_.id));
  KW_CHECK(opt_.election_timeout_min_ticks > opt_.heartbeat_ticks);
  KW_CHECK(opt_.election_timeout_max_ticks > opt_.election_timeout_min_ticks);
  KW_CHECK(opt_.max_inflight_appends >= 1 && opt_.max_entries_per_append >= 1);
  // A fresh incarnation per boot: the restart-safety invariant rests on it never repeating.
  do incarnation_ = RandomU64(rng_); while (incarnation_ == 0);
  ResetElectionTimer();
  if (boot == Boot::kFounder) {
    // Term 1 holds only the founding configuration; the founder is its only voter, so it is the
    // leader of term 1 without an election (a quorum of one).
    current_term_ = 1;
    voted_for_ = opt_.id;
    Membership founding;
    founding.members.push_back(Member{opt_.id, incarnation_, true});
    log_.AppendNew(current_term_, EntryType::kConfig, founding.Encode());
    RecomputeConfig();
    BecomeLeader();
  }
}

bool Raft::InManifest(NodeId id) const {
  return std::find(opt_.manifest.begin(), opt_.manifest.end(), id) != opt_.manifest.end();
}

void Raft::ResetElectionTimer() {
  election_elapsed_ = 0;
  uint64_t span = opt_.election_timeout_max_ticks - opt_.election_timeout_min_ticks;
  election_timeout_ = opt_.election_timeout_min_ticks + RandomU64(rng_) % span;
}

Message Raft::NewMessage(MessageType type, NodeId to) const {
  Message m;
  m.type = type;
  m.from = opt_.id;
  m.to = to;
  m.from_incarnation = incarnation_;
  m.term = current_term_;
  return m;
}

void Raft::Tick() {
  ++ticks_;
  ++election_elapsed_;
  if (role_ == Role::kLeader) {
    if (++heartbeat_elapsed_ >= opt_.heartbeat_ticks) {
      heartbeat_elapsed_ = 0;
      BroadcastHeartbeat();
    }
    if (election_elapsed_ >= opt_.election_timeout_min_ticks) CheckQuorum();
    if (role_ == Role::kLeader) MaybeRemoveSilent();
    if (role_ == Role::kLeader && opt_.auto_heal) MaybeHeal();
    return;
  }
  if (!IsSelfVoter()) {
    // Not a voter (a joiner, a restarted core, a learner): never campaigns. Without a leader, it
    // announces its incarnation so that a leader can add it (healing).
    if (leader_ == kNoNode || election_elapsed_ >= opt_.election_timeout_min_ticks) {
      if (election_elapsed_ % opt_.heartbeat_ticks == 0) {
        for (NodeId peer : opt_.manifest) {
          if (peer != opt_.id) Send(NewMessage(MessageType::kJoin, peer));
        }
      }
    }
    return;
  }
  if (election_elapsed_ >= election_timeout_) StartPreVote();
}

// Leader steps down if it has not heard from a quorum of voters for an election timeout, so that a
// leader cut off by a (one-way) partition stops serving reads and lets the majority move on.
void Raft::CheckQuorum() {
  election_elapsed_ = 0;
  size_t heard = IsSelfVoter() ? 1 : 0;
  for (auto& [peer, pr] : progress_) {
    if (pr.recent && config_.IsVoter(peer, pr.incarnation)) ++heard;
    pr.recent = false;
  }
  if (heard < config_.Majority()) BecomeFollower(current_term_, kNoNode);
}

void Raft::BecomeFollower(uint64_t term, NodeId leader) {
  KW_CHECK(term >= current_term_);  // terms never go backwards within one incarnation
  if (term > current_term_) {
    current_term_ = term;
    voted_for_ = kNoNode;
  }
  if (role_ == Role::kLeader) FailReads();
  role_ = Role::kFollower;
  leader_ = leader;
  progress_.clear();
  votes_.clear();
  ResetElectionTimer();
}

void Raft::BecomeLeader() {
  role_ = Role::kLeader;
  leader_ = opt_.id;
  leader_since_tick_ = ticks_;
  heartbeat_elapsed_ = 0;
  election_elapsed_ = 0;
  progress_.clear();
  for (const Member& m : config_.members) {
    if (m.id == opt_.id) continue;
    Progress pr;
    pr.incarnation = m.incarnation;
    pr.next = log_.last_index() + 1;
    pr.recent = true;
    progress_[m.id] = pr;
  }
  // A no-op of the new term: entries of earlier terms commit only through it (Raft §5.4.2), and
  // read-index needs an entry of the current term committed (thesis §6.4).
  if (log_.last_term() != current_term_) log_.AppendNew(current_term_, EntryType::kNoop, {});
  MaybeCommit();
  BroadcastHeartbeat();
}

void Raft::StartPreVote() {
  ResetElectionTimer();
  role_ = Role::kPreCandidate;
  leader_ = kNoNode;
  votes_.clear();
  votes_.insert({opt_.id, incarnation_});
  if (CountVotes() >= config_.Majority()) return StartElection();
  for (const Member& m : config_.members) {
    if (m.id == opt_.id || !m.voter) continue;
    Message req = NewMessage(MessageType::kPreVote, m.id);
    req.term = current_term_ + 1;  // the term it would campaign in; nobody changes term for it
    req.last_log_index = log_.last_index();
    req.last_log_term = log_.last_term();
    Send(std::move(req));
  }
  // A stale configuration (this core was removed while cut off, or today's leader was a learner
  // when it last heard) may list no live leader as a voter: the pre-votes then reach only
  // followers, which refuse them, and no leader ever hears this core to heal it back in
  // (simulator seeds 408332 and 410123, 5 nodes). So it also announces its incarnation to every
  // other manifest member, as a non-voter does.
  for (NodeId peer : opt_.manifest) {
    const Member* m = config_.Find(peer);
    if (peer != opt_.id && (m == nullptr || !m->voter)) Send(NewMessage(MessageType::kJoin, peer));
  }
}

void Raft::StartElection() {
  ResetElectionTimer();
  role_ = Role::kCandidate;
  ++current_term_;
  voted_for_ = opt_.id;
  votes_.clear();
  votes_.insert({opt_.id, incarnation_});
  if (CountVotes() >= config_.Majority()) return BecomeLeader();
  for (const Member& m : config_.members) {
    if (m.id == opt_.id || !m.voter) continue;
    Message req = NewMessage(MessageType::kVote, m.id);
    req.last_log_index = log_.last_index();
    req.last_log_term = log_.last_term();
    Send(std::move(req));
  }
}

// Votes count only from (id, incarnation) pairs that are voters of the candidate's configuration:
// a restarted core's vote never stands in for the vote its previous life may have cast.
size_t Raft::CountVotes() const {
  size_t n = 0;
  for (const auto& [id, inc] : votes_) {
    if (config_.IsVoter(id, inc)) ++n;
  }
  return n;
}

// Election restriction (Raft §5.4.1): grant only to a candidate whose log is at least as
// up-to-date as ours, so every leader holds every committed entry (Leader Completeness).
bool Raft::LogUpToDate(const Message& m) const {
  if (m.last_log_term != log_.last_term()) return m.last_log_term > log_.last_term();
  return m.last_log_index >= log_.last_index();
}

void Raft::HandlePreVote(const Message& m) {
  // Grant if we would vote in m.term: candidate up to date, and no live leader heard recently
  // (stickiness: a node that merely lost its link to the leader cannot disrupt the fleet).
  bool leader_alive = leader_ != kNoNode && election_elapsed_ < opt_.election_timeout_min_ticks;
  Message reply = NewMessage(MessageType::kPreVoteReply, m.from);
  reply.term = m.term;
  reply.granted = m.term > current_term_ && !leader_alive && LogUpToDate(m);
  // A refusal carries our term: a pre-candidate behind in terms adopts it, else two nodes stuck
  // in different terms could refuse each other forever (one has the term, the other the log).
  if (!reply.granted) reply.term = current_term_;
  Send(std::move(reply));
}

void Raft::HandleVote(const Message& m) {
  Message reply = NewMessage(MessageType::kVoteReply, m.from);
  // One vote per term (Election Safety). voted_for_ lives in memory only: after a restart this
  // core has a new incarnation, and candidates count a vote only from an (id, incarnation) that is
  // a voter of their configuration, so the new life's vote never stands in for the old one's.
  // Like the Raft thesis (§4.2.3) we vote even if our own (possibly stale) configuration does not
  // list us as a voter: a newly promoted voter may not have the promoting entry yet.
  bool can_vote = voted_for_ == kNoNode || voted_for_ == m.from;
  reply.granted = m.term == current_term_ && can_vote && LogUpToDate(m);
  if (reply.granted) {
    voted_for_ = m.from;
    ResetElectionTimer();
  }
  Send(std::move(reply));
}

void Raft::HandleVoteReply(const Message& m, bool pre) {
  if (!m.granted) return;
  if (pre) {
    if (role_ != Role::kPreCandidate || m.term != current_term_ + 1) return;
  } else if (role_ != Role::kCandidate || m.term != current_term_) {
    return;
  }
  votes_.insert({m.from, m.from_incarnation});
  if (CountVotes() < config_.Majority()) return;
  if (pre) {
    StartElection();
  } else {
    BecomeLeader();
  }
}

Status Raft::Receive(NodeId authenticated_from, ByteSpan bytes) {
  ASSIGN_OR_RETURN(Message m, DecodeMessage(bytes));
  if (m.from != authenticated_from) {
    return InvalidArgument("raft message claims sender " + std::to_string(m.from) + " but the channel "
                           "authenticated " + std::to_string(authenticated_from) + "; dropped");
  }
  return Step(m);
}

Status Raft::Step(const Message& m) {
  if (m.to != opt_.id) return InvalidArgument("raft message addressed to another node; dropped");
  if (m.from == opt_.id || !InManifest(m.from)) {
    return InvalidArgument("raft message from a node outside the fleet manifest; dropped");
  }
  if (m.from_incarnation == 0) return InvalidArgument("raft message with incarnation 0; dropped");
  ObserveIncarnation(m);
  bool pre = m.type == MessageType::kPreVote || m.type == MessageType::kPreVoteReply;
  bool refusal_from_ahead = m.type == MessageType::kPreVoteReply && !m.granted;
  if (m.term > current_term_ && (!pre || refusal_from_ahead) && m.type != MessageType::kJoin) {
    bool leader_alive = leader_ != kNoNode && election_elapsed_ < opt_.election_timeout_min_ticks;
    if (m.type == MessageType::kVote && leader_alive) return Status::Ok();  // stickiness
    bool from_leader = m.type == MessageType::kAppend || m.type == MessageType::kSnapshot;
    BecomeFollower(m.term, from_leader ? m.from : kNoNode);
  }
  switch (m.type) {
    case MessageType::kPreVote:
      HandlePreVote(m);
      return Status::Ok();
    case MessageType::kVote:
      HandleVote(m);
      return Status::Ok();
    case MessageType::kPreVoteReply:
    case MessageType::kVoteReply:
      HandleVoteReply(m, pre);
      return Status::Ok();
    case MessageType::kAppend:
      return HandleAppend(m);
    case MessageType::kSnapshot:
      return HandleSnapshot(m);
    case MessageType::kAppendReply:
    case MessageType::kSnapshotReply:
      HandleAppendReply(m);
      return Status::Ok();
    case MessageType::kJoin:
      return Status::Ok();  // ObserveIncarnation did the work
  }
  return Status::Ok();
}

std::vector<Message> Raft::TakeOutbox() {
  // Group commit: proposals since the last drain go out as one batch per follower.
  if (role_ == Role::kLeader) {
    for (auto& [peer, pr] : progress_) Replicate(peer, /*heartbeat=*/false);
  }
  std::vector<Message> out;
  out.swap(outbox_);
  return out;
}

std::vector<Effect> Raft::TakeEffects() {
  std::vector<Effect> out;
  out.swap(effects_);
  return out;
}

}  // namespace keyward::raft
