// FleetCoreHost (src/node/fleet_core_host.h) in one process: three FleetStates with in-memory
// keystores whose replicas talk over real loopback gRPC (a FleetPeerService server each), joined
// the way `keyward fleet init` joins them, and a FleetCoreHost on each. The host is driven directly
// with the client protocol (src/client/protocol.h), so the tests see what VaultService would see:
//   - G1: RecoverStart's `done` runs only after the BeginLogin that counted the guess was committed
//     and applied (the leader's record shows the guess inside `done`); a leader with one follower
//     left (a majority) still counts and answers, one cut off from every follower never releases a
//     KE2 and counts nothing;
//   - a follower answers kUnavailable naming the leader (what the forwarder and the SDK act on);
//   - a stopped host answers kUnavailable, synchronously;
//   - every `done` runs exactly once, also for calls in flight when the node shuts down.
#include "node/fleet_core_host.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "client/protocol.h"
#include "node/fleet_member.h"
#include "node/fleet_peer_service.h"
#include "pkcs11/keystore.h"

namespace keyward::node {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One call's answer: how many times `done` ran, the first result, and on which thread. Everything
// is recorded under the lock before waiters are woken (a waiter may read it at once).
template <typename T>
struct Answer {
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  std::optional<StatusOr<T>> result;
  std::thread::id thread;

  CoreDone<T> Done(std::function<void()> before = nullptr) {
    return [this, before = std::move(before)](StatusOr<T> r) {
      if (before) before();  // observations that must precede the answer
      std::lock_guard lock(mu);
      if (++calls == 1) {
        result = std::move(r);
        thread = std::this_thread::get_id();
      }
      cv.notify_all();
    };
  }
  // The result, or nullopt if `done` did not run within `bound`.
  std::optional<StatusOr<T>> Wait(std::chrono::milliseconds bound) {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, bound, [&] { return calls > 0; })) return std::nullopt;
    return result;
  }
  int Calls() {
    std::lock_guard lock(mu);
    return calls;
  }
};

