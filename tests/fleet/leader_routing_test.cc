// Leader-aware clients (docs/replication.md "Client routing"): a fleet member that relays a call,
// or turns a Recover stream away, names the leader in trailing metadata `keyward-leader`; the SDK
// then talks to the leader directly and goes back to its configured members when the leader dies.
// Asserted with real processes:
//   - a client given only a follower's address ends up on the leader: its next recovery works
//     while that follower is stopped (SIGSTOP), and current_address() is the leader's;
//   - following the hint never costs an extra guess (the turned-away stream read nothing): a
//     wrong password through a follower-only client takes exactly one attempt;
//   - after the leader is SIGKILLed the client is served again within a few seconds (back through
//     its follower, then on the new leader);
//   - a client that ignores hints stays on its member and is relayed (stream -> unary fallback),
//     also with exactly one attempt per wrong guess.
#include <signal.h>

#include "fleet_fixture.h"

namespace keyward::testing {
namespace {

using namespace std::chrono_literals;

constexpr auto kRestoreBound = 5s;

class LeaderRoutingTest : public FleetFixture {
 protected:
  void SetUp() override {
    // These cases name who leads (leader_, follower_) at set-up; a longer election timeout than the
    // fixture's 300 ms keeps a loaded machine (ASan, -j2) from moving the leadership mid-test,
    // while an election after the leader's SIGKILL still ends well inside kRestoreBound.
    FleetOptions options;
    options.node_flags = {"--no-rate-limit", "--log-level", "warn", "--election-timeout-ms", "800"};
    ASSERT_NO_FATAL_FAILURE(StartFleet(options));
    leader_ = WaitForLeader(10s);
    ASSERT_NE(leader_, -1) << "no leader after fleet init";
    ASSERT_TRUE(WaitAllVoters(15s)) << "members did not all become voters";
    follower_ = (leader_ + 1) % 3;
  }

