// A 3-node fleet as real processes: `keyward node --fleet-join` x3 (each with its own SoftHSM2
// token in a temp dir, ephemeral loopback ports), `keyward fleet init`, then faults while clients
// register, recover and guess wrong: SIGKILL the leader and restart it (it rejoins empty and heals
// from the majority), SIGKILL another member, SIGSTOP the leader (a partition) and SIGCONT it.
// Asserted: no acknowledged registration is lost, no counted guess is lost (attempts_remaining
// never goes up), the lock-out happens exactly at max attempts although the guesses were counted by
// different leaders, and the service is back within a few seconds of each fault.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

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

constexpr auto kRestoreBound = 5s;  // service must be back within this after a fault

crypto::SecretBytes Secret(std::string_view s) { return crypto::SecretBytes(AsBytes(s)); }

struct Member {
  std::unique_ptr<Subprocess> proc;
  std::string client, peer;
  std::unique_ptr<v1::Peer::Stub> stub;
  std::unique_ptr<VaultClient> vault;
};

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::SystemRng rng;
    app_key_path_ = (dir_.path() / "app.key").string();
    ASSERT_TRUE(node::AppKey::Generate(rng).Save(app_key_path_).ok());
    auto loaded = node::AppKey::Load(app_key_path_);
    ASSERT_TRUE(loaded.ok());
    app_key_ = std::make_shared<node::AppKey>(std::move(*loaded));
    members_.resize(3);
    for (int i = 0; i < 3; ++i) Start(i, "127.0.0.1:0", "127.0.0.1:0");
    std::vector<std::string> argv = {KeywardBinary(), "fleet", "init", "--out", (dir_.path() / "fleet").string(),
                                     "--nodes", members_[0].peer + "," + members_[1].peer + "," + members_[2].peer};
    auto init = Subprocess::Start({.argv = argv});
    ASSERT_TRUE(init.ok()) << init.status().ToString();
    auto line = (*init)->ReadLine(60s);
    ASSERT_TRUE(line.ok()) << line.status().ToString();
    auto status = (*init)->Wait(30s);
    ASSERT_TRUE(status.ok() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *line;
    trust_policy_ = nlohmann::json::parse(*line)["trust_policy"];
    for (auto& m : members_) m.vault = Client(m.client);
    ASSERT_NE(WaitForLeader(10s), -1) << "no leader after fleet init";
    ASSERT_TRUE(WaitAllVoters(15s)) << "members did not all become voters";
  }

  void Start(int i, const std::string& client, const std::string& peer) {
    std::vector<std::string> argv = {KeywardBinary(), "node", "--fleet-join", "--data-dir",
                                     (dir_.path() / ("n" + std::to_string(i))).string(), "--listen", client,
                                     "--peer-listen", peer, "--app-key", app_key_path_, "--no-rate-limit",
                                     "--log-level", "warn", "--election-timeout-ms", "300"};
    auto proc = Subprocess::Start({.argv = argv});
    ASSERT_TRUE(proc.ok()) << proc.status().ToString();
    Member& m = members_[static_cast<size_t>(i)];
    m.proc = std::move(*proc);
    auto line = m.proc->WaitForLine("READY ", 30s);
    ASSERT_TRUE(line.ok()) << line.status().ToString();
    auto ready = nlohmann::json::parse(*line);  // WaitForLine strips the prefix
    m.client = ready["listen"];
    m.peer = ready["peer_listen"];
    m.stub = v1::Peer::NewStub(grpc::CreateChannel(m.peer, grpc::InsecureChannelCredentials()));
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
    config.authority_credentials = [key](std::string_view user) -> StatusOr<Bytes> {
      return key->Mint(AsBytes(user), node::NowUnixSeconds() + 600, node::CredentialScope::kAccountAuthority);
    };
    auto c = VaultClient::Create(std::move(config));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(*c);
  }

  std::optional<v1::FleetStatusResponse> StatusOf(int i) {
    if (!members_[static_cast<size_t>(i)].proc) return std::nullopt;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 300ms);
    v1::FleetStatusRequest req;
    v1::FleetStatusResponse resp;
    if (!members_[static_cast<size_t>(i)].stub->Status(&ctx, req, &resp).ok()) return std::nullopt;
    return resp;
  }

  // Index of a ready leader among the members not in `skip`, polling until `bound`; -1 if none.
  int WaitForLeader(std::chrono::milliseconds bound, int skip = -1) {
    auto end = Clock::now() + bound;
    while (Clock::now() < end) {
      for (int i = 0; i < 3; ++i) {
        if (i == skip) continue;
        auto s = StatusOf(i);
        if (s && s->ready_leader()) return i;
      }
      std::this_thread::sleep_for(20ms);  // poll interval of a bounded wait
    }
    return -1;
  }

  bool WaitAllVoters(std::chrono::milliseconds bound) {
    auto end = Clock::now() + bound;
    while (Clock::now() < end) {
      int voters = 0;
      uint64_t commit = 0;
      std::vector<uint64_t> applied;
      for (int i = 0; i < 3; ++i) {
        auto s = StatusOf(i);
        if (!s) break;
        if (s->self_voter() && s->voters() == 3) ++voters;
        if (s->ready_leader()) commit = s->commit_index();
        applied.push_back(s->applied_index());
      }
      if (voters == 3 && commit > 0 && std::all_of(applied.begin(), applied.end(), [&](uint64_t a) { return a >= commit; })) {
        return true;
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  // Retries `op` on kUnavailable (rotating over the members) until it answers or `bound` passes.
  template <typename Op>
  Outcome Retry(Op op, std::chrono::milliseconds bound, int* ambiguous = nullptr) {
    auto end = Clock::now() + bound;
    Outcome o;
    for (size_t k = 0; Clock::now() < end; ++k) {
      Member& m = members_[(next_++) % 3];
      if (!m.proc) continue;
      o = op(*m.vault);
      if (o.kind != ClientErrorKind::kUnavailable) return o;
      if (ambiguous != nullptr) ++*ambiguous;
      std::this_thread::sleep_for(10ms);
    }
    return o;
  }

  // A wrong guess for the lock user; checks the counter against the previous answer.
  void WrongGuess() {
    int ambiguous = 0;
    Outcome o = Retry([](VaultClient& c) { return c.Recover("lock-user", Secret("wrong")); }, 10s, &ambiguous);
    if (o.kind == ClientErrorKind::kLocked) {
      // The guess that used the last attempt destroys the record (exactly at max attempts).
      ASSERT_LE(remaining_, 1u + static_cast<uint32_t>(ambiguous)) << "locked with guesses left";
      remaining_ = 0;
      return;
    }
    ASSERT_EQ(o.kind, ClientErrorKind::kWrongPassword) << o.message;
    ASSERT_TRUE(o.attempts_remaining.has_value());
    uint32_t left = *o.attempts_remaining;
    // Never goes up (no counted guess lost); down by exactly 1 unless a failed try may have counted.
    ASSERT_LT(left, remaining_) << "a counted guess was lost";
    if (ambiguous == 0) {
      ASSERT_EQ(left, remaining_ - 1);
    }
    ambiguous_ += ambiguous;
    remaining_ = left;
  }

  void Register(const std::string& user) {
    Outcome o = Retry([&](VaultClient& c) { return c.Register(user, Secret("pw-" + user), Secret("secret-" + user),
                                                              {.max_attempts = 10, .as_account_authority = true}); },
                      10s);
    // A retried registration may find its own earlier upload active: registering with the account
    // authority replaces it, so only a success counts as acknowledged.
    ASSERT_TRUE(o.ok()) << user << ": " << o.message;
    acknowledged_.push_back(user);
  }

  // Time until a full recovery succeeds (the service is back).
  std::chrono::milliseconds Restore(const std::string& user) {
    auto t0 = Clock::now();
    Outcome o = Retry([&](VaultClient& c) { return c.Recover(user, Secret("pw-" + user)); }, 10s);
    EXPECT_TRUE(o.ok()) << user << ": " << o.message;
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  }

  void Kill(int i) {
    ASSERT_TRUE(members_[static_cast<size_t>(i)].proc->Signal(SIGKILL).ok());
    (void)members_[static_cast<size_t>(i)].proc->Wait(5s);
    members_[static_cast<size_t>(i)].proc.reset();
  }

  void Restart(int i) {
    Member& m = members_[static_cast<size_t>(i)];
    std::string client = m.client, peer = m.peer;
    Start(i, client, peer);  // the addresses in the manifest
    m.vault = Client(m.client);
  }

  testing::TempDir dir_;
  std::string app_key_path_, trust_policy_;
  std::shared_ptr<node::AppKey> app_key_;
  std::vector<Member> members_;
  size_t next_ = 0;
  uint32_t remaining_ = 0;
  int ambiguous_ = 0;
  std::vector<std::string> acknowledged_;
};

TEST_F(FleetTest, SurvivesKillsRestartsAndPartitionsWithoutLosingRecordsOrGuesses) {
  constexpr uint32_t kMax = 8;
  Outcome reg = Retry([](VaultClient& c) {
    return c.Register("lock-user", Secret("right"), Secret("lock secret"), {.max_attempts = kMax});
  }, 10s);
  ASSERT_TRUE(reg.ok()) << reg.message;
  remaining_ = kMax;
  for (int u = 0; u < 3; ++u) ASSERT_NO_FATAL_FAILURE(Register("user-" + std::to_string(u)));
  ASSERT_NO_FATAL_FAILURE(WrongGuess());

  // Fault 1: SIGKILL the leader, guesses and registrations while it is down, restart it.
  int leader = WaitForLeader(5s);
  ASSERT_NE(leader, -1);
  ASSERT_NO_FATAL_FAILURE(Kill(leader));
  auto restored = Restore("user-0");
  EXPECT_LE(restored, kRestoreBound) << "service not restored after killing the leader";
  ASSERT_NO_FATAL_FAILURE(WrongGuess());
  ASSERT_NO_FATAL_FAILURE(Register("user-3"));
  ASSERT_NO_FATAL_FAILURE(Restart(leader));
  ASSERT_TRUE(WaitAllVoters(20s)) << "the restarted member did not heal back to a voter";
  ASSERT_NO_FATAL_FAILURE(WrongGuess());

  // Fault 2: SIGKILL another member (the current leader, so a third core counts guesses).
  int second = WaitForLeader(5s);
  ASSERT_NE(second, -1);
  ASSERT_NO_FATAL_FAILURE(Kill(second));
  restored = Restore("user-1");
  EXPECT_LE(restored, kRestoreBound) << "service not restored after killing a second member";
  ASSERT_NO_FATAL_FAILURE(WrongGuess());
  ASSERT_NO_FATAL_FAILURE(Register("user-4"));
  ASSERT_NO_FATAL_FAILURE(Restart(second));
  ASSERT_TRUE(WaitAllVoters(20s));

  // Fault 3: partition the leader with SIGSTOP, then SIGCONT.
  int stopped = WaitForLeader(5s);
  ASSERT_NE(stopped, -1);
  ASSERT_TRUE(members_[static_cast<size_t>(stopped)].proc->Signal(SIGSTOP).ok());
  std::unique_ptr<Subprocess> parked = std::move(members_[static_cast<size_t>(stopped)].proc);  // not tried meanwhile
  restored = Restore("user-2");
  EXPECT_LE(restored, kRestoreBound) << "service not restored after partitioning the leader";
  ASSERT_NO_FATAL_FAILURE(WrongGuess());
  ASSERT_NO_FATAL_FAILURE(Register("user-5"));
  members_[static_cast<size_t>(stopped)].proc = std::move(parked);
  ASSERT_TRUE(members_[static_cast<size_t>(stopped)].proc->Signal(SIGCONT).ok());
  ASSERT_TRUE(WaitAllVoters(20s)) << "the partitioned member did not catch up";

  // Exact lock-out: keep guessing until no guesses are left; the next attempt, even with the right
  // password, finds the record destroyed.
  for (uint32_t k = 0; k <= kMax && remaining_ > 0 && !HasFatalFailure(); ++k) WrongGuess();
  ASSERT_EQ(remaining_, 0u);
  Outcome locked = Retry([](VaultClient& c) { return c.Recover("lock-user", Secret("right")); }, 10s);
  EXPECT_EQ(locked.kind, ClientErrorKind::kLocked) << locked.message;
  std::printf("lock-out after %u attempts; %d tries had no definite answer\n", kMax, ambiguous_);

  // No acknowledged registration lost, on whichever member answers.
  for (const std::string& user : acknowledged_) {
    Outcome o = Retry([&](VaultClient& c) { return c.Recover(user, Secret("pw-" + user)); }, 10s);
    EXPECT_TRUE(o.ok()) << user << ": " << o.message;
    EXPECT_EQ(std::string(AsChars(o.secret.Reveal())), "secret-" + user);
  }
}

}  // namespace
}  // namespace keyward
