// The one-stream Recover call (vault.proto RecoverStreamRequest) in process: VaultService on a
// real gRPC server on 127.0.0.1, over a CoreHost whose `done` runs LATER on another thread (as a
// Raft host's does), driven by a raw stub and the client protocol (src/client/protocol.h). Checks
// the stream's G1 order and bounds: a guess is counted before its KE2, wrong passwords are
// counted, max_attempts locks, and malformed or out-of-order streams get INVALID_ARGUMENT.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "client/protocol.h"
#include "core/vault_core.h"
#include "crypto/opaque_server_keys.h"
#include "keyward/v1/vault.grpc.pb.h"
#include "node/account_token.h"
#include "node/core_host.h"
#include "node/metrics.h"
#include "node/rate_limiter.h"
#include "node/vault_async.h"
#include "node/vault_service.h"
#include "registration_messages.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;

// A CoreHost that forwards every state-changing call to `inner` on its own worker thread, so
// `done` runs after the gRPC handler returned and on a thread gRPC does not own.
class AsyncCoreHost final : public node::CoreHost {
 public:
  explicit AsyncCoreHost(node::CoreHost* inner) : inner_(inner), worker_([this] { Run(); }) {}
  ~AsyncCoreHost() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  const crypto::ristretto::ElementBytes& fleet_public_key() const override {
    return inner_->fleet_public_key();
  }
  size_t record_count() const override { return inner_->record_count(); }
  StatusOr<core::RegisterStartResult> RegisterStart(ByteSpan user_id, ByteSpan request) override {
    return inner_->RegisterStart(user_id, request);
  }
  void Upload(core::UploadRequest request, core::Authority authority,
              node::CoreDone<core::UploadResult> done) override {
    Post([=, this, done = std::move(done)]() mutable {
      inner_->Upload(std::move(request), authority, std::move(done));
    });
  }
  void Activate(Bytes user_id, Bytes key, node::CoreDone<core::ActivateResult> done) override {
    Post([=, this, done = std::move(done)]() mutable {
      inner_->Activate(std::move(user_id), std::move(key), std::move(done));
    });
  }
  void RecoverStart(Bytes user_id, Bytes ke1, node::CoreDone<core::RecoverStartResult> done) override {
    Post([=, this, done = std::move(done)]() mutable {
      inner_->RecoverStart(std::move(user_id), std::move(ke1), std::move(done));
    });
  }
  void RecoverFinish(Bytes user_id, Bytes login_state, Bytes ke3,
                     node::CoreDone<core::RecoverFinishResult> done) override {
    Post([=, this, done = std::move(done)]() mutable {
      inner_->RecoverFinish(std::move(user_id), std::move(login_state), std::move(ke3), std::move(done));
    });
  }
  void Delete(core::DeleteRequest request, core::Authority authority,
              node::CoreDone<core::DeleteResult> done) override {
    Post([=, this, done = std::move(done)]() mutable {
      inner_->Delete(std::move(request), authority, std::move(done));
    });
  }
  int async_calls() const { return async_calls_.load(); }

 private:
  void Post(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }
  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stop_ and drained
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      // Counted before the task runs: the task completes the RPC, so a count taken after would
      // race with the client that has already seen the answer (and read async_calls()).
      async_calls_++;
      task();
      lock.lock();
    }
  }

  node::CoreHost* const inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::atomic<int> async_calls_{0};
  std::thread worker_;  // last: starts after everything above exists
};

using Stream = grpc::ClientReaderWriter<v1::RecoverStreamRequest, v1::RecoverStreamResponse>;

class RecoverStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::SystemRng rng;
    keys_ = crypto::opaque::InMemoryServerKeys::Generate(rng);
    auto core = core::VaultCore::Create(*keys_, crypto::SecretBytes(rng.Array<32>()));
    ASSERT_TRUE(core.ok()) << core.status().ToString();
    core_ = std::move(*core);
    local_ = std::make_unique<node::LocalCoreHost>(core_.get());
    host_ = std::make_unique<AsyncCoreHost>(local_.get());
    app_key_ = std::make_unique<node::AppKey>(node::AppKey::Generate(rng));
    limiter_ = std::make_unique<node::RateLimiter>(node::RateLimiterOptions{.enabled = false});
    service_ = std::make_unique<node::VaultService>(host_.get(), app_key_.get(), limiter_.get(), &metrics_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    auto server = node::VaultServer::Start(builder, service_.get());
    ASSERT_TRUE(server.ok() && port != 0);
    server_ = std::move(*server);
    stub_ = v1::Vault::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
    options_.ksf = crypto::KsfConfig::Identity();
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + 5s);
  }

  v1::Account Account(const std::string& user) {
    v1::Account a;
    a.set_user_id(user);
    a.set_credential(std::string(AsChars(app_key_->Mint(AsBytes(user), node::NowUnixSeconds() + 60))));
    return a;
  }
  void Prepare(grpc::ClientContext& ctx) { ctx.set_deadline(std::chrono::system_clock::now() + 10s); }

  // Start, upload, activate over the raw unary calls.
  void Register(const std::string& user, std::string_view password, uint32_t max_attempts) {
    crypto::SystemRng rng;
    auto start = client::StartRegistration(AsBytes(password), rng);
    ASSERT_TRUE(start.ok());
    v1::RegisterStartResponse sresp;
    {
      grpc::ClientContext ctx;
      Prepare(ctx);
      ASSERT_TRUE(stub_->RegisterStart(&ctx, testing::RegisterStartMessage(Account(user), *start), &sresp).ok());
    }
    crypto::SecretBytes secret(AsBytes("the secret"));
    client::RegistrationParams params;
    params.user_id = ToBytes(user);
    params.secret = &secret;
    params.max_attempts = static_cast<uint8_t>(max_attempts);
    params.validated_fleet_key = host_->fleet_public_key();
    params.options = options_;
    auto up = client::FinishRegistration(std::move(start->state), AsBytes(sresp.registration_response()),
                                         sresp.registration_epoch(), params, rng);
    ASSERT_TRUE(up.ok()) << up.status().ToString();
    v1::RegisterUploadResponse uresp;
    {
      grpc::ClientContext ctx;
      Prepare(ctx);
      grpc::Status g = stub_->RegisterUpload(&ctx, testing::RegisterUploadMessage(Account(user), *up, max_attempts), &uresp);
      ASSERT_TRUE(g.ok()) << g.error_message();
    }
    v1::RegisterActivateResponse aresp;
    grpc::ClientContext ctx;
    Prepare(ctx);
    ASSERT_TRUE(stub_->RegisterActivate(&ctx, testing::RegisterActivateMessage(Account(user), *up), &aresp).ok());
    ASSERT_EQ(aresp.attempts_remaining(), max_attempts);
  }

  struct Recovered {
    grpc::Status status;
    core::RecoverOutcome outcome = core::RecoverOutcome::kLocked;
    uint32_t attempts_remaining = 0;
    std::string secret;
  };
  // A whole recovery over one Recover stream.
  Recovered RecoverOverStream(const std::string& user, std::string_view password) {
    Recovered out;
    crypto::SystemRng rng;
    auto start = client::StartRecovery(AsBytes(password), rng);
    EXPECT_TRUE(start.ok());
    grpc::ClientContext ctx;
    Prepare(ctx);
    std::unique_ptr<Stream> s = stub_->Recover(&ctx);
    v1::RecoverStreamRequest m;
    *m.mutable_start()->mutable_account() = Account(user);
    m.mutable_start()->set_ke1(std::string(AsChars(start->ke1)));
    v1::RecoverStreamResponse r;
    if (!s->Write(m) || !s->Read(&r)) {
      out.status = s->Finish();
      return out;
    }
    EXPECT_TRUE(r.has_start());
    auto cont = client::ContinueRecovery(std::move(start->state), AsBytes(r.start().ke2()),
                                         AsBytes(r.start().login_state()), ToBytes(user),
                                         host_->fleet_public_key(), options_, rng);
    EXPECT_TRUE(cont.ok()) << cont.status().ToString();
    m.mutable_finish()->set_ke3(std::string(AsChars(cont->ke3)));
    const bool answered = s->Write(m, grpc::WriteOptions().set_last_message()) && s->Read(&r);
    out.status = s->Finish();
    if (!out.status.ok()) return out;
    EXPECT_TRUE(answered && r.has_finish());
    auto fin = client::FinishRecovery(cont->session, static_cast<core::RecoverOutcome>(r.finish().outcome()),
                                      r.finish().attempts_remaining(), AsBytes(r.finish().encrypted_secret()));
    EXPECT_TRUE(fin.ok()) << fin.status().ToString();
    out.outcome = fin->outcome;
    out.attempts_remaining = fin->attempts_remaining;
    if (fin->outcome == core::RecoverOutcome::kSuccess) out.secret = std::string(AsChars(fin->secret.Reveal()));
    return out;
  }

  // The stream's status after sending `messages` (then half-closing) and reading until it ends;
  // *answers counts the messages the node sent.
  grpc::Status SendRaw(const std::vector<v1::RecoverStreamRequest>& messages, int* answers = nullptr,
                       bool deadline = true) {
    grpc::ClientContext ctx;
    if (deadline) Prepare(ctx);
    std::unique_ptr<Stream> s = stub_->Recover(&ctx);
    for (const auto& m : messages) {
      if (!s->Write(m)) break;
    }
    s->WritesDone();
    v1::RecoverStreamResponse r;
    int n = 0;
    while (s->Read(&r)) ++n;
    if (answers != nullptr) *answers = n;
    return s->Finish();
  }

  v1::RecoverStreamRequest StartMessage(const std::string& user, std::string_view password) {
    crypto::SystemRng rng;
    auto start = client::StartRecovery(AsBytes(password), rng);
    EXPECT_TRUE(start.ok());
    v1::RecoverStreamRequest m;
    *m.mutable_start()->mutable_account() = Account(user);
    m.mutable_start()->set_ke1(std::string(AsChars(start->ke1)));
    return m;
  }

  std::unique_ptr<crypto::opaque::InMemoryServerKeys> keys_;
  std::unique_ptr<core::VaultCore> core_;
  std::unique_ptr<node::LocalCoreHost> local_;
  std::unique_ptr<AsyncCoreHost> host_;
  std::unique_ptr<node::AppKey> app_key_;
  std::unique_ptr<node::RateLimiter> limiter_;
  node::NodeMetrics metrics_;
  std::unique_ptr<node::VaultService> service_;
  std::unique_ptr<node::VaultServer> server_;
  std::unique_ptr<v1::Vault::Stub> stub_;
  crypto::opaque::Options options_;
};

