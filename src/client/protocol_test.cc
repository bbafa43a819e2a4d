// The pure client protocol against a real (in-process) VaultCore: every byte the client builds
// goes through the core's parsers and crypto, and every core answer through the client's checks.
#include "client/protocol.h"

#include <gtest/gtest.h>

#include "core/vault_core.h"
#include "crypto/opaque_server_keys.h"

namespace keyward::client {
namespace {

using crypto::SecretBytes;

constexpr char kUser[] = "frank";
constexpr char kPassword[] = "hunter2 but longer";

class ClientProtocolTest : public ::testing::Test {
 protected:
  ClientProtocolTest() : rng_(99) {
    keys_ = crypto::opaque::InMemoryServerKeys::Generate(rng_);
    core_ = core::VaultCore::Create(*keys_, SecretBytes(Bytes(32, 3))).value();
    options_.ksf = crypto::KsfConfig::Identity();
    secret_ = SecretBytes(AsBytes("the user's backup key, 32 bytes!"));
  }

  RegistrationParams Params(uint8_t max_attempts = 3) {
    RegistrationParams p;
    p.user_id = ToBytes(kUser);
    p.secret = &secret_;
    p.max_attempts = max_attempts;
    p.validated_fleet_key = core_->fleet_public_key();
    p.options = options_;
    return p;
  }

  // Phases 1 and 2 through the client; returns the upload (not yet sent).
  StatusOr<RegistrationUpload> BuildUpload(const RegistrationParams& p,
                                           const std::string& password = kPassword) {
    ASSIGN_OR_RETURN(auto start, StartRegistration(AsBytes(password), rng_));
    ASSIGN_OR_RETURN(auto response, core_->RegisterStart(p.user_id, start.registration_request));
    return FinishRegistration(std::move(start.state), response.registration_response,
                              response.registration_epoch, p, rng_);
  }

  void Register(uint8_t max_attempts = 3) {
    auto upload = BuildUpload(Params(max_attempts));
    ASSERT_TRUE(upload.ok()) << upload.status().ToString();
    ASSERT_TRUE(core_->RegisterUpload(upload->upload, core::Authority::kNone, rng_).ok());
    ASSERT_TRUE(core_->RegisterActivate(AsBytes(kUser), upload->activation_key.Reveal()).ok());
  }

  struct Recovered {
    RecoverySession session;
    RecoveryResult result;
  };
  StatusOr<Recovered> Recover(const std::string& password) {
    ASSIGN_OR_RETURN(auto start, StartRecovery(AsBytes(password), rng_));
    ASSIGN_OR_RETURN(auto ke2, core_->RecoverStart(AsBytes(kUser), start.ke1, rng_));
    ASSIGN_OR_RETURN(auto cont, ContinueRecovery(std::move(start.state), ke2.ke2, ke2.login_state,
                                                 AsBytes(kUser), core_->fleet_public_key(),
                                                 options_, rng_));
    ASSIGN_OR_RETURN(auto fin, core_->RecoverFinish(AsBytes(kUser), cont.session.login_state,
                                                    cont.ke3, rng_));
    ASSIGN_OR_RETURN(auto result, FinishRecovery(cont.session, fin.outcome, fin.attempts_remaining,
                                                 fin.encrypted_secret));
    return Recovered{std::move(cont.session), std::move(result)};
  }

  crypto::DeterministicRng rng_;
  std::unique_ptr<crypto::opaque::InMemoryServerKeys> keys_;
  std::unique_ptr<core::VaultCore> core_;
  crypto::opaque::Options options_;
  SecretBytes secret_;
};

TEST_F(ClientProtocolTest, RegisterAndRecover) {
  Register();
  auto r = Recover(kPassword);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result.outcome, core::RecoverOutcome::kSuccess);
  EXPECT_TRUE(r->result.secret.Equals(secret_));
  EXPECT_EQ(r->result.attempts_remaining, 3u);
}

TEST_F(ClientProtocolTest, WrongPasswordSendsDecoyAndLearnsAttemptsRemaining) {
  Register(3);
  auto r = Recover("wrong");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->session.verified());
  EXPECT_EQ(r->result.outcome, core::RecoverOutcome::kWrongPassword);
  EXPECT_EQ(r->result.attempts_remaining, 2u);
  EXPECT_TRUE(r->result.secret.empty());
}

