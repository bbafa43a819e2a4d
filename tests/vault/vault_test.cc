// Through the real daemon: `keyward node --dev` as a child process (SoftHSM2 token in a temp dir),
// real gRPC over 127.0.0.1, the client SDK and a raw stub for adversarial requests.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sodium.h>
#include <sys/wait.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "client/protocol.h"
#include "keyward/client.h"
#include "keyward/v1/vault.grpc.pb.h"
#include "node/account_token.h"
#include "support/subprocess.h"
#include "support/vectors.h"
#include "trust/pinned.h"
#include "registration_messages.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;
using testing::KeywardBinary;
using testing::Subprocess;

crypto::SecretBytes Secret(std::string_view s) { return crypto::SecretBytes(AsBytes(s)); }

crypto::KsfConfig SmallKsf() {
  // Small Argon2id keeps the tests fast; the production default is exercised by the demo.
  return *crypto::KsfConfig::Argon2id({.memory_kib = 256, .iterations = 1, .parallelism = 1});
}

class VaultNodeTest : public ::testing::Test {
 protected:
  void SetUp() override { StartNode({}); }

  void StartNode(std::vector<std::string> extra) {
    std::vector<std::string> argv = {KeywardBinary(), "node", "--dev", "--data-dir",
                                     (dir_.path() / "data").string(), "--listen", "127.0.0.1:0",
                                     "--metrics-listen", "127.0.0.1:0", "--no-rate-limit",
                                     "--log-level", "warn"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto proc = Subprocess::Start({.argv = argv});
    ASSERT_TRUE(proc.ok()) << proc.status().ToString();
    node_ = std::move(*proc);
    auto line = node_->WaitForLine("READY ", 30s);
    ASSERT_TRUE(line.ok()) << line.status().ToString();
    ready_ = nlohmann::json::parse(*line);
    address_ = ready_["listen"];
    auto key = node::AppKey::Load(ready_["app_key"].get<std::string>());
    ASSERT_TRUE(key.ok());
    app_key_ = std::make_shared<node::AppKey>(std::move(*key));
    auto policy = trust::PinnedPolicy::Load(ready_["trust_policy"].get<std::string>());
    ASSERT_TRUE(policy.ok()) << policy.status().ToString();
    fleet_key_ = policy->fleets().at(0).public_key;
    stub_ = v1::Vault::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }

  std::unique_ptr<VaultClient> Client(std::shared_ptr<node::AppKey> key = nullptr,
                                      bool recover_stream = true) {
    if (!key) key = app_key_;
    VaultClient::Config config;
    config.recover_stream = recover_stream;
    config.vault_address = address_;
    config.trust_policy_path = ready_["trust_policy"];
    config.ksf = SmallKsf();
    config.credentials = [key](std::string_view user) -> StatusOr<Bytes> {
      return key->Mint(AsBytes(user), node::NowUnixSeconds() + 60);
    };
    config.authority_credentials = [key](std::string_view user) -> StatusOr<Bytes> {
      return key->Mint(AsBytes(user), node::NowUnixSeconds() + 60,
                       node::CredentialScope::kAccountAuthority);
    };
    auto c = VaultClient::Create(std::move(config));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(*c);
  }

  v1::Account Account(const std::string& user) {
    v1::Account a;
    a.set_user_id(user);
    a.set_credential(std::string(AsChars(app_key_->Mint(AsBytes(user), node::NowUnixSeconds() + 60))));
    return a;
  }

  grpc::Status Call(auto method, const auto& req, auto* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    return ((*stub_).*method)(&ctx, req, resp);
  }

  // Registration through raw calls, stopping before activation; returns the activate request.
  v1::RegisterActivateRequest UploadOnly(const std::string& user, std::string_view password,
                                         uint32_t max_attempts) {
    crypto::SystemRng rng;
    auto start = client::StartRegistration(AsBytes(password), rng);
    EXPECT_TRUE(start.ok());
    v1::RegisterStartResponse sresp;
    EXPECT_TRUE(Call(&v1::Vault::Stub::RegisterStart, testing::RegisterStartMessage(Account(user), *start), &sresp).ok());
    crypto::SecretBytes secret = Secret("top secret");
    client::RegistrationParams params;
    params.user_id = ToBytes(user);
    params.secret = &secret;
    params.max_attempts = static_cast<uint8_t>(max_attempts);
    params.validated_fleet_key = fleet_key_;
    params.options.ksf = SmallKsf();
    auto up = client::FinishRegistration(std::move(start->state), AsBytes(sresp.registration_response()),
                                         sresp.registration_epoch(), params, rng);
    EXPECT_TRUE(up.ok()) << up.status().ToString();
    v1::RegisterUploadResponse uresp;
    grpc::Status g = Call(&v1::Vault::Stub::RegisterUpload, testing::RegisterUploadMessage(Account(user), *up, max_attempts), &uresp);
    EXPECT_TRUE(g.ok()) << g.error_message();
    return testing::RegisterActivateMessage(Account(user), *up);
  }

  testing::TempDir dir_;
  std::unique_ptr<Subprocess> node_;
  nlohmann::json ready_;
  std::string address_;
  std::shared_ptr<node::AppKey> app_key_;
  crypto::ristretto::ElementBytes fleet_key_{};
  std::unique_ptr<v1::Vault::Stub> stub_;
};

TEST_F(VaultNodeTest, RegisterAndRecover) {
  auto c = Client();
  Outcome r = c->Register("alice", Secret("pw"), Secret("my backup key"), {.max_attempts = 5});
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.attempts_remaining, 5u);
  Outcome got = c->Recover("alice", Secret("pw"));
  ASSERT_TRUE(got.ok()) << got.message;
  EXPECT_EQ(AsChars(got.secret.Reveal()), "my backup key");
  EXPECT_EQ(got.attempts_remaining, 5u);
}