class FleetCoreHostTest : public ::testing::Test {
 protected:
  struct Member {
    std::unique_ptr<FleetState> state;
    std::unique_ptr<FleetPeerService> service;
    std::unique_ptr<grpc::Server> server;
    std::string peer;
    std::unique_ptr<FleetCoreHost> host;
  };

  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    members_.resize(3);
    FleetManifest manifest;
    manifest.fleet_id = "core-host-test";
    for (size_t i = 0; i < members_.size(); ++i) {
      Member& m = members_[i];
      FleetState::Config config;
      // Elections after 400-800 ms of silence: a loop stalled under ASan on a loaded machine must not
      // move the leadership in the middle of a test (the node's default is 300-600 ms).
      config.replica.tick = 10ms;
      config.replica.election_timeout_min_ticks = 40;
      config.replica.election_timeout_max_ticks = 80;
      config.replica.heartbeat_ticks = 3;
      config.replica.commit_timeout = 1500ms;
      auto state = FleetState::Open(std::make_unique<pkcs11::InMemoryKeystore>(), config);
      ASSERT_TRUE(state.ok()) << state.status().ToString();
      m.state = std::move(*state);
      m.service = std::make_unique<FleetPeerService>(m.state.get());
      int port = 0;
      grpc::ServerBuilder builder;
      builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
      builder.RegisterService(m.service.get());
      m.server = builder.BuildAndStart();
      ASSERT_TRUE(m.server != nullptr && port > 0);
      m.peer = "127.0.0.1:" + std::to_string(port);
      m.state->SetAddresses("127.0.0.1:1", m.peer);  // no client (Vault) server: the host is called directly
      FleetMember fm;
      fm.id = static_cast<uint32_t>(i + 1);
      fm.kx_public_key = m.state->kx_public_key();
      fm.sign_public_key = m.state->sign_public_key();
      fm.peer_address = m.peer;
      fm.client_address = "127.0.0.1:1";
      manifest.members.push_back(fm);
    }
    // As `keyward fleet init`: the founder boxes the fleet secrets for the others.
    const Bytes encoded = manifest.Encode();
    v1::InitResponse founder;
    for (size_t i = 0; i < members_.size(); ++i) {
      v1::InitRequest req;
      req.set_manifest(std::string(AsChars(encoded)));
      req.set_member_id(static_cast<uint32_t>(i + 1));
      req.set_founder(i == 0);
      if (i > 0) req.set_sealed_secrets(founder.sealed_secrets(static_cast<int>(i)));
      v1::InitResponse resp;
      Status joined = members_[i].state->Join(req, &resp);
      ASSERT_TRUE(joined.ok()) << joined.ToString();
      if (i == 0) founder = resp;
    }
    for (Member& m : members_) m.host = std::make_unique<FleetCoreHost>(m.state.get(), 2);
    ASSERT_TRUE(WaitStable(10s)) << "the fleet did not settle on one leader with 3 voters";
    const int l = WaitLeader(1s);
    ASSERT_GE(l, 0);
    leader_ = static_cast<size_t>(l);
  }

  void TearDown() override {
    // Every replica and transport first (no peer stream keeps a server waiting), then as below.
    for (Member& m : members_) {
      if (m.state) m.state->Shutdown();
    }
    for (Member& m : members_) StopMember(m);
  }

  // The shutdown order of RunFleetNode: replica (pending commits fail), gRPC server, host.
  static void StopMember(Member& m) {
    if (m.state) m.state->Shutdown();
    if (m.server) {
      m.server->Shutdown(std::chrono::system_clock::now() + 500ms);  // then in-flight peer streams are cancelled
      m.server->Wait();
      m.server.reset();
    }
    if (m.host) m.host->Stop();
  }

  // Index of the member that is a ready leader, polling up to `bound`; -1 if none.
  int WaitLeader(std::chrono::milliseconds bound) {
    const auto end = Clock::now() + bound;
    do {
      for (size_t i = 0; i < members_.size(); ++i) {
        auto rt = members_[i].state->runtime();
        if (rt && rt->replica->info().ready_leader) return static_cast<int>(i);
      }
      std::this_thread::sleep_for(5ms);  // poll interval of a bounded wait
    } while (Clock::now() < end);
    return -1;
  }

  // Polls until every member is a voter of 3, all name the same leader, and it is ready.
  bool WaitStable(std::chrono::milliseconds bound) {
    const auto end = Clock::now() + bound;
    do {
      std::set<raft::NodeId> leaders;
      bool all = true, ready = false;
      for (Member& m : members_) {
        auto rt = m.state->runtime();
        if (!rt) return false;
        FleetInfo in = rt->replica->info();
        all = all && in.self_voter && in.voters == 3 && in.leader != raft::kNoNode;
        leaders.insert(in.leader);
        ready = ready || in.ready_leader;
      }
      if (all && ready && leaders.size() == 1) return true;
      std::this_thread::sleep_for(5ms);  // poll interval of a bounded wait
    } while (Clock::now() < end);
    return false;
  }

  // The record of `user` as member `i`'s core has applied it (nullopt: no record).
  std::optional<core::UserRecord> RecordAt(size_t i, const std::string& user) {
    auto rt = members_[i].state->runtime();
    if (!rt) return std::nullopt;
    std::shared_lock lock(rt->core_mu);
    const core::UserRecord* r = rt->core->Find(AsBytes(user));
    if (r == nullptr) return std::nullopt;
    return *r;
  }

  static crypto::opaque::Options Opaque() {
    crypto::opaque::Options o;
    o.ksf = crypto::KsfConfig::Identity();
    return o;
  }

  // Registers and activates `user` through member `i`'s host (as the account authority, so a
  // retry may replace what an earlier try left); the first error.
  Status TryRegister(size_t i, const std::string& user, const std::string& password, uint8_t max_attempts) {
    FleetCoreHost& host = *members_[i].host;
    ASSIGN_OR_RETURN(auto start, client::StartRegistration(AsBytes(password), rng_));
    ASSIGN_OR_RETURN(auto rs, host.RegisterStart(AsBytes(user), start.registration_request));
    crypto::SecretBytes secret(AsBytes("secret of " + user));
    client::RegistrationParams params;
    params.user_id = ToBytes(user);
    params.secret = &secret;
    params.max_attempts = max_attempts;
    params.validated_fleet_key = host.fleet_public_key();
    params.options = Opaque();
    ASSIGN_OR_RETURN(auto up, client::FinishRegistration(std::move(start.state), rs.registration_response,
                                                         rs.registration_epoch, params, rng_));
    Answer<core::UploadResult> uploaded;
    host.Upload(up.upload, core::Authority::kAccount, uploaded.Done());
    auto u = uploaded.Wait(10s);
    if (!u.has_value()) return Internal("Upload: done never ran");
    RETURN_IF_ERROR(u->status());
    Answer<core::ActivateResult> activated;
    host.Activate(ToBytes(user), Bytes(up.activation_key.Reveal().begin(), up.activation_key.Reveal().end()),
                  activated.Done());
    auto a = activated.Wait(10s);
    if (!a.has_value()) return Internal("Activate: done never ran");
    return a->status();
  }
  // Registers `user` on the leader, following the leadership if it moves (bounded); leader_ is the
  // member that answered.
  void Register(const std::string& user, const std::string& password, uint8_t max_attempts) {
    Status s = Unavailable("not tried");
    for (auto end = Clock::now() + 20s; Clock::now() < end;) {
      const int l = WaitLeader(5s);
      if (l < 0) continue;
      s = TryRegister(static_cast<size_t>(l), user, password, max_attempts);
      leader_ = static_cast<size_t>(l);
      if (s.code() != ErrorCode::kUnavailable) break;
    }
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  Bytes Ke1(const std::string& password) {
    auto start = client::StartRecovery(AsBytes(password), rng_);
    EXPECT_TRUE(start.ok());
    return start.ok() ? start->ke1 : Bytes();
  }

  crypto::SystemRng rng_;
  std::vector<Member> members_;
  size_t leader_ = 0;  // the ready leader once SetUp settled
};

