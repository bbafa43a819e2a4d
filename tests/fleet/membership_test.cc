// Fleet membership with real processes (issue 6, healing): 3 `keyward node --fleet-join` members
// with --fleet-remove-silent-after and --fleet-min-voters 2. One member is SIGKILLed for good and
// the leader removes it after the timeout; `keyward fleet remove` then refuses to go below 2
// voters; a fresh 4th node is added with `keyward fleet add` (sealed secrets from a member, learner,
// snapshot, voter); then another original member (the leader) is killed and the fleet of the
// survivor and the new member still serves recoveries with the attempt counter intact.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "fleet/fleet_fixture.h"
#include "node/fleet_manifest.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;
using testing::Secret;

constexpr auto kSilentAfter = 2s;

class FleetMembershipTest : public testing::FleetFixture {
 protected:
  void SetUp() override {
    testing::FleetOptions options;
    options.slots = 4;  // slot 3: the replacement added with `fleet add`
    options.node_flags.insert(options.node_flags.end(),
                              {"--fleet-remove-silent-after", "2s", "--fleet-min-voters", "2"});
    options.retry_poll = 20ms;
    ASSERT_NO_FATAL_FAILURE(StartFleet(std::move(options)));
    ASSERT_TRUE(WaitFor([&] { return VotersSeenByLeader() == 3 && SelfVoters() == 3; }, 15s))
        << "the fleet did not form with 3 voters";
  }
};

TEST_F(FleetMembershipTest, SilentMemberRemovedReplacementAddedFleetSurvivesAnotherLoss) {
  Outcome reg = Retry([](VaultClient& c) { return c.Register("carol", Secret("right"), Secret("carol's key"),
                                                             {.max_attempts = 10}); }, 10s);
  ASSERT_TRUE(reg.ok()) << reg.message;
  Outcome wrong = Retry([](VaultClient& c) { return c.Recover("carol", Secret("wrong-1")); }, 10s);
  ASSERT_EQ(wrong.kind, ClientErrorKind::kWrongPassword) << wrong.message;
  ASSERT_EQ(wrong.attempts_remaining.value_or(0), 9u);

  // 1. A follower dies for good: the leader removes it after the silence timeout (not before).
  int leader = Leader();
  ASSERT_GE(leader, 0);
  size_t dead = static_cast<size_t>((leader + 1) % 3);
  auto t_kill = Clock::now();
  ASSERT_NO_FATAL_FAILURE(Kill(dead));
  ASSERT_TRUE(WaitFor([&] { return VotersSeenByLeader() == 2; }, kSilentAfter + 8s))
      << "the silent member was not removed";
  EXPECT_GE(Clock::now() - t_kill, kSilentAfter - 200ms) << "removed before the configured silence";
  // The fleet now has 2 voters, its configured minimum: neither silence nor the operator go below.
  int l = Leader();
  ASSERT_GE(l, 0);
  size_t other = 3 - static_cast<size_t>(l) - dead;
  ASSERT_TRUE(Cli({"fleet", "remove", "--via", members_[other].peer, "--member", std::to_string(other + 1)},
                  /*want_exit=*/2).has_value());
  std::this_thread::sleep_for(kSilentAfter);  // a window in which nothing must be removed
  EXPECT_EQ(VotersSeenByLeader(), 2u);

  // 2. The operator adds a fresh node: it becomes member 4, a learner, then a voter.
  ASSERT_NO_FATAL_FAILURE(Start(3));
  auto added = Cli({"fleet", "add", "--via", members_[static_cast<size_t>(l)].peer, "--node", members_[3].peer,
                    "--out", (dir_.path() / "fleet").string()});
  ASSERT_TRUE(added.has_value());
  auto summary = nlohmann::json::parse(*added);
  EXPECT_EQ(summary["member"], 4);
  EXPECT_EQ(summary["not_updated"], nlohmann::json::array({dead + 1}));  // the dead one was unreachable
  members_[3].vault = Client(members_[3].client);
  ASSERT_TRUE(WaitFor([&] {
    auto s = StatusOf(3);
    return s && s->self_voter() && VotersSeenByLeader() == 3;
  }, 20s)) << "the new member did not become a voter";
  auto s4 = StatusOf(3);
  ASSERT_TRUE(s4.has_value());
  EXPECT_EQ(s4->id(), 4u);

  // 3. Kill another original member (the leader if an original leads): the remaining original and
  // the new member (2 of 3 voters) carry on.
  l = Leader();
  ASSERT_GE(l, 0);
  size_t victim = static_cast<size_t>(l);
  if (victim == 3) victim = other;
  ASSERT_NO_FATAL_FAILURE(Kill(victim));
  ASSERT_TRUE(WaitFor([&] { return Leader() >= 0; }, 10s)) << "no leader among the survivor and the new member";
  Outcome wrong2 = Retry([](VaultClient& c) { return c.Recover("carol", Secret("wrong-2")); }, 10s);
  ASSERT_EQ(wrong2.kind, ClientErrorKind::kWrongPassword) << wrong2.message;
  EXPECT_EQ(wrong2.attempts_remaining.value_or(0), 8u) << "a counted guess was lost";
  Outcome ok = Retry([](VaultClient& c) { return c.Recover("carol", Secret("right")); }, 10s);
  ASSERT_TRUE(ok.ok()) << ok.message;
  EXPECT_EQ(std::string(AsChars(ok.secret.Reveal())), "carol's key");
  // The new member itself answers (forwarding to the leader if it is not the leader).
  Outcome via4 = members_[3].vault->Recover("carol", Secret("right"));
  EXPECT_TRUE(via4.ok() || via4.kind == ClientErrorKind::kUnavailable) << via4.message;
}

