#include "core/raft/raft.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "core/raft/messages.h"
#include "crypto/random.h"

namespace keyward::raft {
namespace {

// A StateMachine that records every applied command.
class ListMachine final : public StateMachine {
 public:
  Bytes Apply(uint64_t, ByteSpan command) override {
    applied.emplace_back(command.begin(), command.end());
    return ToBytes("ok" + std::to_string(applied.size()));
  }
  Bytes Snapshot() const override {
    Bytes out;
    for (const Bytes& b : applied) {
      out.push_back(static_cast<uint8_t>(b.size()));
      out.insert(out.end(), b.begin(), b.end());
    }
    return out;
  }
  Status Restore(ByteSpan s) override {
    applied.clear();
    for (size_t i = 0; i < s.size();) {
      size_t n = s[i++];
      if (i + n > s.size()) return InvalidArgument("bad snapshot");
      applied.emplace_back(s.begin() + static_cast<std::ptrdiff_t>(i), s.begin() + static_cast<std::ptrdiff_t>(i + n));
      i += n;
    }
    return Status::Ok();
  }
  std::vector<Bytes> applied;
};

// Synchronous in-memory fleet: messages are delivered in order unless a link is cut.
class Fleet {
 public:
  explicit Fleet(int n, uint64_t snapshot_threshold = 1000, uint32_t rollback_tolerance = 0)
      : n_(n), threshold_(snapshot_threshold), k_(rollback_tolerance) {
    for (int i = 1; i <= n; ++i) manifest_.push_back(static_cast<NodeId>(i));
    nodes_.resize(static_cast<size_t>(n) + 1);
    for (int i = 1; i <= n; ++i) Boot(static_cast<NodeId>(i), i == 1);
  }
  struct Slot {
    std::unique_ptr<crypto::DeterministicRng> rng;
    std::unique_ptr<ListMachine> sm;
    std::unique_ptr<Raft> raft;
    std::vector<Effect> effects;
  };
  void Boot(NodeId id, bool founder) {
    Slot& s = nodes_[id];
    s.rng = std::make_unique<crypto::DeterministicRng>(id * 1000 + boots_++);
    s.sm = std::make_unique<ListMachine>();
    RaftOptions o;
    o.id = id;
    o.manifest = manifest_;
    o.snapshot_threshold = threshold_;
    o.rollback_tolerance = k_;
    s.raft = std::make_unique<Raft>(o, *s.rng, *s.sm, founder ? Raft::Boot::kFounder : Raft::Boot::kJoiner);
    s.effects.clear();
  }
  Raft& operator[](NodeId id) { return *nodes_[id].raft; }
  ListMachine& sm(NodeId id) { return *nodes_[id].sm; }
  std::vector<Effect>& effects(NodeId id) { return nodes_[id].effects; }
  void Cut(NodeId a, NodeId b) { cut_.insert({a, b}); cut_.insert({b, a}); }
  void Isolate(NodeId a) {
    for (NodeId b : manifest_) Cut(a, b);
  }
  void HealAll() { cut_.clear(); }
  // Delivers until quiet, then ticks everyone once; `rounds` times.
  void Run(int rounds) {
    for (int r = 0; r < rounds; ++r) {
      Pump();
      for (NodeId id : manifest_) nodes_[id].raft->Tick();
    }
    Pump();
  }
  void Pump() {
    for (int guard = 0; guard < 1000; ++guard) {
      bool any = false;
      for (NodeId id : manifest_) {
        auto fx = nodes_[id].raft->TakeEffects();
        nodes_[id].effects.insert(nodes_[id].effects.end(), fx.begin(), fx.end());
        for (Message& m : nodes_[id].raft->TakeOutbox()) {
          any = true;
          if (cut_.count({m.from, m.to})) continue;
          Bytes wire = EncodeMessage(m);
          (void)nodes_[m.to].raft->Receive(m.from, wire);
        }
      }
      if (!any) return;
    }
  }
  NodeId Leader() {
    for (NodeId id : manifest_) {
      if (nodes_[id].raft->role() == Role::kLeader) return id;
    }
    return kNoNode;
  }
  bool AllVoters() {
    NodeId l = Leader();
    if (l == kNoNode) return false;
    for (NodeId id : manifest_) {
      if (!nodes_[l].raft->config().IsVoter(id, nodes_[id].raft->incarnation())) return false;
    }
    return true;
  }
  void RunUntilFormed() {
    for (int i = 0; i < 400 && !AllVoters(); ++i) Run(1);
    ASSERT_TRUE(AllVoters());
  }