TEST_F(VaultNodeTest, WrongPasswordsCountedAndSuccessResets) {
  auto c = Client();
  ASSERT_TRUE(c->Register("bob", Secret("right"), Secret("s"), {.max_attempts = 5}).ok());
  Outcome w1 = c->Recover("bob", Secret("wrong"));
  EXPECT_EQ(w1.kind, ClientErrorKind::kWrongPassword);
  EXPECT_EQ(w1.attempts_remaining, 4u);
  Outcome w2 = c->Recover("bob", Secret("wrong2"));
  EXPECT_EQ(w2.attempts_remaining, 3u);
  Outcome ok = c->Recover("bob", Secret("right"));
  ASSERT_TRUE(ok.ok()) << ok.message;
  EXPECT_EQ(ok.attempts_remaining, 5u);
  EXPECT_EQ(c->Recover("bob", Secret("wrong")).attempts_remaining, 4u);
}

TEST_F(VaultNodeTest, ExactlyMaxAttemptsLockForever) {
  auto c = Client();
  ASSERT_TRUE(c->Register("carol", Secret("right"), Secret("s"), {.max_attempts = 3}).ok());
  for (uint32_t i = 1; i <= 3; ++i) {
    Outcome w = c->Recover("carol", Secret("wrong"));
    EXPECT_FALSE(w.ok());
    EXPECT_EQ(w.attempts_remaining.value_or(99), 3 - i);
  }
  Outcome after = c->Recover("carol", Secret("right"));
  EXPECT_EQ(after.kind, ClientErrorKind::kLocked) << after.message;
  EXPECT_TRUE(after.secret.empty());
}

TEST_F(VaultNodeTest, RetriedActivationNeverResetsAttackerCount) {
  v1::RegisterActivateRequest activate = UploadOnly("dave", "right", 5);
  v1::RegisterActivateResponse aresp;
  ASSERT_TRUE(Call(&v1::Vault::Stub::RegisterActivate, activate, &aresp).ok());  // reply "dropped"
  auto c = Client();
  EXPECT_EQ(c->Recover("dave", Secret("guess1")).attempts_remaining, 4u);
  EXPECT_EQ(c->Recover("dave", Secret("guess2")).attempts_remaining, 3u);
  // The client retries its activation (same key): no reset.
  *activate.mutable_account() = Account("dave");
  v1::RegisterActivateResponse again;
  grpc::Status g = Call(&v1::Vault::Stub::RegisterActivate, activate, &again);
  if (g.ok()) {
    EXPECT_TRUE(again.already_active());
    EXPECT_EQ(again.attempts_remaining(), 3u);
  }
  EXPECT_EQ(c->Recover("dave", Secret("guess3")).attempts_remaining, 2u);
}