TEST_F(FleetCoreHostTest, RecoverStartAnswersOnlyAfterTheGuessIsCommitted) {
  ASSERT_NO_FATAL_FAILURE(Register("g1-user", "right", 5));
  const size_t leader = leader_;
  auto before = RecordAt(leader, "g1-user");
  ASSERT_TRUE(before.has_value());

  // The leader's record at the moment `done` ran (observed inside `done`, before the answer is
  // published): the replica applies only committed entries, so the counted guess must be there.
  std::optional<core::UserRecord> record_at_done;
  Answer<core::RecoverStartResult> started;
  auto start = client::StartRecovery(AsBytes(std::string_view("right")), rng_);
  ASSERT_TRUE(start.ok());
  members_[leader].host->RecoverStart(ToBytes("g1-user"), start->ke1,
                                      started.Done([&] { record_at_done = RecordAt(leader, "g1-user"); }));
  auto r = started.Wait(10s);
  ASSERT_TRUE(r.has_value()) << "RecoverStart's done never ran";
  ASSERT_TRUE(r->ok()) << r->status().ToString();
  EXPECT_EQ((*r)->ke2.size(), 320u);
  ASSERT_TRUE(record_at_done.has_value());
  EXPECT_EQ(record_at_done->attempts_used, before->attempts_used + 1) << "KE2 released before the guess was applied";
  EXPECT_EQ(record_at_done->login_serial, before->login_serial + 1);

  // The KE2 is a real one: the right password recovers, and the success resets the counter.
  auto cont = client::ContinueRecovery(std::move(start->state), (*r)->ke2, (*r)->login_state, ToBytes("g1-user"),
                                       members_[leader].host->fleet_public_key(), Opaque(), rng_);
  ASSERT_TRUE(cont.ok()) << cont.status().ToString();
  ASSERT_TRUE(cont->session.verified());
  Answer<core::RecoverFinishResult> finished;
  members_[leader].host->RecoverFinish(ToBytes("g1-user"), (*r)->login_state, cont->ke3, finished.Done());
  auto f = finished.Wait(10s);
  ASSERT_TRUE(f.has_value() && f->ok()) << (f ? f->status().ToString() : "no answer");
  EXPECT_EQ((*f)->outcome, core::RecoverOutcome::kSuccess);
  EXPECT_EQ((*f)->attempts_remaining, 5u);

  // Every member applies the same record (the commit reached the followers too).
  const auto end = Clock::now() + 10s;
  bool same = false;
  while (!same && Clock::now() < end) {
    auto a = RecordAt(0, "g1-user"), b = RecordAt(1, "g1-user"), c = RecordAt(2, "g1-user");
    same = a && b && c && *a == *b && *b == *c && a->login_serial == before->login_serial + 1;
    if (!same) std::this_thread::sleep_for(5ms);  // poll interval of a bounded wait
  }
  EXPECT_TRUE(same) << "the followers did not apply the counted guess";
  EXPECT_EQ(started.Calls(), 1);
  EXPECT_EQ(finished.Calls(), 1);
}