TEST_F(RecoverStreamTest, RecoversOverAsyncHost) {
  Register("ana", "right", 5);
  const int before = host_->async_calls();
  Recovered r = RecoverOverStream("ana", "right");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.outcome, core::RecoverOutcome::kSuccess);
  EXPECT_EQ(r.secret, "the secret");
  EXPECT_EQ(r.attempts_remaining, 5u);
  EXPECT_EQ(host_->async_calls() - before, 2);  // RecoverStart and RecoverFinish, both async
}

TEST_F(RecoverStreamTest, WrongPasswordCountedSuccessResetsAndMaxLocks) {
  Register("bo", "right", 3);
  Recovered w = RecoverOverStream("bo", "wrong");
  ASSERT_TRUE(w.status.ok()) << w.status.error_message();
  EXPECT_EQ(w.outcome, core::RecoverOutcome::kWrongPassword);
  EXPECT_EQ(w.attempts_remaining, 2u);
  Recovered ok = RecoverOverStream("bo", "right");
  ASSERT_EQ(ok.outcome, core::RecoverOutcome::kSuccess);
  EXPECT_EQ(ok.attempts_remaining, 3u);
  for (uint32_t left : {2u, 1u}) {
    Recovered r = RecoverOverStream("bo", "wrong");
    EXPECT_EQ(r.outcome, core::RecoverOutcome::kWrongPassword);
    EXPECT_EQ(r.attempts_remaining, left);
  }
  EXPECT_EQ(RecoverOverStream("bo", "wrong").outcome, core::RecoverOutcome::kLocked);
  Recovered after = RecoverOverStream("bo", "right");
  EXPECT_EQ(after.outcome, core::RecoverOutcome::kLocked);
  EXPECT_TRUE(after.secret.empty());
}

TEST_F(RecoverStreamTest, UnknownUserGetsKe2ThenLocked) {
  Recovered r = RecoverOverStream("nobody", "pw");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.outcome, core::RecoverOutcome::kLocked);
}

TEST_F(RecoverStreamTest, MalformedStreamsRejectedAndChangeNothing) {
  Register("cy", "right", 5);
  auto expect_invalid = [](grpc::Status g, const char* what) {
    EXPECT_EQ(g.error_code(), grpc::INVALID_ARGUMENT) << what << ": " << g.error_message();
    EXPECT_FALSE(g.error_message().empty()) << what;
  };
  v1::RecoverStreamRequest finish_only;
  finish_only.mutable_finish()->set_ke3(std::string(64, '\x01'));
  expect_invalid(SendRaw({finish_only}), "finish first");
  expect_invalid(SendRaw({v1::RecoverStreamRequest()}), "empty message");
  expect_invalid(SendRaw({}), "closed before KE1");
  v1::RecoverStreamRequest bad_ke1 = StartMessage("cy", "right");
  for (std::string bad : {std::string(95, '\x01'), std::string(97, '\x01'), std::string()}) {
    bad_ke1.mutable_start()->set_ke1(bad);
    expect_invalid(SendRaw({bad_ke1}), "ke1 length");
  }
  // Not a group element: the core refuses it before counting anything.
  bad_ke1.mutable_start()->set_ke1(std::string(96, '\xff'));
  expect_invalid(SendRaw({bad_ke1}), "ke1 not a point");
  expect_invalid(SendRaw({StartMessage("cy", "right")}, nullptr, /*deadline=*/false), "no deadline");
  v1::RecoverStreamRequest forged = StartMessage("cy", "right");
  forged.mutable_start()->mutable_account()->set_credential(std::string(72, '\x01'));
  EXPECT_EQ(SendRaw({forged}).error_code(), grpc::UNAUTHENTICATED);
  // Nothing above counted a guess.
  Recovered ok = RecoverOverStream("cy", "right");
  ASSERT_EQ(ok.outcome, core::RecoverOutcome::kSuccess);
  EXPECT_EQ(ok.attempts_remaining, 5u);
}