TEST_F(ClientProtocolTest, UnknownUserLearnsLockedOnlyAtTheEnd) {
  auto r = Recover(kPassword);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result.outcome, core::RecoverOutcome::kLocked);
}

TEST_F(ClientProtocolTest, RefusesAFleetKeyItDidNotValidate) {
  RegistrationParams p = Params();
  p.validated_fleet_key[0] ^= 1;
  auto upload = BuildUpload(p);
  ASSERT_FALSE(upload.ok());
  EXPECT_EQ(upload.status().code(), ErrorCode::kPermissionDenied);

  Register();
  auto start = StartRecovery(AsBytes(kPassword), rng_).value();
  auto ke2 = core_->RecoverStart(AsBytes(kUser), start.ke1, rng_).value();
  auto other = core_->fleet_public_key();
  other[5] ^= 1;
  auto cont = ContinueRecovery(std::move(start.state), ke2.ke2, ke2.login_state, AsBytes(kUser),
                               other, options_, rng_);
  ASSERT_FALSE(cont.ok());
  EXPECT_EQ(cont.status().code(), ErrorCode::kPermissionDenied);
}

TEST_F(ClientProtocolTest, RejectsAHostClaimingSuccessWithoutTheSecret) {
  Register();
  auto r = Recover(kPassword);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FinishRecovery(r->session, core::RecoverOutcome::kSuccess, 3, Bytes(60, 0)).status().code(),
            ErrorCode::kAuthenticationFailed);
  RecoverySession unverified;
  unverified.user_id = ToBytes(kUser);
  EXPECT_EQ(FinishRecovery(unverified, core::RecoverOutcome::kSuccess, 3, Bytes(60, 0)).status().code(),
            ErrorCode::kAuthenticationFailed);
}

TEST_F(ClientProtocolTest, DeleteWithSessionProof) {
  Register();
  auto r = Recover(kPassword);
  ASSERT_TRUE(r.ok());
  auto req = BuildDeleteRequest(r->session);
  ASSERT_TRUE(req.ok());
  auto deleted = core_->Delete(*req, core::Authority::kNone);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_TRUE(deleted->deleted);
  EXPECT_EQ(Recover(kPassword)->result.outcome, core::RecoverOutcome::kLocked);
}

TEST_F(ClientProtocolTest, ReregisterWithSessionProofReplacesTheActiveRecord) {
  Register();
  auto r = Recover(kPassword);
  ASSERT_TRUE(r.ok());
  // Without the proof, an active record cannot be replaced.
  auto plain = BuildUpload(Params(), "new password");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(core_->RegisterUpload(plain->upload, core::Authority::kNone, rng_).status().code(),
            ErrorCode::kAlreadyExists);
  auto start = StartRegistration(AsBytes("new password"), rng_).value();
  auto response = core_->RegisterStart(AsBytes(kUser), start.registration_request).value();
  auto upload = ReregisterUpload(r->session, std::move(start.state), response.registration_response,
                                 response.registration_epoch, Params(), rng_);
  ASSERT_TRUE(upload.ok()) << upload.status().ToString();
  auto stored = core_->RegisterUpload(upload->upload, core::Authority::kNone, rng_);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_TRUE(core_->RegisterActivate(AsBytes(kUser), upload->activation_key.Reveal()).ok());
  auto again = Recover("new password");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->result.outcome, core::RecoverOutcome::kSuccess);
  EXPECT_EQ(Recover(kPassword)->result.outcome, core::RecoverOutcome::kWrongPassword);
}

}  // namespace
}  // namespace keyward::client
