// Membership tests: silent-member removal, its quorum floor, manifest changes (adding a brand-new
// member identity, removing one) and that a removed member cannot disrupt the fleet.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/raft/messages.h"
#include "core/raft/peer_channel.h"
#include "core/raft/raft.h"
#include "crypto/random.h"

namespace keyward::raft {
namespace {

class CountMachine final : public StateMachine {
 public:
  Bytes Apply(uint64_t, ByteSpan) override {
    ++applied;
    return {};
  }
  Bytes Snapshot() const override { return ToBytes(std::to_string(applied)); }
  Status Restore(ByteSpan s) override {
    applied = std::stoull(std::string(AsChars(s)));
    return Status::Ok();
  }
  uint64_t applied = 0;
};

// Synchronous in-memory fleet of up to `capacity` slots; only booted slots take part.
class Fleet {
 public:
  Fleet(int initial, int capacity, RaftOptions base) : base_(std::move(base)) {
    for (int i = 1; i <= initial; ++i) manifest_.push_back(static_cast<NodeId>(i));
    nodes_.resize(static_cast<size_t>(capacity) + 1);
    for (int i = 1; i <= initial; ++i) Boot(static_cast<NodeId>(i), i == 1, manifest_);
  }
  struct Slot {
    std::unique_ptr<crypto::DeterministicRng> rng;
    std::unique_ptr<CountMachine> sm;
    std::unique_ptr<Raft> raft;
  };
  void Boot(NodeId id, bool founder, std::vector<NodeId> manifest) {
    Slot& s = nodes_[id];
    s.rng = std::make_unique<crypto::DeterministicRng>(id * 1000 + boots_++);
    s.sm = std::make_unique<CountMachine>();
    RaftOptions o = base_;
    o.id = id;
    o.manifest = std::move(manifest);
    s.raft = std::make_unique<Raft>(o, *s.rng, *s.sm, founder ? Raft::Boot::kFounder : Raft::Boot::kJoiner);
  }
  void Kill(NodeId id) { nodes_[id].raft.reset(); }
  bool Up(NodeId id) const { return id < nodes_.size() && nodes_[id].raft != nullptr; }
  Raft& operator[](NodeId id) { return *nodes_[id].raft; }
  CountMachine& sm(NodeId id) { return *nodes_[id].sm; }
  void Isolate(NodeId a) { isolated_.insert(a); }
  void HealAll() { isolated_.clear(); }
  void Run(int rounds) {
    for (int r = 0; r < rounds; ++r) {
      Pump();
      for (size_t id = 1; id < nodes_.size(); ++id) {
        if (nodes_[id].raft) nodes_[id].raft->Tick();
      }
    }
    Pump();
  }
  void Pump() {
    for (int guard = 0; guard < 1000; ++guard) {
      bool any = false;
      for (size_t id = 1; id < nodes_.size(); ++id) {
        if (!nodes_[id].raft) continue;
        nodes_[id].raft->TakeEffects();
        for (Message& m : nodes_[id].raft->TakeOutbox()) {
          any = true;
          if (isolated_.count(m.from) || isolated_.count(m.to) || !Up(m.to)) continue;
          (void)nodes_[m.to].raft->Receive(m.from, EncodeMessage(m));
        }
      }
      if (!any) return;
    }
  }
  NodeId Leader() {
    for (size_t id = 1; id < nodes_.size(); ++id) {
      if (nodes_[id].raft && nodes_[id].raft->role() == Role::kLeader) return static_cast<NodeId>(id);
    }
    return kNoNode;
  }
  // True when the leader's configuration lists exactly `ids` as voters in their current lives.
  bool VotersAre(const std::set<NodeId>& ids) {
    NodeId l = Leader();
    if (l == kNoNode) return false;
    const Membership& c = (*this)[l].config();
    if (c.VoterCount() != ids.size()) return false;
    for (NodeId id : ids) {
      if (!Up(id) || !c.IsVoter(id, (*this)[id].incarnation())) return false;
    }
    return true;
  }
  bool RunUntil(const std::function<bool()>& done, int max_rounds) {
    for (int i = 0; i < max_rounds; ++i) {
      if (done()) return true;
      Run(1);
    }
    return done();
  }