TEST_F(VaultNodeTest, PendingAndUnknownUsersGetFakeKe2) {
  UploadOnly("erin", "right", 5);  // pending: never activated
  crypto::SystemRng rng;
  for (std::string user : {"erin", "nobody"}) {
    auto start = client::StartRecovery(AsBytes("right"), rng);
    v1::RecoverStartRequest req;
    *req.mutable_account() = Account(user);
    req.set_ke1(std::string(AsChars(start->ke1)));
    v1::RecoverStartResponse resp;
    ASSERT_TRUE(Call(&v1::Vault::Stub::RecoverStart, req, &resp).ok());
    EXPECT_EQ(resp.ke2().size(), 320u);
    EXPECT_EQ(resp.login_state().size(), core::kLoginStateSize);
  }
  auto c = Client();
  EXPECT_EQ(c->Recover("nobody", Secret("x")).kind, ClientErrorKind::kLocked);
  EXPECT_NE(c->Recover("erin", Secret("right")).kind, ClientErrorKind::kOk);
}

TEST_F(VaultNodeTest, BadAppCredentialRejected) {
  crypto::SystemRng rng;
  auto stranger = std::make_shared<node::AppKey>(node::AppKey::Generate(rng));
  auto c = Client(stranger);
  Outcome r = c->Register("frank", Secret("pw"), Secret("s"));
  EXPECT_EQ(r.kind, ClientErrorKind::kRejected);
  EXPECT_NE(r.message.find("credential"), std::string::npos) << r.message;
  ASSERT_TRUE(Client()->Register("frank", Secret("pw"), Secret("s"), {.max_attempts = 4}).ok());
  EXPECT_EQ(c->DeleteAsAuthority("frank").kind, ClientErrorKind::kRejected);
  // Expired and other-user tokens, raw.
  v1::DeleteRequest del;
  del.mutable_account()->set_user_id("frank");
  del.mutable_account()->set_credential(
      std::string(AsChars(app_key_->Mint(AsBytes("frank"), node::NowUnixSeconds() - 1))));
  v1::DeleteResponse dresp;
  EXPECT_EQ(Call(&v1::Vault::Stub::Delete, del, &dresp).error_code(), grpc::UNAUTHENTICATED);
  *del.mutable_account() = Account("mallory");
  del.mutable_account()->set_user_id("frank");
  EXPECT_EQ(Call(&v1::Vault::Stub::Delete, del, &dresp).error_code(), grpc::UNAUTHENTICATED);
  Outcome still = Client()->Recover("frank", Secret("pw"));
  EXPECT_TRUE(still.ok()) << still.message;
  EXPECT_TRUE(Client()->DeleteAsAuthority("frank").ok());
  EXPECT_EQ(Client()->Recover("frank", Secret("pw")).kind, ClientErrorKind::kLocked);
}