 private:
  int n_;
  uint64_t threshold_;
  uint32_t k_;
  uint64_t boots_ = 0;
  std::vector<NodeId> manifest_;
  std::vector<Slot> nodes_;
  std::set<std::pair<NodeId, NodeId>> cut_;
};

TEST(RaftTest, FounderFormsFleetAndReplicatesInOrder) {
  Fleet f(3);
  f.RunUntilFormed();
  NodeId l = f.Leader();
  ASSERT_EQ(l, 1u);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(f[l].Propose(ToBytes("cmd" + std::to_string(i))).ok());
  f.Run(5);
  for (NodeId id = 1; id <= 3; ++id) {
    ASSERT_EQ(f.sm(id).applied.size(), 100u) << "node " << id;
    EXPECT_EQ(f.sm(id).applied, f.sm(l).applied);
    EXPECT_EQ(f[id].log().last_hash(), f[l].log().last_hash());
  }
}

TEST(RaftTest, BatchesManyCommandsPerAppend) {
  Fleet f(3);
  f.RunUntilFormed();
  NodeId l = f.Leader();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(f[l].Propose(ToBytes("c")).ok());
  std::vector<Message> out = f[l].TakeOutbox();
  ASSERT_FALSE(out.empty());
  size_t appends = 0, entries = 0;
  for (const Message& m : out) {
    if (m.type != MessageType::kAppend) continue;
    ++appends;
    entries += m.entries.size();
  }
  EXPECT_EQ(appends, 2u);  // one batch per follower
  EXPECT_EQ(entries, 100u);
}

TEST(RaftTest, NoCommitWithoutQuorum) {
  Fleet f(3);
  f.RunUntilFormed();
  NodeId l = f.Leader();
  f.Isolate(l);
  uint64_t before = f[l].commit_index();
  StatusOr<uint64_t> idx = f[l].Propose(ToBytes("lonely"));
  ASSERT_TRUE(idx.ok());
  f.Run(3);
  EXPECT_EQ(f[l].commit_index(), before);  // stored by the leader only: never committed
}

TEST(RaftTest, RollbackToleranceRequiresSuperMajority) {
  Fleet f(3, 1000, /*rollback_tolerance=*/1);
  f.RunUntilFormed();
  NodeId l = f.Leader();
  NodeId follower = l == 3 ? 2 : 3;
  f.Cut(l, follower);  // a majority (2 of 3) is reachable, but k = 1 needs all 3
  uint64_t before = f[l].commit_index();
  ASSERT_TRUE(f[l].Propose(ToBytes("needs three")).ok());
  f.Pump();
  EXPECT_EQ(f[l].commit_index(), before);
  f.HealAll();
  f.Run(10);  // regression: a lost batch on an idle fleet is re-sent after two heartbeats
  EXPECT_GT(f[l].commit_index(), before);
}

TEST(RaftTest, NewLeaderAfterLeaderIsolatedAndOldEntryDiscarded) {
  Fleet f(3);
  f.RunUntilFormed();
  NodeId old = f.Leader();
  f.Isolate(old);
  ASSERT_TRUE(f[old].Propose(ToBytes("never")).ok());
  f.Run(60);
  NodeId l = kNoNode;
  for (NodeId id = 1; id <= 3; ++id) {
    if (id != old && f[id].role() == Role::kLeader) l = id;
  }
  ASSERT_NE(l, kNoNode);
  ASSERT_TRUE(f[l].Propose(ToBytes("winner")).ok());
  f.HealAll();
  f.Run(20);
  for (NodeId id = 1; id <= 3; ++id) {
    ASSERT_FALSE(f.sm(id).applied.empty());
    EXPECT_EQ(f.sm(id).applied.back(), ToBytes("winner"));
    for (const Bytes& b : f.sm(id).applied) EXPECT_NE(b, ToBytes("never"));
  }
}

TEST(RaftTest, PreVoteKeepsIsolatedFollowerFromInflatingTerms) {
  Fleet f(3);
  f.RunUntilFormed();
  NodeId l = f.Leader();
  NodeId follower = l == 1 ? 2 : 1;
  uint64_t term = f[l].term();
  f.Isolate(follower);
  f.Run(100);
  EXPECT_EQ(f[follower].term(), term);  // pre-votes never succeeded, so no term was bumped
  f.HealAll();
  f.Run(5);
  EXPECT_EQ(f.Leader(), l);  // the healthy leader was not disrupted
}

TEST(RaftTest, HashChainMismatchIsRejected) {
  Fleet f(3);
  f.RunUntilFormed();
  NodeId l = f.Leader();
  NodeId follower = l == 1 ? 2 : 1;
  Message m;
  m.type = MessageType::kAppend;
  m.from = l;
  m.to = follower;
  m.from_incarnation = f[l].incarnation();
  m.term = f[l].term();
  m.prev_index = f[follower].log().last_index();
  m.prev_hash = f[follower].log().last_hash();
  m.commit = f[l].commit_index();
  Entry e;
  e.term = m.term;
  e.index = m.prev_index + 1;
  e.type = EntryType::kCommand;
  e.data = ToBytes("forged");
  e.hash = ChainHash(m.prev_hash, e.term, e.index, e.type, ToBytes("other"));
  m.entries.push_back(e);
  uint64_t last = f[follower].log().last_index();
  Status s = f[follower].Step(m);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("hash chain"), std::string::npos);
  EXPECT_EQ(f[follower].log().last_index(), last);
  // A wrong prev_hash is refused (reply not granted) and stores nothing either.
  m.prev_hash[0] ^= 1;
  m.entries[0].hash = ChainHash(m.prev_hash, e.term, e.index, e.type, e.data);
  EXPECT_TRUE(f[follower].Step(m).ok());
  EXPECT_EQ(f[follower].log().last_index(), last);
}

TEST(RaftTest, SenderMustMatchAuthenticatedPeer) {
  Fleet f(3);
  f.RunUntilFormed();
  Message m;
  m.type = MessageType::kJoin;
  m.from = 2;
  m.to = 1;
  m.from_incarnation = 7;
  EXPECT_FALSE(f[1].Receive(3, EncodeMessage(m)).ok());
  m.from = 9;  // not in the manifest
  EXPECT_FALSE(f[1].Receive(9, EncodeMessage(m)).ok());
}

TEST(RaftTest, RestartedCoreHealsAsLearnerThenVoterWithNewIncarnation) {
  Fleet f(3, /*snapshot_threshold=*/8);
  f.RunUntilFormed();
  NodeId l = f.Leader();
  NodeId victim = l == 3 ? 2 : 3;
  uint64_t old_incarnation = f[victim].incarnation();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(f[l].Propose(ToBytes("before" + std::to_string(i))).ok());
  f.Run(3);
  f.Boot(victim, /*founder=*/false);  // all state lost
  EXPECT_NE(f[victim].incarnation(), old_incarnation);
  EXPECT_FALSE(f[victim].IsSelfVoter());
  // Healing: the old life is replaced by the new one as a learner, then promoted when caught up.
  bool saw_learner = false;
  for (int i = 0; i < 300 && !f.AllVoters(); ++i) {
    f.Run(1);
    const Member* m = f[l].config().Find(victim);
    if (m != nullptr && m->incarnation == f[victim].incarnation() && !m->voter) saw_learner = true;
  }
  EXPECT_TRUE(saw_learner);
  ASSERT_TRUE(f.AllVoters());
  EXPECT_FALSE(f[l].config().IsVoter(victim, old_incarnation));
  EXPECT_EQ(f.sm(victim).applied, f.sm(l).applied);  // restored from a snapshot, then the log
  EXPECT_GT(f[victim].log().base_index(), 0u);
}

TEST(RaftTest, VoteOfAnotherIncarnationDoesNotCount) {
  Fleet f(3);
  f.RunUntilFormed();
  NodeId l = f.Leader();
  NodeId a = l == 1 ? 2 : 1;
  NodeId b = 6 - l - a;
  // Cut everyone off; `a` campaigns. A forged-incarnation grant from `b` must not elect it.
  f.Isolate(a);
  f.Isolate(b);
  f.Isolate(l);
  for (int i = 0; i < 60 && f[a].role() != Role::kCandidate; ++i) {
    f[a].Tick();
    f[a].TakeOutbox();
    if (f[a].role() == Role::kPreCandidate) {
      Message grant;
      grant.type = MessageType::kPreVoteReply;
      grant.from = b;
      grant.to = a;
      grant.from_incarnation = f[b].incarnation();
      grant.term = f[a].term() + 1;
      grant.granted = true;
      ASSERT_TRUE(f[a].Step(grant).ok());
    }
  }
  ASSERT_EQ(f[a].role(), Role::kCandidate);
  Message vote;
  vote.type = MessageType::kVoteReply;
  vote.from = b;
  vote.to = a;
  vote.from_incarnation = f[b].incarnation() + 1;  // a later life of b
  vote.term = f[a].term();
  vote.granted = true;
  ASSERT_TRUE(f[a].Step(vote).ok());
  EXPECT_EQ(f[a].role(), Role::kCandidate);
  vote.from_incarnation = f[b].incarnation();
  ASSERT_TRUE(f[a].Step(vote).ok());
  EXPECT_EQ(f[a].role(), Role::kLeader);
}

TEST(RaftTest, ReadIndexNeedsAQuorumRound) {
  Fleet f(3);
  f.RunUntilFormed();
  NodeId l = f.Leader();
  NodeId follower = l == 1 ? 2 : 1;
  EXPECT_FALSE(f[follower].ReadIndex(1).ok());
  ASSERT_TRUE(f[l].ReadIndex(7).ok());
  f.Pump();
  auto ready = [&](uint64_t id, Effect::Kind kind) {
    for (const Effect& e : f.effects(l)) {
      if (e.read_id == id && e.kind == kind) return true;
    }
    return false;
  };
  EXPECT_TRUE(ready(7, Effect::Kind::kReadReady));
  // Isolated, the leader cannot confirm: the read never becomes ready, and fails on step-down.
  f.Isolate(l);
  ASSERT_TRUE(f[l].ReadIndex(8).ok());
  f.Run(30);
  EXPECT_FALSE(ready(8, Effect::Kind::kReadReady));
  EXPECT_TRUE(ready(8, Effect::Kind::kReadFailed));
}

TEST(RaftTest, MembershipChangesOneAtATimeAndKeepMinimum) {
  Fleet f(3);
  f.RunUntilFormed();
  NodeId l = f.Leader();
  NodeId other = l == 3 ? 2 : 3;
  ASSERT_TRUE(f[l].Remove(other).ok());
  // The previous change is not committed yet: a second change must wait.
  EXPECT_EQ(f[l].Remove(l == 1 ? 2 : 1).code(), ErrorCode::kUnavailable);
  f.Pump();
  EXPECT_EQ(f[l].config().VoterCount(), 2u);
}

TEST(RaftTest, RemoveRespectsMinimumVoters) {
  RaftOptions o;
  o.id = 1;
  o.manifest = {1, 2};
  o.min_voters = 1;
  crypto::DeterministicRng rng(5);
  ListMachine sm;
  Raft r(o, rng, sm, Raft::Boot::kFounder);
  EXPECT_EQ(r.Remove(1).code(), ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace keyward::raft
