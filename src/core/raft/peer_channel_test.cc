#include "core/raft/peer_channel.h"

#include <gtest/gtest.h>

#include <memory>

namespace keyward::raft {
namespace {

struct Pair {
  Pair() : rng(1) {
    seed_a = KxKeyPair::Generate(rng);
    seed_b = KxKeyPair::Generate(rng);
    manifest = {{1, seed_a.public_key}, {2, seed_b.public_key}};
    Restart(1);
    Restart(2);
  }
  void Restart(NodeId id) {
    KxKeyPair& k = id == 1 ? seed_a : seed_b;
    KxKeyPair copy{k.public_key, k.secret_key.Clone()};
    (id == 1 ? a : b) = std::make_unique<PeerChannel>(id, std::move(copy), manifest, rng);
  }
  // Exchanges hellos so both sides know each other's session.
  void Handshake() {
    ASSERT_TRUE(b->Open(a->Seal(2, ToBytes("dropped"))).ok());  // a hello, payload dropped
    for (auto& [to, env] : b->TakeControl()) ASSERT_TRUE(a->Open(env).ok());
  }
  crypto::DeterministicRng rng;
  std::map<NodeId, KxPublicKey> manifest;
  KxKeyPair seed_a, seed_b;
  std::unique_ptr<PeerChannel> a, b;
};

TEST(PeerChannelTest, DeliversAfterHandshake) {
  Pair p;
  p.Handshake();
  Bytes env = p.a->Seal(2, ToBytes("append"));
  StatusOr<PeerChannel::Opened> o = p.b->Open(env);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_FALSE(o->hello);
  EXPECT_EQ(o->from, 1u);
  EXPECT_EQ(o->plaintext, ToBytes("append"));
}

TEST(PeerChannelTest, RejectsEveryAlteredByte) {
  Pair p;
  p.Handshake();
  Bytes env = p.a->Seal(2, ToBytes("vote for me"));
  for (size_t i = 0; i < env.size(); ++i) {
    Bytes bad = env;
    bad[i] ^= 0x01;
    EXPECT_FALSE(p.b->Open(bad).ok()) << "byte " << i;
  }
  EXPECT_TRUE(p.b->Open(env).ok());  // the original still opens (nothing was consumed)
}

TEST(PeerChannelTest, DetectsReplaysButAcceptsReordering) {
  Pair p;
  p.Handshake();
  Bytes m1 = p.a->Seal(2, ToBytes("1"));
  Bytes m2 = p.a->Seal(2, ToBytes("2"));
  ASSERT_TRUE(p.b->Open(m2).ok());
  ASSERT_TRUE(p.b->Open(m1).ok());  // reordered: fine
  EXPECT_FALSE(p.b->Open(m1).ok());  // replayed: refused
  EXPECT_FALSE(p.b->Open(m2).ok());
  EXPECT_EQ(p.b->replays_rejected(), 2u);
}

TEST(PeerChannelTest, MessagesForAPreviousLifeAreRefused) {
  Pair p;
  p.Handshake();
  Bytes old = p.a->Seal(2, ToBytes("to b's old life"));
  p.Restart(2);  // b loses everything
  EXPECT_FALSE(p.b->Open(old).ok());
  // b answers with a hello; after it a's messages reach b's new life.
  auto control = p.b->TakeControl();
  ASSERT_EQ(control.size(), 1u);
  ASSERT_TRUE(p.a->Open(control[0].second).ok());
  for (auto& [to, env] : p.a->TakeControl()) (void)p.b->Open(env);
  StatusOr<PeerChannel::Opened> o = p.b->Open(p.a->Seal(2, ToBytes("new")));
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->plaintext, ToBytes("new"));
}

TEST(PeerChannelTest, WrongKeyCannotForge) {
  Pair p;
  p.Handshake();
  crypto::DeterministicRng other(9);
  KxKeyPair mallory = KxKeyPair::Generate(other);
  auto manifest = p.manifest;
  manifest[1] = mallory.public_key;  // mallory pretends to be node 1 with its own key
  PeerChannel fake(1, std::move(mallory), manifest, other);
  (void)p.b->Open(fake.Seal(2, {}));  // hello: fails authentication too
  EXPECT_FALSE(p.b->Open(fake.Seal(2, ToBytes("forged"))).ok());
}

}  // namespace
}  // namespace keyward::raft