// Issue 3: an ordinary USER credential cannot overwrite an active record or delete it without the
// proof of a successful recovery session; the ACCOUNT-AUTHORITY credential can do both (and still
// never read a secret). Both paths through the real daemon.
TEST_F(VaultNodeTest, UserCredentialNeedsSessionProofAuthorityDoesNot) {
  auto c = Client();
  ASSERT_TRUE(c->Register("olga", Secret("pw"), Secret("first"), {.max_attempts = 5}).ok());
  // Overwrite with a user credential: refused, the record is unchanged.
  Outcome over = c->Register("olga", Secret("attacker"), Secret("evil"));
  EXPECT_EQ(over.kind, ClientErrorKind::kRejected) << over.message;
  EXPECT_NE(over.message.find("active record"), std::string::npos) << over.message;
  Outcome got = c->Recover("olga", Secret("pw"));
  ASSERT_TRUE(got.ok()) << got.message;
  EXPECT_EQ(AsChars(got.secret.Reveal()), "first");
  // Raw delete with a user credential and no proof: PERMISSION_DENIED, nothing changes.
  v1::DeleteRequest del;
  *del.mutable_account() = Account("olga");
  v1::DeleteResponse dresp;
  EXPECT_EQ(Call(&v1::Vault::Stub::Delete, del, &dresp).error_code(), grpc::PERMISSION_DENIED);
  // A user credential relabelled as authority does not verify.
  del.mutable_account()->set_scope(v1::CREDENTIAL_SCOPE_ACCOUNT_AUTHORITY);
  EXPECT_EQ(Call(&v1::Vault::Stub::Delete, del, &dresp).error_code(), grpc::UNAUTHENTICATED);
  del.mutable_account()->set_scope(static_cast<v1::CredentialScope>(7));
  EXPECT_EQ(Call(&v1::Vault::Stub::Delete, del, &dresp).error_code(), grpc::UNAUTHENTICATED);
  ASSERT_TRUE(c->Recover("olga", Secret("pw")).ok());
  // Delete with the session proof (user credential): a wrong password deletes nothing...
  Outcome wrong = c->Delete("olga", Secret("nope"));
  EXPECT_EQ(wrong.kind, ClientErrorKind::kWrongPassword);
  EXPECT_EQ(wrong.attempts_remaining, 4u);
  ASSERT_TRUE(c->Recover("olga", Secret("pw")).ok());
  // ...the right one deletes.
  Outcome deleted = c->Delete("olga", Secret("pw"));
  ASSERT_TRUE(deleted.ok()) << deleted.message;
  EXPECT_EQ(deleted.message, "deleted");
  EXPECT_EQ(c->Recover("olga", Secret("pw")).kind, ClientErrorKind::kLocked);
  // After deletion a user credential may register again (no active record).
  ASSERT_TRUE(c->Register("olga", Secret("pw2"), Secret("second")).ok());
  // The authority replaces an active record without a proof, and deletes without one.
  Outcome replaced = c->Register("olga", Secret("pw3"), Secret("third"),
                                 {.max_attempts = 3, .as_account_authority = true});
  ASSERT_TRUE(replaced.ok()) << replaced.message;
  Outcome third = c->Recover("olga", Secret("pw3"));
  ASSERT_TRUE(third.ok()) << third.message;
  EXPECT_EQ(AsChars(third.secret.Reveal()), "third");
  EXPECT_EQ(c->Recover("olga", Secret("pw2")).kind, ClientErrorKind::kWrongPassword);
  Outcome by_authority = c->DeleteAsAuthority("olga");
  ASSERT_TRUE(by_authority.ok()) << by_authority.message;
  EXPECT_EQ(by_authority.message, "deleted");
  EXPECT_EQ(c->Recover("olga", Secret("pw3")).kind, ClientErrorKind::kLocked);
}

TEST_F(VaultNodeTest, MalformedRequestsGetClearErrorsAndChangeNothing) {
  auto c = Client();
  ASSERT_TRUE(c->Register("gina", Secret("right"), Secret("s"), {.max_attempts = 5}).ok());
  ASSERT_EQ(c->Recover("gina", Secret("wrong")).attempts_remaining, 4u);
  auto expect_invalid = [&](grpc::Status g, const char* what) {
    EXPECT_EQ(g.error_code(), grpc::INVALID_ARGUMENT) << what << ": " << g.error_message();
    EXPECT_FALSE(g.error_message().empty()) << what;
  };
  v1::RegisterStartRequest rs;
  v1::RegisterStartResponse rsr;
  *rs.mutable_account() = Account("gina");
  for (std::string bad : {std::string(31, '\x01'), std::string(33, '\x01'), std::string(32, '\0'),
                          std::string(32, '\xff'), std::string()}) {
    rs.set_registration_request(bad);
    expect_invalid(Call(&v1::Vault::Stub::RegisterStart, rs, &rsr), "registration request");
  }
  v1::RecoverStartRequest ks;
  v1::RecoverStartResponse ksr;
  *ks.mutable_account() = Account("gina");
  for (std::string bad : {std::string(95, '\x01'), std::string(97, '\x01'), std::string(96, '\0')}) {
    ks.set_ke1(bad);
    expect_invalid(Call(&v1::Vault::Stub::RecoverStart, ks, &ksr), "ke1");
  }
  // Oversized: beyond the server's max message size.
  ks.set_ke1(std::string(64 * 1024, 'x'));
  EXPECT_EQ(Call(&v1::Vault::Stub::RecoverStart, ks, &ksr).error_code(), grpc::RESOURCE_EXHAUSTED);
  v1::RegisterUploadRequest up;
  v1::RegisterUploadResponse upr;
  *up.mutable_account() = Account("gina");
  up.set_registration_record(std::string(191, '\x01'));
  expect_invalid(Call(&v1::Vault::Stub::RegisterUpload, up, &upr), "record");
  v1::RecoverFinishRequest fin;
  v1::RecoverFinishResponse finr;
  *fin.mutable_account() = Account("gina");
  fin.set_ke3(std::string(63, '\x01'));
  fin.set_login_state(std::string(core::kLoginStateSize, '\x02'));
  grpc::Status gf = Call(&v1::Vault::Stub::RecoverFinish, fin, &finr);
  EXPECT_FALSE(gf.ok());
  // Nothing above changed the record: one wrong guess recorded, the right password works.
  Outcome ok = c->Recover("gina", Secret("right"));
  ASSERT_TRUE(ok.ok()) << ok.message;
  EXPECT_EQ(ok.attempts_remaining, 5u);
}

