// Two cores driven only through the raft::StateMachine interface reach the same state, and the
// Prepare -> replicate -> Apply -> Complete path gives the same answers as the host API.
#include "core/replicated_state_machine.h"

#include <gtest/gtest.h>

#include "core/core_test_util.h"

namespace keyward::core {
namespace {

using testing::CoreHarness;

TEST(VaultStateMachineTest, ReplicasApplyingTheSameLogAgree) {
  CoreHarness leader(31);
  CoreHarness follower(32);  // different keys do not matter: Apply uses none
  VaultStateMachine leader_sm(leader.core());
  VaultStateMachine follower_sm(follower.core());
  uint64_t index = 0;
  auto replicate = [&](const Command& c) {
    const Bytes bytes = SerializeCommand(c);
    ++index;
    const Bytes a = leader_sm.Apply(index, bytes);
    const Bytes b = follower_sm.Apply(index, bytes);
    EXPECT_EQ(a, b);
    return ParseApplyResult(a).value();
  };
  testing::Upload u = leader.MakeUpload("u", "pw", "s", 2);
  auto prepared = leader.core().PrepareUpload(u.request, Authority::kNone, leader.rng());
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  ASSERT_TRUE(leader.core().CompleteUpload(*prepared, replicate(prepared->command)).ok());
  auto act = leader.core().PrepareActivate(AsBytes("u"), u.activation_key);
  ASSERT_TRUE(act.ok());
  ASSERT_TRUE(leader.core().CompleteActivate(replicate(act->command)).ok());
  for (int i = 0; i < 3; ++i) replicate(BeginLoginCommand{ToBytes("u")});
  EXPECT_EQ(leader.core().StateDigest(), follower.core().StateDigest());
  EXPECT_EQ(follower.core().Find(AsBytes("u"))->state, RecordState::kLocked);
  // Garbage entries change nothing on any replica.
  EXPECT_EQ(ParseApplyResult(leader_sm.Apply(++index, Bytes{0xff})).value().code, ApplyCode::kInvalid);
  EXPECT_EQ(leader_sm.last_applied_index(), index);
  // A healed replica catches up from a snapshot.
  CoreHarness healed(33);
  VaultStateMachine healed_sm(healed.core());
  ASSERT_TRUE(healed_sm.Restore(leader_sm.Snapshot()).ok());
  EXPECT_EQ(healed.core().StateDigest(), leader.core().StateDigest());
}

TEST(VaultStateMachineTest, SplitRecoveryPathCountsBeforeKe2) {
  CoreHarness h(34);
  h.Register("u", "pw", "secret", 3);
  VaultStateMachine sm(h.core());
  auto start = crypto::opaque::ClientStartLogin(AsBytes("pw"), h.rng()).value();
  auto prepared = h.core().PrepareRecoverStart(AsBytes("u"), start.ke1);
  ASSERT_TRUE(prepared.ok());
  EXPECT_EQ(h.core().Find(AsBytes("u"))->attempts_used, 0) << "prepare must not change state";
  const ApplyResult applied = ParseApplyResult(sm.Apply(1, SerializeCommand(prepared->command))).value();
  EXPECT_EQ(applied.attempts_used, 1);
  auto ke2 = h.core().CompleteRecoverStart(*prepared, applied, h.rng());
  ASSERT_TRUE(ke2.ok());
  auto fin = crypto::opaque::ClientFinishLogin(std::move(start.state), ke2->ke2, h.options());
  EXPECT_TRUE(fin.ok()) << "a counted guess gets a real KE2";
  // Completing with a result that did not count (e.g. the command lost to a newer one) yields a
  // fake KE2 — never a real one for an uncounted guess.
  auto start2 = crypto::opaque::ClientStartLogin(AsBytes("pw"), h.rng()).value();
  auto prepared2 = h.core().PrepareRecoverStart(AsBytes("u"), start2.ke1).value();
  ApplyResult not_counted = applied;
  not_counted.changed = false;
  auto fake = h.core().CompleteRecoverStart(prepared2, not_counted, h.rng());
  ASSERT_TRUE(fake.ok());
  EXPECT_FALSE(crypto::opaque::ClientFinishLogin(std::move(start2.state), fake->ke2, h.options()).ok());
}

}  // namespace
}  // namespace keyward::core