TEST_F(FleetCoreHostTest, KeTwoNeedsAMajorityLeaderAloneCountsNothing) {
  ASSERT_NO_FATAL_FAILURE(Register("cut-user", "right", 5));
  const size_t leader = leader_;
  const size_t f1 = (leader + 1) % 3, f2 = (leader + 2) % 3;
  // Every member applied the registration before any of them goes.
  const auto end = Clock::now() + 10s;
  while (Clock::now() < end && !(RecordAt(0, "cut-user") && RecordAt(1, "cut-user") && RecordAt(2, "cut-user"))) {
    std::this_thread::sleep_for(5ms);  // poll interval of a bounded wait
  }
  ASSERT_TRUE(RecordAt(f2, "cut-user").has_value());

  // One follower down: the leader and the other follower are a majority; the guess is counted.
  members_[f1].state->Shutdown();
  auto before = RecordAt(leader, "cut-user");
  ASSERT_TRUE(before.has_value());
  Answer<core::RecoverStartResult> with_majority;
  members_[leader].host->RecoverStart(ToBytes("cut-user"), Ke1("right"), with_majority.Done());
  auto ok = with_majority.Wait(10s);
  ASSERT_TRUE(ok.has_value() && ok->ok()) << (ok ? ok->status().ToString() : "no answer");
  auto counted = RecordAt(leader, "cut-user");
  ASSERT_TRUE(counted.has_value());
  EXPECT_EQ(counted->attempts_used, before->attempts_used + 1);

  // The other follower down too: the leader alone can commit nothing, so no KE2 and no count.
  members_[f2].state->Shutdown();
  Answer<core::RecoverStartResult> alone;
  members_[leader].host->RecoverStart(ToBytes("cut-user"), Ke1("right"), alone.Done());
  // Bounded by commit_timeout (1.5 s) or the loss of leadership, whichever comes first.
  auto r = alone.Wait(10s);
  ASSERT_TRUE(r.has_value()) << "done never ran for a guess that cannot be committed";
  ASSERT_FALSE(r->ok()) << "a KE2 was released without a majority";
  EXPECT_EQ(r->status().code(), ErrorCode::kUnavailable) << r->status().ToString();
  auto after = RecordAt(leader, "cut-user");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->attempts_used, counted->attempts_used) << "an uncommitted guess was applied";
  EXPECT_EQ(after->login_serial, counted->login_serial);
  EXPECT_EQ(with_majority.Calls(), 1);
  EXPECT_EQ(alone.Calls(), 1);
}