TEST_F(VaultNodeTest, ReplayedKe3IsRejectedAndCountsNothing) {
  auto c = Client();
  ASSERT_TRUE(c->Register("hank", Secret("right"), Secret("s"), {.max_attempts = 5}).ok());
  crypto::SystemRng rng;
  auto start = client::StartRecovery(AsBytes("right"), rng);
  v1::RecoverStartRequest sreq;
  *sreq.mutable_account() = Account("hank");
  sreq.set_ke1(std::string(AsChars(start->ke1)));
  v1::RecoverStartResponse sresp;
  ASSERT_TRUE(Call(&v1::Vault::Stub::RecoverStart, sreq, &sresp).ok());
  crypto::opaque::Options opts;
  opts.ksf = SmallKsf();
  auto cont = client::ContinueRecovery(std::move(start->state), AsBytes(sresp.ke2()),
                                       AsBytes(sresp.login_state()), ToBytes("hank"), fleet_key_,
                                       opts, rng);
  ASSERT_TRUE(cont.ok());
  v1::RecoverFinishRequest fin;
  *fin.mutable_account() = Account("hank");
  fin.set_ke3(std::string(AsChars(cont->ke3)));
  fin.set_login_state(sresp.login_state());
  v1::RecoverFinishResponse first;
  ASSERT_TRUE(Call(&v1::Vault::Stub::RecoverFinish, fin, &first).ok());
  EXPECT_EQ(first.outcome(), v1::RECOVER_OUTCOME_SUCCESS);
  v1::RecoverFinishResponse replay;
  grpc::Status g = Call(&v1::Vault::Stub::RecoverFinish, fin, &replay);
  EXPECT_TRUE(!g.ok() || replay.outcome() != v1::RECOVER_OUTCOME_SUCCESS);
  EXPECT_TRUE(replay.encrypted_secret().empty());
  Outcome ok = c->Recover("hank", Secret("right"));
  ASSERT_TRUE(ok.ok()) << ok.message;
}

TEST_F(VaultNodeTest, TrustPolicyMismatchRefused) {
  auto other = (dir_.path() / "other.policy").string();
  crypto::ristretto::ElementBytes k;
  crypto_core_ristretto255_random(k.data());
  std::ofstream(other) << "namespace x\nfleet other " << HexEncode(k) << "\n";
  VaultClient::Config config;
  config.vault_address = address_;
  config.trust_policy_path = other;
  config.ksf = SmallKsf();
  auto key = app_key_;
  config.credentials = [key](std::string_view u) -> StatusOr<Bytes> {
    return key->Mint(AsBytes(u), node::NowUnixSeconds() + 60);
  };
  auto c = VaultClient::Create(std::move(config));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Register("ivy", Secret("pw"), Secret("s")).kind, ClientErrorKind::kTrust);
}

TEST_F(VaultNodeTest, MetricsHealthAndGracefulShutdown) {
  ASSERT_TRUE(Client()->Register("jill", Secret("pw"), Secret("s")).ok());
  std::string metrics = ready_["metrics"];
  auto colon = metrics.rfind(':');
  httplib::Client http(metrics.substr(0, colon), std::stoi(metrics.substr(colon + 1)));
  http.set_read_timeout(5, 0);
  auto h = http.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto r = http.Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto m = http.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("keyward_node_requests_total{code=\"OK\",method=\"RegisterUpload\"} 1"),
            std::string::npos) << m->body;
  EXPECT_NE(m->body.find("keyward_node_records 1"), std::string::npos);
  ASSERT_TRUE(node_->Signal(SIGTERM).ok());
  auto st = node_->Wait(10s);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(WIFEXITED(*st));
  EXPECT_EQ(WEXITSTATUS(*st), 0);
}