 private:
  RaftOptions base_;
  uint64_t boots_ = 0;
  std::vector<NodeId> manifest_;
  std::vector<Slot> nodes_;
  std::set<NodeId> isolated_;
};

RaftOptions Silent(uint32_t after_ticks, uint32_t min_voters) {
  RaftOptions o;
  o.remove_silent_after_ticks = after_ticks;
  o.min_voters = min_voters;
  return o;
}

TEST(RaftMembershipTest, SilentVoterIsRemovedAfterTheTimeoutAndFleetKeepsCommitting) {
  Fleet f(3, 3, Silent(/*after_ticks=*/60, /*min_voters=*/2));
  ASSERT_TRUE(f.RunUntil([&] { return f.VotersAre({1, 2, 3}); }, 400));
  NodeId l = f.Leader();
  NodeId victim = l == 3 ? 2 : 3;
  f.Kill(victim);
  f.Run(50);  // within the window: still a voter
  EXPECT_NE(f[l].config().Find(victim), nullptr);
  std::set<NodeId> rest = {1, 2, 3};
  rest.erase(victim);
  ASSERT_TRUE(f.RunUntil([&] { return f.VotersAre(rest); }, 40));
  EXPECT_EQ(f[l].config().Find(victim), nullptr);
  EXPECT_EQ(f[l].silent_removals(), 1u);
  ASSERT_TRUE(f[l].Propose(ToBytes("after")).ok());
  f.Run(3);
  for (NodeId id : rest) EXPECT_GE(f[id].commit_index(), f[l].log().last_index());
}

TEST(RaftMembershipTest, SilentRemovalNeverGoesBelowTheMinimum) {
  Fleet f(5, 5, Silent(/*after_ticks=*/40, /*min_voters=*/3));
  ASSERT_TRUE(f.RunUntil([&] { return f.VotersAre({1, 2, 3, 4, 5}); }, 600));
  ASSERT_EQ(f.Leader(), 1u);
  f.Kill(4);
  f.Kill(5);
  ASSERT_TRUE(f.RunUntil([&] { return f.VotersAre({1, 2, 3}); }, 300));
  EXPECT_EQ(f[1].silent_removals(), 2u);
  f.Kill(3);  // 3 voters, the minimum: 3 stays a voter however long it is silent
  f.Run(500);
  ASSERT_EQ(f.Leader(), 1u);  // 2 of 3 voters still form a quorum
  EXPECT_EQ(f[1].config().VoterCount(), 3u);
  EXPECT_NE(f[1].config().Find(3), nullptr);
  EXPECT_EQ(f[1].silent_removals(), 2u);
}

TEST(RaftMembershipTest, NoRemovalWhileHeardAndOffByDefault) {
  Fleet f(3, 3, Silent(/*after_ticks=*/25, /*min_voters=*/2));
  ASSERT_TRUE(f.RunUntil([&] { return f.VotersAre({1, 2, 3}); }, 400));
  for (int i = 0; i < 20; ++i) {
    f.Run(25);
    ASSERT_TRUE(f.VotersAre({1, 2, 3}));
  }
  EXPECT_EQ(f[f.Leader()].silent_removals(), 0u);

  Fleet never(3, 3, RaftOptions{});  // remove_silent_after_ticks = 0
  ASSERT_TRUE(never.RunUntil([&] { return never.VotersAre({1, 2, 3}); }, 400));
  never.Kill(3);
  never.Run(2000);
  EXPECT_NE(never[never.Leader()].config().Find(3), nullptr);
}

TEST(RaftMembershipTest, ARemovedMemberCannotDisruptTheFleet) {
  RaftOptions o = Silent(/*after_ticks=*/40, /*min_voters=*/2);
  o.auto_heal = false;  // keep it out, to watch it try
  Fleet f(3, 3, o);
  // Without auto-heal, form the fleet by hand.
  for (NodeId id : {2u, 3u}) {
    f.Run(30);
    ASSERT_TRUE(f[1].AddLearner(id).ok());
    f.Run(5);
    ASSERT_TRUE(f[1].Promote(id).ok());
    f.Run(5);
  }
  ASSERT_TRUE(f.VotersAre({1, 2, 3}));
  f.Isolate(3);
  ASSERT_TRUE(f.RunUntil([&] { return f.VotersAre({1, 2}); }, 200));
  uint64_t term = f[1].term();
  // Back on the network, still believing it is a voter: it campaigns, and nobody follows.
  f.HealAll();
  f.Run(400);
  EXPECT_EQ(f.Leader(), 1u);
  EXPECT_EQ(f[1].term(), term);
  EXPECT_TRUE(f.VotersAre({1, 2}));
  // Dropped from the manifest, its messages are refused outright.
  ASSERT_TRUE(f[1].SetManifest({1, 2}).ok());
  ASSERT_TRUE(f[2].SetManifest({1, 2}).ok());
  Message m;
  m.type = MessageType::kPreVote;
  m.from = 3;
  m.to = 1;
  m.from_incarnation = f[3].incarnation();
  m.term = term + 5;
  EXPECT_FALSE(f[1].Receive(3, EncodeMessage(m)).ok());
  EXPECT_FALSE(f[1].SetManifest({2, 3}).ok());  // a core cannot drop itself
}

// A member removed while cut off comes back with a configuration in which no live leader is a
// voter: it was cut off when the voters were {1, 2, 3}; 4 and 5 joined after that, 1 died and 3
// is dead or a follower. Its pre-votes reach only cores that refuse them, so it must also announce
// itself to the other manifest members for the leader to heal it back in (simulator seeds 408332
// and 410123, 5 nodes: without the announcement it stayed out forever).
TEST(RaftMembershipTest, AMemberRemovedWhileCutOffIsHealedBackByALeaderItDoesNotKnow) {
  Fleet f(3, 5, Silent(/*after_ticks=*/40, /*min_voters=*/3));
  ASSERT_TRUE(f.RunUntil([&] { return f.VotersAre({1, 2, 3}); }, 400));
  f.Isolate(2);
  // The operator adds members 4 and 5: every core gets the new manifest (2 too, from its host).
  for (NodeId id : {1u, 2u, 3u}) ASSERT_TRUE(f[id].SetManifest({1, 2, 3, 4, 5}).ok());
  f.Boot(4, /*founder=*/false, {1, 2, 3, 4, 5});
  f.Boot(5, /*founder=*/false, {1, 2, 3, 4, 5});
  ASSERT_TRUE(f.RunUntil([&] { return f.VotersAre({1, 3, 4, 5}); }, 800));  // 2 removed as silent
  f.Kill(1);
  ASSERT_TRUE(f.RunUntil([&] { return f.VotersAre({3, 4, 5}); }, 800));  // 1 removed as silent
  if (f.Leader() == 3) {
    f.Kill(3);  // {3, 4, 5} keeps a quorum in 4 and 5
    ASSERT_TRUE(f.RunUntil([&] { return f.Leader() == 4 || f.Leader() == 5; }, 800));
  }
  NodeId leader = f.Leader();
  const Member* self = f[2].config().Find(2);
  ASSERT_TRUE(self != nullptr && self->voter) << "2 still believes it is a voter";
  ASSERT_EQ(f[2].config().Find(leader), nullptr) << "2's configuration does not know the leader";
  f.HealAll();
  ASSERT_TRUE(f.RunUntil([&] {
    NodeId l = f.Leader();
    if (l == kNoNode) return false;
    const Member* m = f[l].config().Find(2);
    return m != nullptr && m->voter && m->incarnation == f[2].incarnation();
  }, 800)) << "the leader never healed 2 back in";
}

TEST(RaftMembershipTest, ReplacementWithANewIdentityJoinsAsLearnerThenVoter) {
  Fleet f(3, 4, Silent(/*after_ticks=*/60, /*min_voters=*/2));
  ASSERT_TRUE(f.RunUntil([&] { return f.VotersAre({1, 2, 3}); }, 400));
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(f[1].Propose(ToBytes("c" + std::to_string(i))).ok());
  f.Run(3);
  f.Kill(3);
  ASSERT_TRUE(f.RunUntil([&] { return f.VotersAre({1, 2}); }, 200));
  // The operator adds member 4 (a new identity): every member gets the new manifest, and 4 boots
  // as a joiner with it. Healing adds it as a learner, it catches up, and is promoted.
  for (NodeId id : {1u, 2u}) ASSERT_TRUE(f[id].SetManifest({1, 2, 3, 4}).ok());
  f.Boot(4, /*founder=*/false, {1, 2, 3, 4});
  bool saw_learner = false;
  ASSERT_TRUE(f.RunUntil([&] {
    const Member* m = f[1].config().Find(4);
    if (m != nullptr && !m->voter) saw_learner = true;
    return f.VotersAre({1, 2, 4});
  }, 300));
  EXPECT_TRUE(saw_learner);
  EXPECT_EQ(f.sm(4).applied, f.sm(1).applied);
  // Now an original member can fail and the fleet still commits (2 of 3).
  NodeId l = f.Leader();
  f.Kill(l == 2 ? 1 : 2);
  ASSERT_TRUE(f.RunUntil([&] { return f.Leader() != kNoNode && f[f.Leader()].Propose(ToBytes("x")).ok(); }, 300));
  NodeId nl = f.Leader();
  uint64_t idx = f[nl].log().last_index();
  f.Run(5);
  EXPECT_GE(f[4].commit_index(), idx);
}

TEST(RaftMembershipTest, PeerChannelAddsANewMemberIdentity) {
  crypto::DeterministicRng rng(3);
  KxKeyPair k1 = KxKeyPair::Generate(rng), k2 = KxKeyPair::Generate(rng), k4 = KxKeyPair::Generate(rng);
  std::map<NodeId, KxPublicKey> old_manifest = {{1, k1.public_key}, {2, k2.public_key}};
  PeerChannel a(1, KxKeyPair{k1.public_key, k1.secret_key.Clone()}, old_manifest, rng);
  std::map<NodeId, KxPublicKey> grown = old_manifest;
  grown[4] = k4.public_key;
  PeerChannel d(4, KxKeyPair{k4.public_key, k4.secret_key.Clone()}, grown, rng);
  // Before the update, member 1 refuses 4's envelopes; after AddPeer they open.
  EXPECT_FALSE(a.Open(d.Seal(1, ToBytes("join"))).ok());
  EXPECT_FALSE(a.HasPeer(4));
  ASSERT_TRUE(a.AddPeer(4, k4.public_key).ok());
  ASSERT_TRUE(a.AddPeer(4, k4.public_key).ok());                       // idempotent
  EXPECT_FALSE(a.AddPeer(4, k2.public_key).ok());                      // identities never change
  EXPECT_FALSE(a.AddPeer(1, k4.public_key).ok());                      // not itself
  ASSERT_TRUE(a.Open(d.Seal(1, ToBytes("hello"))).ok());               // hello: learns 4's session
  for (auto& [to, env] : a.TakeControl()) ASSERT_TRUE(d.Open(env).ok());
  auto opened = a.Open(d.Seal(1, ToBytes("join")));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->from, 4u);
  EXPECT_EQ(opened->plaintext, ToBytes("join"));
}

}  // namespace
}  // namespace keyward::raft
