// Fleet membership with real processes (issue 6, healing): 3 `keyward node --fleet-join` members
// with --fleet-remove-silent-after and --fleet-min-voters 2. One member is SIGKILLed for good and
// the leader removes it after the timeout; `keyward fleet remove` then refuses to go below 2
// voters; a fresh 4th node is added with `keyward fleet add` (sealed secrets from a member, learner,
// snapshot, voter); then another original member (the leader) is killed and the fleet of the
// survivor and the new member still serves recoveries with the attempt counter intact.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "keyward/client.h"
#include "keyward/v1/peer.grpc.pb.h"
#include "node/account_token.h"
#include "support/subprocess.h"
#include "support/vectors.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::KeywardBinary;
using testing::Subprocess;

constexpr auto kSilentAfter = 2s;

crypto::SecretBytes Secret(std::string_view s) { return crypto::SecretBytes(AsBytes(s)); }

struct Member {
  std::unique_ptr<Subprocess> proc;
  std::string client, peer;
  std::unique_ptr<v1::Peer::Stub> stub;
  std::unique_ptr<VaultClient> vault;
};

class FleetMembershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::SystemRng rng;
    app_key_path_ = (dir_.path() / "app.key").string();
    ASSERT_TRUE(node::AppKey::Generate(rng).Save(app_key_path_).ok());
    auto loaded = node::AppKey::Load(app_key_path_);
    ASSERT_TRUE(loaded.ok());
    app_key_ = std::make_shared<node::AppKey>(std::move(*loaded));
    members_.resize(4);
    for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(Start(i));
    auto init = Cli({"fleet", "init", "--out", (dir_.path() / "fleet").string(), "--nodes",
                     members_[0].peer + "," + members_[1].peer + "," + members_[2].peer});
    ASSERT_TRUE(init.has_value());
    trust_policy_ = nlohmann::json::parse(*init)["trust_policy"];
    for (int i = 0; i < 3; ++i) members_[static_cast<size_t>(i)].vault = Client(members_[static_cast<size_t>(i)].client);
    ASSERT_TRUE(WaitFor([&] { return VotersSeenByLeader() == 3 && SelfVoters() == 3; }, 15s))
        << "the fleet did not form with 3 voters";
  }

  void Start(int i) {
    std::vector<std::string> argv = {KeywardBinary(), "node", "--fleet-join", "--data-dir",
                                     (dir_.path() / ("n" + std::to_string(i))).string(), "--listen", "127.0.0.1:0",
                                     "--peer-listen", "127.0.0.1:0", "--app-key", app_key_path_, "--no-rate-limit",
                                     "--log-level", "warn", "--election-timeout-ms", "300",
                                     "--fleet-remove-silent-after", "2s", "--fleet-min-voters", "2"};
    auto proc = Subprocess::Start({.argv = argv});
    ASSERT_TRUE(proc.ok()) << proc.status().ToString();
    Member& m = members_[static_cast<size_t>(i)];
    m.proc = std::move(*proc);
    auto line = m.proc->WaitForLine("READY ", 30s);
    ASSERT_TRUE(line.ok()) << line.status().ToString();
    auto ready = nlohmann::json::parse(*line);
    m.client = ready["listen"];
    m.peer = ready["peer_listen"];
    m.stub = v1::Peer::NewStub(grpc::CreateChannel(m.peer, grpc::InsecureChannelCredentials()));
  }

  // Runs the CLI; returns its first stdout line if it exits with `want_exit`.
  std::optional<std::string> Cli(std::vector<std::string> args, int want_exit = 0) {
    args.insert(args.begin(), KeywardBinary());
    auto p = Subprocess::Start({.argv = args});
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return std::nullopt;
    auto line = (*p)->ReadLine(60s);
    auto status = (*p)->Wait(30s);
    EXPECT_TRUE(status.ok() && WIFEXITED(*status)) << args[2];
    if (!status.ok() || !WIFEXITED(*status)) return std::nullopt;
    EXPECT_EQ(WEXITSTATUS(*status), want_exit) << args[2] << ": " << (line.ok() ? *line : "");
    if (WEXITSTATUS(*status) != want_exit) return std::nullopt;
    return line.ok() ? *line : std::string();
  }

  std::unique_ptr<VaultClient> Client(const std::string& address) {
    VaultClient::Config config;
    config.vault_address = address;
    config.trust_policy_path = trust_policy_;
    config.ksf = crypto::KsfConfig::Identity();
    config.call_timeout = 3000ms;
    auto key = app_key_;
    config.credentials = [key](std::string_view user) -> StatusOr<Bytes> {
      return key->Mint(AsBytes(user), node::NowUnixSeconds() + 600);
    };
    auto c = VaultClient::Create(std::move(config));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(*c);
  }

  std::optional<v1::FleetStatusResponse> StatusOf(size_t i) {
    if (!members_[i].proc) return std::nullopt;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 300ms);
    v1::FleetStatusResponse resp;
    if (!members_[i].stub->Status(&ctx, v1::FleetStatusRequest(), &resp).ok()) return std::nullopt;
    return resp;
  }
  int Leader() {
    for (size_t i = 0; i < members_.size(); ++i) {
      auto s = StatusOf(i);
      if (s && s->ready_leader()) return static_cast<int>(i);
    }
    return -1;
  }
  uint32_t VotersSeenByLeader() {
    int l = Leader();
    if (l < 0) return 0;
    auto s = StatusOf(static_cast<size_t>(l));
    return s ? s->voters() : 0;
  }
  int SelfVoters() {
    int n = 0;
    for (size_t i = 0; i < members_.size(); ++i) {
      auto s = StatusOf(i);
      if (s && s->self_voter()) ++n;
    }
    return n;
  }
  bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds bound) {
    auto end = Clock::now() + bound;
    while (Clock::now() < end) {
      if (done()) return true;
      std::this_thread::sleep_for(50ms);  // poll interval of a bounded wait
    }
    return done();
  }
  void Kill(size_t i) {
    ASSERT_TRUE(members_[i].proc->Signal(SIGKILL).ok());
    (void)members_[i].proc->Wait(5s);
    members_[i].proc.reset();
  }
  // Retries on kUnavailable over the live members until an answer or `bound`.
  template <typename Op>
  Outcome Retry(Op op, std::chrono::milliseconds bound) {
    auto end = Clock::now() + bound;
    Outcome o;
    for (size_t k = 0; Clock::now() < end; ++k) {
      Member& m = members_[(next_++) % members_.size()];
      if (!m.proc || !m.vault) continue;
      o = op(*m.vault);
      if (o.kind != ClientErrorKind::kUnavailable) return o;
      std::this_thread::sleep_for(20ms);
    }
    return o;
  }

  testing::TempDir dir_;
  std::string app_key_path_, trust_policy_;
  std::shared_ptr<node::AppKey> app_key_;
  std::vector<Member> members_;
  size_t next_ = 0;
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

}  // namespace
}  // namespace keyward