TEST_F(RecoverStreamTest, OutOfOrderAfterKe2CountsOnlyThatGuess) {
  Register("di", "right", 5);
  // A valid start gets its KE2 (the guess is counted, as with RecoverStart); a second start, or
  // closing without KE3, ends the stream with INVALID_ARGUMENT.
  int answers = 0;
  grpc::Status g = SendRaw({StartMessage("di", "wrong"), StartMessage("di", "wrong")}, &answers);
  EXPECT_EQ(g.error_code(), grpc::INVALID_ARGUMENT) << g.error_message();
  EXPECT_EQ(answers, 1);
  g = SendRaw({StartMessage("di", "wrong")}, &answers);
  EXPECT_EQ(g.error_code(), grpc::INVALID_ARGUMENT) << g.error_message();
  EXPECT_EQ(answers, 1);
  // Two guesses counted: the next wrong one leaves 2.
  Recovered w = RecoverOverStream("di", "wrong");
  EXPECT_EQ(w.outcome, core::RecoverOutcome::kWrongPassword);
  EXPECT_EQ(w.attempts_remaining, 2u);
  Recovered ok = RecoverOverStream("di", "right");
  EXPECT_EQ(ok.outcome, core::RecoverOutcome::kSuccess);
  EXPECT_EQ(ok.attempts_remaining, 5u);
}

TEST_F(RecoverStreamTest, UnaryCallsStillServedBesideTheStream) {
  Register("ed", "right", 5);
  crypto::SystemRng rng;
  auto start = client::StartRecovery(AsBytes("right"), rng);
  v1::RecoverStartRequest sreq;
  *sreq.mutable_account() = Account("ed");
  sreq.set_ke1(std::string(AsChars(start->ke1)));
  v1::RecoverStartResponse sresp;
  {
    grpc::ClientContext ctx;
    Prepare(ctx);
    ASSERT_TRUE(stub_->RecoverStart(&ctx, sreq, &sresp).ok());
  }
  auto cont = client::ContinueRecovery(std::move(start->state), AsBytes(sresp.ke2()),
                                       AsBytes(sresp.login_state()), ToBytes("ed"),
                                       host_->fleet_public_key(), options_, rng);
  ASSERT_TRUE(cont.ok());
  v1::RecoverFinishRequest freq;
  *freq.mutable_account() = Account("ed");
  freq.set_ke3(std::string(AsChars(cont->ke3)));
  freq.set_login_state(sresp.login_state());
  v1::RecoverFinishResponse fresp;
  grpc::ClientContext ctx;
  Prepare(ctx);
  ASSERT_TRUE(stub_->RecoverFinish(&ctx, freq, &fresp).ok());
  EXPECT_EQ(fresp.outcome(), v1::RECOVER_OUTCOME_SUCCESS);
}

}  // namespace
}  // namespace keyward

namespace keyward {
namespace {

// Graceful shutdown of the completion-queue server (vault_async.h) with a stream left open after
// its KE2: Shutdown cancels it at the deadline, the stream's state machine ends and frees itself
// (ASan checks), Shutdown returns, and later calls are refused.
TEST_F(RecoverStreamTest, ShutdownEndsAnOpenStreamAndRefusesLaterCalls) {
  Register("eve", "right", 5);
  grpc::ClientContext ctx;
  Prepare(ctx);
  std::unique_ptr<Stream> s = stub_->Recover(&ctx);
  ASSERT_TRUE(s->Write(StartMessage("eve", "right")));
  v1::RecoverStreamResponse r;
  ASSERT_TRUE(s->Read(&r));  // KE2: the node now waits for the finish message
  ASSERT_TRUE(r.has_start());

  const auto before = std::chrono::steady_clock::now();
  server_->Shutdown(std::chrono::system_clock::now() + 200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  EXPECT_FALSE(s->Read(&r));
  EXPECT_FALSE(s->Finish().ok());

  v1::RecoverStartRequest req;
  *req.mutable_account() = Account("eve");
  v1::RecoverStartResponse resp;
  grpc::ClientContext later;
  later.set_deadline(std::chrono::system_clock::now() + 2s);
  EXPECT_FALSE(stub_->RecoverStart(&later, req, &resp).ok());
}

}  // namespace
}  // namespace keyward