// The SDK recovers over the one-stream Recover call by default; the unary calls stay. Both count
// guesses in the same record, and the node's metrics tell them apart.
TEST_F(VaultNodeTest, RecoverStreamAndUnaryCallsShareOneCount) {
  auto streamed = Client();
  auto unary = Client(nullptr, /*recover_stream=*/false);
  ASSERT_TRUE(streamed->Register("ivan", Secret("right"), Secret("s3cret"), {.max_attempts = 5}).ok());
  Outcome w1 = streamed->Recover("ivan", Secret("wrong"));
  EXPECT_EQ(w1.kind, ClientErrorKind::kWrongPassword) << w1.message;
  EXPECT_EQ(w1.attempts_remaining, 4u);
  Outcome w2 = unary->Recover("ivan", Secret("wrong"));
  EXPECT_EQ(w2.kind, ClientErrorKind::kWrongPassword) << w2.message;
  EXPECT_EQ(w2.attempts_remaining, 3u);
  Outcome ok = streamed->Recover("ivan", Secret("right"));
  ASSERT_TRUE(ok.ok()) << ok.message;
  EXPECT_EQ(std::string(AsChars(ok.secret.Reveal())), "s3cret");
  EXPECT_EQ(ok.attempts_remaining, 5u);
  // Delete(user, password) proves a session recovered over the stream.
  Outcome del = streamed->Delete("ivan", Secret("right"));
  ASSERT_TRUE(del.ok()) << del.message;
  EXPECT_EQ(unary->Recover("ivan", Secret("right")).kind, ClientErrorKind::kLocked);
  std::string metrics = ready_["metrics"];
  auto colon = metrics.rfind(':');
  httplib::Client http(metrics.substr(0, colon), std::stoi(metrics.substr(colon + 1)));
  http.set_read_timeout(5, 0);
  auto m = http.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("keyward_node_requests_total{code=\"OK\",method=\"Recover\"} 3"),
            std::string::npos) << m->body;
  EXPECT_NE(m->body.find("keyward_node_requests_total{code=\"OK\",method=\"RecoverStart\"} 2"),
            std::string::npos) << m->body;
}

TEST_F(VaultNodeTest, DevModeRestartReusesKeys) {
  std::string key_before = ready_["fleet_public_key"];
  ASSERT_TRUE(node_->Signal(SIGTERM).ok());
  ASSERT_TRUE(node_->Wait(10s).ok());
  StartNode({});
  EXPECT_EQ(ready_["fleet_public_key"], key_before);
  EXPECT_TRUE(Client()->Register("kim", Secret("pw"), Secret("s")).ok());
}

TEST_F(VaultNodeTest, HostRateLimiterSlowsGuessing) {
  ASSERT_TRUE(node_->Signal(SIGTERM).ok());
  ASSERT_TRUE(node_->Wait(10s).ok());
  node_.reset();
  // Restart with the limiter on: 2 free attempts, then a long delay.
  std::vector<std::string> argv = {KeywardBinary(), "node", "--dev", "--data-dir",
                                   (dir_.path() / "data").string(), "--listen", "127.0.0.1:0",
                                   "--rate-limit-free-attempts", "2", "--rate-limit-base-ms",
                                   "600000", "--log-level", "warn"};
  auto proc = Subprocess::Start({.argv = argv});
  ASSERT_TRUE(proc.ok());
  node_ = std::move(*proc);
  auto line = node_->WaitForLine("READY ", 30s);
  ASSERT_TRUE(line.ok());
  address_ = nlohmann::json::parse(*line)["listen"];
  auto c = Client();
  ASSERT_TRUE(c->Register("lee", Secret("right"), Secret("s"), {.max_attempts = 10}).ok());
  EXPECT_EQ(c->Recover("lee", Secret("w1")).kind, ClientErrorKind::kWrongPassword);
  EXPECT_EQ(c->Recover("lee", Secret("w2")).kind, ClientErrorKind::kWrongPassword);
  Outcome limited = c->Recover("lee", Secret("w3"));
  EXPECT_EQ(limited.kind, ClientErrorKind::kUnavailable);
  EXPECT_NE(limited.message.find("retry in"), std::string::npos) << limited.message;
}

}  // namespace
}  // namespace keyward
