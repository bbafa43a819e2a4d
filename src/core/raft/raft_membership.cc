// Membership: single-server changes (Raft thesis §4.1) and healing of restarted cores.
//
// A voter is the pair (id, incarnation). A restarted core has a new incarnation, so for Raft it is
// a brand-new server: the leader first replaces the dead incarnation by the new one as a learner
// (a removal: one voter fewer), streams it the snapshot and log, and promotes it once caught up (an
// addition). Each step is an ordinary single-server change, so the usual proof applies unchanged;
// in particular a restarted core can never vote twice in a term, because its old votes and acks
// belong to a server that is no longer in any configuration it could be counted in.
#include <algorithm>
#include <string>

#include "common/check.h"
#include "core/raft/raft.h"

namespace keyward::raft {

void Raft::RecomputeConfig() {
  config_ = snapshot_config_;
  config_index_ = log_.base_index();
  for (uint64_t i = log_.last_index(); i > log_.base_index(); --i) {
    const Entry& e = log_.At(i);
    if (e.type != EntryType::kConfig) continue;
    StatusOr<Membership> m = Membership::Decode(e.data);
    KW_CHECK(m.ok());  // validated before it entered the log
    config_ = std::move(m).value();
    config_index_ = i;
    break;
  }
  OnConfigChanged();
}

Membership Raft::ConfigAt(uint64_t index) const {
  for (uint64_t i = std::min(index, log_.last_index()); i > log_.base_index(); --i) {
    const Entry& e = log_.At(i);
    if (e.type == EntryType::kConfig) return Membership::Decode(e.data).value();
  }
  return snapshot_config_;
}

void Raft::OnConfigChanged() {
  if (role_ != Role::kLeader) {
    // A pre-candidate or candidate whose configuration changed under it starts over.
    if (role_ != Role::kFollower) BecomeFollower(current_term_, leader_);
    return;
  }
  for (auto it = progress_.begin(); it != progress_.end();) {
    const Member* m = config_.Find(it->first);
    it = m == nullptr ? progress_.erase(it) : std::next(it);
  }
  for (const Member& m : config_.members) {
    if (m.id == opt_.id) continue;
    auto [it, inserted] = progress_.try_emplace(m.id);
    if (inserted || it->second.incarnation != m.incarnation) {
      it->second = Progress{};
      it->second.incarnation = m.incarnation;
      it->second.next = log_.last_index() + 1;
      it->second.recent = true;
      it->second.last_ack_tick = ticks_;
    }
  }
}

// One change at a time, and only after an entry of this term committed (the fix to the
// single-server change bug, raft-dev 2015: otherwise two leaders' configurations can diverge).
bool Raft::CanChangeConfig() const {
  return role_ == Role::kLeader && config_index_ <= commit_ && log_.TermAt(commit_) == current_term_;
}

Status Raft::ProposeConfig(Membership next) {
  if (!CanChangeConfig()) {
    return Unavailable("a membership change is in progress or the leader is new; retry shortly");
  }
  std::sort(next.members.begin(), next.members.end(),
            [](const Member& a, const Member& b) { return a.id < b.id; });
  log_.AppendNew(current_term_, EntryType::kConfig, next.Encode());
  RecomputeConfig();
  MaybeCommit();
  return Status::Ok();
}

void Raft::ObserveIncarnation(const Message& m) {
  auto retired = retired_.find(m.from);
  if (retired != retired_.end() && retired->second.count(m.from_incarnation)) return;
  auto& seen = observed_[m.from];
  auto prev = seen.find(m.from_incarnation);
  // A run of messages: restarts when the incarnation was silent for an election timeout.
  if (prev == seen.end() || ticks_ - prev->second > opt_.election_timeout_min_ticks) {
    observed_since_[{m.from, m.from_incarnation}] = ticks_;
  }
  seen[m.from_incarnation] = ticks_;
  while (seen.size() > 4) {  // bounded: drop the incarnation heard from least recently
    auto oldest = std::min_element(seen.begin(), seen.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
    observed_since_.erase({m.from, oldest->first});
    echoed_seq_.erase({m.from, oldest->first});
    seen.erase(oldest);
  }
}

// Leader, once per tick: re-add one restarted manifest member, or promote one caught-up learner.
void Raft::MaybeHeal() {
  if (!CanChangeConfig()) return;
  uint64_t window = opt_.election_timeout_min_ticks;
  if (ticks_ - leader_since_tick_ < window) return;  // let followers speak before judging them
  for (NodeId id : opt_.manifest) {
    if (id == opt_.id) continue;
    auto obs = observed_.find(id);
    if (obs == observed_.end()) continue;
    const Member* m = config_.Find(id);
    // The most recently heard incarnation, if heard within the window.
    auto latest = std::max_element(obs->second.begin(), obs->second.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
    if (ticks_ - latest->second > window) continue;
    uint64_t inc = latest->first;
    if (m == nullptr || m->incarnation != inc) {
      // Replace only an incarnation that has gone silent: a late message of a dead life must
      // not evict the live one. (Incarnations are unordered random numbers, so if a late message
      // of a dead life arrives while the live one is partitioned, the leader may swap to the dead
      // one; it swaps back once the live one is heard and the dead one stays silent. Never
      // "retiring" an incarnation for good is what makes that self-correcting: simulator seed
      // 112206.)
      if (m != nullptr) {
        auto old = obs->second.find(m->incarnation);
        if (old != obs->second.end() && ticks_ - old->second <= window) continue;
        // ...and only for an incarnation that has kept talking for a while: a live core sends
        // every heartbeat, while late or replayed messages of a dead life come in a burst
        // (simulator seed 100895: a burst evicted a live voter while another core was down).
        if (ticks_ - observed_since_[{id, inc}] < window) continue;
        // ...and only for an incarnation that answered one of this leader's recent heartbeat
        // rounds: being heard is not being alive, since the host can deliver recorded envelopes
        // of a dead life that the channel never saw (simulator seed 1004777: such replays evicted
        // a live but partitioned voter just as another voter crashed, leaving two voters, one
        // dead, and a fleet that could never commit again).
        uint64_t rounds = opt_.election_timeout_min_ticks / std::max<uint32_t>(1, opt_.heartbeat_ticks) + 1;
        auto echoed = echoed_seq_.find({id, inc});
        if (echoed == echoed_seq_.end() || echoed->second + rounds < seq_) continue;
      }
      Membership next = config_;
      std::erase_if(next.members, [id](const Member& x) { return x.id == id; });
      next.members.push_back(Member{id, inc, false});
      (void)ProposeConfig(std::move(next));
      return;
    }
    if (!m->voter) {
      auto pr = progress_.find(id);
      if (pr == progress_.end() || pr->second.incarnation != inc) continue;
      if (pr->second.match < commit_ || ticks_ - pr->second.last_ack_tick > window) continue;
      Membership next = config_;
      for (Member& x : next.members) {
        if (x.id == id) x.voter = true;
      }
      (void)ProposeConfig(std::move(next));
      return;
    }
  }
}

// Leader, once per tick: remove one member silent for remove_silent_after_ticks (issue 6: "the
// leader removes a member that stays silent past a configured time ... the fleet never shrinks
// below its configured quorum"). "Heard" means any authenticated message of any incarnation of the
// id: a restarted core (new incarnation) is healing's business, not removal's. A fresh leader
// counts from its election, so a member is judged only after a full window of this leader.
// Removal is an ordinary single-server change; a removed core that is still in the manifest and
// comes back is re-added by healing (learner → voter), like any restart.
void Raft::MaybeRemoveSilent() {
  uint64_t limit = opt_.remove_silent_after_ticks;
  if (limit == 0 || !CanChangeConfig()) return;
  if (ticks_ - leader_since_tick_ <= limit) return;
  size_t floor = std::max<size_t>(opt_.min_voters, 1);
  for (const Member& m : config_.members) {
    if (m.id == opt_.id) continue;
    uint64_t last = leader_since_tick_;
    auto obs = observed_.find(m.id);
    if (obs != observed_.end()) {
      for (const auto& [inc, tick] : obs->second) last = std::max(last, tick);
    }
    if (ticks_ - last <= limit) continue;
    if (m.voter && config_.VoterCount() - 1 < floor) continue;  // never below the quorum floor
    Membership next = config_;
    NodeId id = m.id;
    std::erase_if(next.members, [id](const Member& x) { return x.id == id; });
    // ...and only if the smaller configuration can commit right now: a majority of its voters must
    // have acknowledged this leader within an election timeout. Otherwise removing a partitioned
    // (alive) voter while another voter is dead leaves a configuration whose quorum needs the dead
    // one, and the fleet can never elect or heal again (simulator seed 27, 3 nodes).
    size_t live = 0;
    for (const Member& x : next.members) {
      if (!x.voter) continue;
      if (x.id == opt_.id) {
        live += x.incarnation == incarnation_ ? 1 : 0;
        continue;
      }
      auto pr = progress_.find(x.id);
      if (pr != progress_.end() && pr->second.incarnation == x.incarnation &&
          ticks_ - pr->second.last_ack_tick <= opt_.election_timeout_min_ticks) {
        ++live;
      }
    }
    if (live < next.Majority()) continue;
    if (ProposeConfig(std::move(next)).ok()) ++silent_removals_;
    return;
  }
}

Status Raft::SetManifest(std::vector<NodeId> manifest) {
  std::sort(manifest.begin(), manifest.end());
  manifest.erase(std::unique(manifest.begin(), manifest.end()), manifest.end());
  if (std::find(manifest.begin(), manifest.end(), opt_.id) == manifest.end()) {
    return InvalidArgument("the new manifest does not list this core; it cannot remove itself");
  }
  if (std::find(manifest.begin(), manifest.end(), kNoNode) != manifest.end()) {
    return InvalidArgument("node id 0 is reserved");
  }
  opt_.manifest = std::move(manifest);
  for (auto it = observed_.begin(); it != observed_.end();) {
    it = InManifest(it->first) ? std::next(it) : observed_.erase(it);
  }
  return Status::Ok();
}

Status Raft::AddLearner(NodeId id) {
  if (!InManifest(id)) return InvalidArgument("node " + std::to_string(id) + " is not in the fleet manifest");
  if (config_.Find(id) != nullptr) return InvalidArgument("node " + std::to_string(id) + " is already a member");
  auto obs = observed_.find(id);
  if (obs == observed_.end() || obs->second.empty()) {
    return FailedPrecondition("node " + std::to_string(id) + " has not announced itself; start it first");
  }
  auto latest = std::max_element(obs->second.begin(), obs->second.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
  Membership next = config_;
  next.members.push_back(Member{id, latest->first, false});
  return ProposeConfig(std::move(next));
}

Status Raft::Promote(NodeId id) {
  const Member* m = config_.Find(id);
  if (m == nullptr || m->voter) return InvalidArgument("node " + std::to_string(id) + " is not a learner");
  Membership next = config_;
  for (Member& x : next.members) {
    if (x.id == id) x.voter = true;
  }
  return ProposeConfig(std::move(next));
}

Status Raft::Remove(NodeId id) {
  const Member* m = config_.Find(id);
  if (m == nullptr) return InvalidArgument("node " + std::to_string(id) + " is not a member");
  if (m->voter && config_.VoterCount() - 1 < opt_.min_voters) {
    return FailedPrecondition("removing node " + std::to_string(id) + " would leave fewer than " +
                              std::to_string(opt_.min_voters) + " voters; add a replacement first");
  }
  Membership next = config_;
  std::erase_if(next.members, [id](const Member& x) { return x.id == id; });
  return ProposeConfig(std::move(next));
}

}  // namespace keyward::raft