  // A client of `addresses` only (fixture's trust policy and credentials), 2 s calls.
  std::unique_ptr<VaultClient> RoutingClient(const std::string& addresses, bool follow_hint) {
    VaultClient::Config config;
    config.vault_address = addresses;
    config.follow_leader_hint = follow_hint;
    config.trust_policy_path = trust_policy_;
    config.ksf = crypto::KsfConfig::Identity();
    config.call_timeout = 2000ms;
    auto key = app_key_;
    config.credentials = [key](std::string_view user) -> StatusOr<Bytes> {
      return key->Mint(AsBytes(user), node::NowUnixSeconds() + 600);
    };
    config.authority_credentials = [key](std::string_view user) -> StatusOr<Bytes> {
      return key->Mint(AsBytes(user), node::NowUnixSeconds() + 600, node::CredentialScope::kAccountAuthority);
    };
    auto c = VaultClient::Create(std::move(config));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // `op` on `client` until it answers something other than kUnavailable, or `bound`.
  template <typename Op>
  Outcome Until(VaultClient& client, Op op, std::chrono::milliseconds bound) {
    auto end = Clock::now() + bound;
    Outcome o;
    do {
      o = op(client);
      if (o.kind != ClientErrorKind::kUnavailable) return o;
      std::this_thread::sleep_for(20ms);  // poll interval of a bounded retry
    } while (Clock::now() < end);
    return o;
  }

  void RegisterVia(VaultClient& client, const std::string& user) {
    Outcome o = Until(client, [&](VaultClient& c) {
      return c.Register(user, Secret("pw"), Secret("secret-" + user), {.max_attempts = 10, .as_account_authority = true});
    }, 10s);
    ASSERT_TRUE(o.ok()) << user << ": " << o.message;
  }

  int leader_ = -1, follower_ = -1;
};

TEST_F(LeaderRoutingTest, FollowerOnlyClientMovesToTheLeaderAndSurvivesItsDeath) {
  const size_t f = static_cast<size_t>(follower_), l = static_cast<size_t>(leader_);
  auto client = RoutingClient(members_[f].client, /*follow_hint=*/true);
  ASSERT_NE(client, nullptr);
  ASSERT_NO_FATAL_FAILURE(RegisterVia(*client, "routed"));
  Outcome o = client->Recover("routed", Secret("pw"));
  ASSERT_TRUE(o.ok()) << o.message;
  EXPECT_EQ(client->current_address(), members_[l].client) << "the follower's hint was not followed";

  // A wrong guess through a fresh follower-only client: its stream is turned away by the follower
  // and re-opened at the leader, and exactly one attempt is used.
  auto fresh = RoutingClient(members_[f].client, /*follow_hint=*/true);
  ASSERT_NE(fresh, nullptr);
  o = fresh->Recover("routed", Secret("wrong"));
  ASSERT_EQ(o.kind, ClientErrorKind::kWrongPassword) << o.message;
  ASSERT_TRUE(o.attempts_remaining.has_value());
  EXPECT_EQ(*o.attempts_remaining, 9u) << "following the leader hint cost more than one guess";
  EXPECT_EQ(fresh->current_address(), members_[l].client);

  // With the follower stopped, only a client that talks to the leader directly is served.
  ASSERT_TRUE(members_[f].proc->Signal(SIGSTOP).ok());
  o = client->Recover("routed", Secret("pw"));
  ASSERT_TRUE(members_[f].proc->Signal(SIGCONT).ok());
  ASSERT_TRUE(o.ok()) << "not served while the follower it was given is stopped: " << o.message;
  ASSERT_TRUE(WaitAllVoters(10s)) << "the stopped follower did not catch up";

  // The leader dies: the client goes back to its follower, which relays to (and names) the new one.
  Kill(l);
  const auto killed = Clock::now();
  o = Until(*client, [](VaultClient& c) { return c.Recover("routed", Secret("pw")); }, 10s);
  ASSERT_TRUE(o.ok()) << o.message;
  EXPECT_LT(Clock::now() - killed, kRestoreBound) << "service not restored in time after the leader died";
  const int new_leader = WaitForLeader(5s, leader_);
  ASSERT_NE(new_leader, -1);
  // The next call (the new leader is settled now) lands on it.
  o = Until(*client, [](VaultClient& c) { return c.Recover("routed", Secret("pw")); }, 5s);
  ASSERT_TRUE(o.ok()) << o.message;
  EXPECT_EQ(client->current_address(), members_[static_cast<size_t>(new_leader)].client);
}

TEST_F(LeaderRoutingTest, ClientIgnoringTheHintIsRelayed) {
  const size_t f = static_cast<size_t>(follower_);
  auto client = RoutingClient(members_[f].client, /*follow_hint=*/false);
  ASSERT_NE(client, nullptr);
  ASSERT_NO_FATAL_FAILURE(RegisterVia(*client, "relayed"));
  Outcome o = client->Recover("relayed", Secret("pw"));
  ASSERT_TRUE(o.ok()) << o.message;
  o = client->Recover("relayed", Secret("wrong"));
  ASSERT_EQ(o.kind, ClientErrorKind::kWrongPassword) << o.message;
  ASSERT_TRUE(o.attempts_remaining.has_value());
  EXPECT_EQ(*o.attempts_remaining, 9u);
  EXPECT_EQ(client->current_address(), members_[f].client) << "a client ignoring hints moved";
}

TEST_F(LeaderRoutingTest, MemberListStartsWithItsFirstAddressAndFindsTheLeader) {
  // All members given, a follower first (what an app does): the first call lands on it.
  const size_t f = static_cast<size_t>(follower_), l = static_cast<size_t>(leader_);
  std::string list = members_[f].client;
  for (size_t i = 0; i < 3; ++i) {
    if (i != f) list += "," + members_[i].client;
  }
  auto client = RoutingClient(list, /*follow_hint=*/true);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->current_address(), members_[f].client);
  ASSERT_NO_FATAL_FAILURE(RegisterVia(*client, "listed"));
  EXPECT_EQ(client->current_address(), members_[l].client);
  Outcome o = client->Recover("listed", Secret("pw"));
  ASSERT_TRUE(o.ok()) << o.message;
}

}  // namespace
}  // namespace keyward::testing