TEST_F(FleetCoreHostTest, FollowerAnswersUnavailableNamingTheLeader) {
  const size_t leader = leader_;
  const size_t follower = (leader + 1) % members_.size();
  // Bounded wait until the follower has heard from the leader.
  auto frt = members_[follower].state->runtime();
  ASSERT_TRUE(frt);
  const auto end = Clock::now() + 5s;
  while (frt->replica->info().leader != leader + 1 && Clock::now() < end) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(frt->replica->info().leader, leader + 1);
  const std::string hint = "leader: member " + std::to_string(leader + 1);
  FleetCoreHost& host = *members_[follower].host;

  auto rs = host.RegisterStart(AsBytes(std::string_view("f-user")), Bytes(32, 0));
  ASSERT_FALSE(rs.ok());
  EXPECT_EQ(rs.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(rs.status().message().find(hint), std::string::npos) << rs.status().ToString();

  Answer<core::RecoverStartResult> start;
  host.RecoverStart(ToBytes("f-user"), Ke1("pw"), start.Done());
  Answer<core::RecoverFinishResult> finish;
  host.RecoverFinish(ToBytes("f-user"), Bytes(10, 1), Bytes(64, 2), finish.Done());
  Answer<core::UploadResult> upload;
  host.Upload(core::UploadRequest{.user_id = ToBytes("f-user")}, core::Authority::kNone, upload.Done());
  Answer<core::ActivateResult> activate;
  host.Activate(ToBytes("f-user"), Bytes(32, 3), activate.Done());
  Answer<core::DeleteResult> del;
  host.Delete(core::DeleteRequest{.user_id = ToBytes("f-user")}, core::Authority::kAccount, del.Done());
  auto check = [&](auto& answer, const char* what) {
    auto r = answer.Wait(10s);
    ASSERT_TRUE(r.has_value()) << what << ": no answer";
    ASSERT_FALSE(r->ok()) << what;
    EXPECT_EQ(r->status().code(), ErrorCode::kUnavailable) << what << ": " << r->status().ToString();
    EXPECT_NE(r->status().message().find(hint), std::string::npos) << what << ": " << r->status().ToString();
    EXPECT_EQ(answer.Calls(), 1) << what;
  };
  check(start, "RecoverStart");
  check(finish, "RecoverFinish");
  check(upload, "Upload");
  check(activate, "Activate");
  check(del, "Delete");
  // Nothing was counted anywhere.
  for (size_t i = 0; i < members_.size(); ++i) EXPECT_FALSE(RecordAt(i, "f-user").has_value()) << i;
}

TEST_F(FleetCoreHostTest, StoppedHostAnswersUnavailableOnTheCallersThread) {
  Member& m = members_[leader_];
  StopMember(m);  // state shut down, then the host stopped
  auto rs = m.host->RegisterStart(AsBytes(std::string_view("s-user")), Bytes(32, 0));
  EXPECT_EQ(rs.status().code(), ErrorCode::kUnavailable);
  Answer<core::RecoverStartResult> start;
  m.host->RecoverStart(ToBytes("s-user"), Ke1("pw"), start.Done());
  // A stopped host runs `done` inside the call, on this thread.
  ASSERT_EQ(start.Calls(), 1);
  EXPECT_EQ(start.thread, std::this_thread::get_id());
  ASSERT_TRUE(start.result.has_value());
  EXPECT_EQ(start.result->status().code(), ErrorCode::kUnavailable) << start.result->status().ToString();
  Answer<core::UploadResult> upload;
  m.host->Upload(core::UploadRequest{.user_id = ToBytes("s-user")}, core::Authority::kNone, upload.Done());
  ASSERT_EQ(upload.Calls(), 1);
  EXPECT_EQ(upload.result->status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(m.host->record_count(), 0u);
}

TEST_F(FleetCoreHostTest, EveryDoneRunsExactlyOnceAlsoAcrossShutdown) {
  ASSERT_NO_FATAL_FAILURE(Register("busy-user", "right", 200));
  const size_t leader = leader_;
  Member& m = members_[leader];
  constexpr int kPerThread = 150;
  std::vector<std::unique_ptr<Answer<core::RecoverStartResult>>> answers(2 * kPerThread);
  for (auto& a : answers) a = std::make_unique<Answer<core::RecoverStartResult>>();
  std::vector<Bytes> ke1s;
  for (size_t k = 0; k < answers.size(); ++k) ke1s.push_back(Ke1("wrong"));
  // Each client thread issues a third of its calls, waits (bounded) until the node was shut down,
  // then issues the rest: calls both in flight at the shutdown and after it.
  std::atomic<int> issued{0};
  std::atomic<bool> shut{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 2; ++t) {
    clients.emplace_back([&, t] {
      for (int k = 0; k < kPerThread; ++k) {
        if (k == kPerThread / 3) {
          const auto end = Clock::now() + 10s;
          while (!shut && Clock::now() < end) std::this_thread::yield();
        }
        const size_t n = static_cast<size_t>(t * kPerThread + k);
        m.host->RecoverStart(ToBytes("busy-user"), ke1s[n], answers[n]->Done());
        issued++;
      }
    });
  }
  const auto end = Clock::now() + 10s;
  while (issued < 2 * (kPerThread / 3) && Clock::now() < end) std::this_thread::yield();
  m.state->Shutdown();
  shut = true;
  for (std::thread& c : clients) c.join();
  m.host->Stop();  // runs the queued work
  int ok = 0, unavailable = 0;
  for (size_t n = 0; n < answers.size(); ++n) {
    ASSERT_EQ(answers[n]->Calls(), 1) << "call " << n;
    const auto& r = *answers[n]->result;
    if (r.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable) << r.status().ToString();
      ++unavailable;
    }
  }
  std::printf("%d answered, %d unavailable at shutdown\n", ok, unavailable);
  // Every call issued after the shutdown is refused.
  EXPECT_GE(unavailable, 2 * (kPerThread - kPerThread / 3));
  // Stopping everything else runs no `done` a second time.
  TearDown();
  for (size_t n = 0; n < answers.size(); ++n) EXPECT_EQ(answers[n]->Calls(), 1) << "call " << n;
}

}  // namespace
}  // namespace keyward::node