// A member that was down during `fleet add` keeps the old manifest after it restarts; `fleet sync`
// sends it the update it missed (checked by its signed statement), and is a no-op after that.
class FleetSyncTest : public testing::FleetFixture {
 protected:
  void SetUp() override {
    testing::FleetOptions options;
    options.slots = 4;  // slot 3: the member added while slot 2 is down
    ASSERT_NO_FATAL_FAILURE(StartFleet(std::move(options)));
    ASSERT_TRUE(WaitAllVoters(15s, 3)) << "the fleet did not form with 3 voters";
  }
  // Member `i`'s manifest as it reports it (empty if it does not answer).
  node::FleetManifest ManifestOf(size_t i) {
    auto s = StatusOf(i);
    if (!s) return {};
    auto m = node::FleetManifest::Decode(AsBytes(s->manifest()));
    return m.ok() ? *m : node::FleetManifest{};
  }
};

TEST_F(FleetSyncTest, MemberDownDuringAddAdoptsTheMissedUpdate) {
  ASSERT_NO_FATAL_FAILURE(Kill(2));
  int l = WaitForLeader(10s);
  ASSERT_GE(l, 0);
  const std::string via = members_[static_cast<size_t>(l)].peer;
  ASSERT_NO_FATAL_FAILURE(Start(3));
  auto added = Cli({"fleet", "add", "--via", via, "--node", members_[3].peer});
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ(nlohmann::json::parse(*added)["not_updated"], nlohmann::json::array({3}));

  // Back with the manifest it had: three identities, no way to reach member 4.
  ASSERT_NO_FATAL_FAILURE(Restart(2));
  ASSERT_TRUE(WaitFor([&] { return StatusOf(2).has_value(); }, 10s));
  ASSERT_EQ(ManifestOf(2).members.size(), 3u);
  const node::FleetManifest full = ManifestOf(static_cast<size_t>(l));
  ASSERT_EQ(full.members.size(), 4u);

  // The wrong way round is refused and changes nothing.
  ASSERT_TRUE(Cli({"fleet", "sync", "--via", members_[2].peer, "--node", via}, /*want_exit=*/2).has_value());
  auto synced = Cli({"fleet", "sync", "--via", via, "--node", members_[2].peer});
  ASSERT_TRUE(synced.has_value());
  auto summary = nlohmann::json::parse(*synced);
  EXPECT_EQ(summary["member"], 3);
  EXPECT_EQ(summary["adopted"], nlohmann::json::array({4}));
  EXPECT_EQ(summary["update_statements"].size(), 1u);
  EXPECT_EQ(ManifestOf(2), full) << "the member did not adopt the manifest with member 4";

  // Nothing left to send.
  auto again = Cli({"fleet", "sync", "--via", via, "--node", members_[2].peer});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(nlohmann::json::parse(*again)["adopted"], nlohmann::json::array());
}

}  // namespace
}  // namespace keyward
