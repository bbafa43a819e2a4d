#include "core/vault_core.h"

#include <gtest/gtest.h>

#include "core/core_test_util.h"
#include "core/messages.h"
#include "core/protocol_crypto.h"

namespace keyward::core {
namespace {

using testing::CoreHarness;

constexpr char kUser[] = "alice@example.com";
constexpr char kPassword[] = "correct horse battery staple";
constexpr char kSecret[] = "backup key: 0123456789abcdef";

class VaultCoreTest : public ::testing::Test {
 protected:
  VaultCoreTest() : h_(7) {}
  VaultCore& core() { return h_.core(); }
  const UserRecord& Record() {
    const UserRecord* r = core().Find(AsBytes(kUser));
    KW_CHECK(r != nullptr);
    return *r;
  }
  RecoverFinishResult Recover(const std::string& password, std::string* secret = nullptr) {
    auto r = h_.Recover(kUser, password, secret);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    core().CheckInvariants();
    return r.ok() ? std::move(r).value() : RecoverFinishResult{};
  }
  CoreHarness h_;
};

TEST_F(VaultCoreTest, RegisterInThreePhasesThenRecover) {
  testing::Upload u = h_.MakeUpload(kUser, kPassword, kSecret, 5);
  auto uploaded = core().RegisterUpload(u.request, Authority::kNone, h_.rng());
  ASSERT_TRUE(uploaded.ok()) << uploaded.status().ToString();
  EXPECT_FALSE(uploaded->already_stored);
  EXPECT_EQ(uploaded->epoch, 1u);
  EXPECT_EQ(Record().state, RecordState::kPending);
  auto activated = core().RegisterActivate(AsBytes(kUser), u.activation_key);
  ASSERT_TRUE(activated.ok()) << activated.status().ToString();
  EXPECT_EQ(activated->attempts_remaining, 5u);
  EXPECT_FALSE(activated->already_active);
  EXPECT_EQ(Record().state, RecordState::kActive);

  std::string secret;
  RecoverFinishResult r = Recover(kPassword, &secret);
  EXPECT_EQ(r.outcome, RecoverOutcome::kSuccess);
  EXPECT_EQ(r.attempts_remaining, 5u);
  EXPECT_EQ(secret, kSecret);
  EXPECT_EQ(Record().attempts_used, 0);
}

TEST_F(VaultCoreTest, WrongPasswordIsCountedAndReportsAttemptsRemaining) {
  h_.Register(kUser, kPassword, kSecret, 4);
  for (uint32_t i = 1; i <= 3; ++i) {
    RecoverFinishResult r = Recover("wrong");
    EXPECT_EQ(r.outcome, RecoverOutcome::kWrongPassword);
    EXPECT_EQ(r.attempts_remaining, 4 - i);
    EXPECT_EQ(Record().attempts_used, i);
    EXPECT_TRUE(r.encrypted_secret.empty());
  }
}

TEST_F(VaultCoreTest, ExactlyMaxWrongGuessesLockForever) {
  h_.Register(kUser, kPassword, kSecret, 3);
  EXPECT_EQ(Recover("wrong1").outcome, RecoverOutcome::kWrongPassword);
  EXPECT_EQ(Recover("wrong2").outcome, RecoverOutcome::kWrongPassword);
  RecoverFinishResult last = Recover("wrong3");
  EXPECT_EQ(last.outcome, RecoverOutcome::kLocked);
  EXPECT_EQ(last.attempts_remaining, 0u);
  EXPECT_EQ(Record().state, RecordState::kLocked);
  EXPECT_TRUE(Record().sealed_secret.empty());
  for (int i = 0; i < 3; ++i) {
    RecoverFinishResult r = Recover(kPassword);
    EXPECT_EQ(r.outcome, RecoverOutcome::kLocked);
    EXPECT_EQ(r.attempts_remaining, 0u);
  }
  EXPECT_EQ(Record().state, RecordState::kLocked);
}

TEST_F(VaultCoreTest, GuessesWithoutKe3StillCountAndTheNextKe1Locks) {
  // An attacker tests each KE2 offline and never sends KE3.
  h_.Register(kUser, kPassword, kSecret, 2);
  ASSERT_TRUE(h_.StartRecovery(kUser, "guess1").ok());
  ASSERT_TRUE(h_.StartRecovery(kUser, "guess2").ok());
  EXPECT_EQ(Record().attempts_used, 2);
  EXPECT_EQ(Record().state, RecordState::kActive);
  auto third = h_.StartRecovery(kUser, kPassword);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->session_key.has_value()) << "a KE2 beyond max_attempts must be fake";
  EXPECT_EQ(Record().state, RecordState::kLocked);
  EXPECT_TRUE(Record().sealed_secret.empty());
  auto finished = h_.Finish(kUser, *third);
  ASSERT_TRUE(finished.ok());
  EXPECT_EQ(finished->outcome, RecoverOutcome::kLocked);
}

TEST_F(VaultCoreTest, LastAllowedGuessCanStillSucceed) {
  h_.Register(kUser, kPassword, kSecret, 2);
  EXPECT_EQ(Recover("wrong").outcome, RecoverOutcome::kWrongPassword);
  std::string secret;
  EXPECT_EQ(Recover(kPassword, &secret).outcome, RecoverOutcome::kSuccess);
  EXPECT_EQ(secret, kSecret);
}

TEST_F(VaultCoreTest, SuccessResetsTheCount) {
  h_.Register(kUser, kPassword, kSecret, 3);
  EXPECT_EQ(Recover("wrong").outcome, RecoverOutcome::kWrongPassword);
  EXPECT_EQ(Recover("wrong").outcome, RecoverOutcome::kWrongPassword);
  EXPECT_EQ(Record().attempts_used, 2);
  RecoverFinishResult ok = Recover(kPassword);
  EXPECT_EQ(ok.outcome, RecoverOutcome::kSuccess);
  EXPECT_EQ(ok.attempts_remaining, 3u);
  EXPECT_EQ(Record().attempts_used, 0);
  EXPECT_EQ(Recover("wrong").attempts_remaining, 2u);
}

TEST_F(VaultCoreTest, DroppedActivationReplyThenRetryNeverResetsACount) {
  testing::Upload u = h_.MakeUpload(kUser, kPassword, kSecret, 5);
  ASSERT_TRUE(core().RegisterUpload(u.request, Authority::kNone, h_.rng()).ok());
  ASSERT_TRUE(core().RegisterActivate(AsBytes(kUser), u.activation_key).ok());  // reply "dropped"
  EXPECT_EQ(Recover("attacker1").outcome, RecoverOutcome::kWrongPassword);
  EXPECT_EQ(Recover("attacker2").outcome, RecoverOutcome::kWrongPassword);
  const auto before = core().StateDigest();
  auto retried = core().RegisterActivate(AsBytes(kUser), u.activation_key);
  ASSERT_TRUE(retried.ok());
  EXPECT_TRUE(retried->already_active);
  EXPECT_EQ(retried->attempts_remaining, 3u);
  EXPECT_EQ(Record().attempts_used, 2);
  // A retried (or replayed) upload changes nothing either.
  auto reuploaded = core().RegisterUpload(u.request, Authority::kNone, h_.rng());
  ASSERT_TRUE(reuploaded.ok()) << reuploaded.status().ToString();
  EXPECT_TRUE(reuploaded->already_stored);
  // ... not even with the account authority.
  auto authority_replay = core().RegisterUpload(u.request, Authority::kAccount, h_.rng());
  ASSERT_TRUE(authority_replay.ok());
  EXPECT_TRUE(authority_replay->already_stored);
  EXPECT_EQ(core().StateDigest(), before);
}

TEST_F(VaultCoreTest, ReplayedOldRegistrationAfterAuthorityOverwriteIsRefused) {
  testing::Upload first = h_.MakeUpload(kUser, kPassword, kSecret, 5);
  ASSERT_TRUE(core().RegisterUpload(first.request, Authority::kNone, h_.rng()).ok());
  ASSERT_TRUE(core().RegisterActivate(AsBytes(kUser), first.activation_key).ok());
  // The operator (holding the authority) overwrites, then replays the user's original messages to
  // get a fresh counter for the original password. The epoch makes every upload single-use.
  testing::Upload own = h_.MakeUpload(kUser, "operator", "x", 5);
  ASSERT_TRUE(core().RegisterUpload(own.request, Authority::kAccount, h_.rng()).ok());
  const auto before = core().StateDigest();
  auto replay = core().RegisterUpload(first.request, Authority::kAccount, h_.rng());
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.status().code(), ErrorCode::kFailedPrecondition);
  auto activation = core().RegisterActivate(AsBytes(kUser), first.activation_key);
  ASSERT_FALSE(activation.ok());
  EXPECT_EQ(activation.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(core().StateDigest(), before);
  // Deleting and replaying does not help either: the tombstone keeps the epoch.
  ASSERT_TRUE(core().Delete(DeleteRequest{.user_id = ToBytes(kUser)}, Authority::kAccount).ok());
  EXPECT_FALSE(core().RegisterUpload(first.request, Authority::kAccount, h_.rng()).ok());
}

TEST_F(VaultCoreTest, PendingRecordCannotBeGuessedAgainst) {
  testing::Upload u = h_.MakeUpload(kUser, kPassword, kSecret, 5);
  ASSERT_TRUE(core().RegisterUpload(u.request, Authority::kNone, h_.rng()).ok());
  const auto before = core().StateDigest();
  auto r = h_.StartRecovery(kUser, kPassword);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->session_key.has_value()) << "pending record must get a fake KE2";
  auto finished = h_.Finish(kUser, *r);
  ASSERT_TRUE(finished.ok());
  EXPECT_EQ(finished->outcome, RecoverOutcome::kLocked);
  EXPECT_EQ(core().StateDigest(), before);
  EXPECT_EQ(Record().attempts_used, 0);
}

TEST_F(VaultCoreTest, FakeKe2ForUnknownPendingAndLockedHasTheRealSizes) {
  h_.Register("active", kPassword, kSecret, 1);
  ASSERT_TRUE(core().RegisterUpload(h_.MakeUpload("pending", kPassword, kSecret).request,
                                    Authority::kNone, h_.rng()).ok());
  h_.Register("locked", kPassword, kSecret, 1);
  ASSERT_EQ(h_.Recover("locked", "wrong")->outcome, RecoverOutcome::kLocked);
  auto real = h_.StartRecovery("active", kPassword);
  ASSERT_TRUE(real.ok());
  ASSERT_TRUE(real->session_key.has_value());
  for (const char* user : {"unknown", "pending", "locked"}) {
    auto fake = h_.StartRecovery(user, kPassword);
    ASSERT_TRUE(fake.ok()) << user;
    EXPECT_FALSE(fake->session_key.has_value()) << user;
    EXPECT_EQ(fake->start.ke2.size(), real->start.ke2.size()) << user;
    EXPECT_EQ(fake->start.login_state.size(), real->start.login_state.size()) << user;
    auto finished = h_.Finish(user, *fake);
    ASSERT_TRUE(finished.ok());
    EXPECT_EQ(finished->outcome, RecoverOutcome::kLocked) << user;
  }
}

TEST_F(VaultCoreTest, ReplayedKe3IsRejected) {
  h_.Register(kUser, kPassword, kSecret, 5);
  auto r = h_.StartRecovery(kUser, kPassword);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(h_.Finish(kUser, *r)->outcome, RecoverOutcome::kSuccess);
  ASSERT_EQ(Recover("wrong").outcome, RecoverOutcome::kWrongPassword);
  const auto before = core().StateDigest();
  auto replay = h_.Finish(kUser, *r);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(core().StateDigest(), before);
  EXPECT_EQ(Record().attempts_used, 1) << "a replayed success must not reset the count";
}

TEST_F(VaultCoreTest, HeldBackKe3CannotResetGuessesMadeAfterIt) {
  h_.Register(kUser, kPassword, kSecret, 5);
  auto user_login = h_.StartRecovery(kUser, kPassword);  // operator holds the KE3 back
  ASSERT_TRUE(user_login.ok());
  ASSERT_TRUE(h_.StartRecovery(kUser, "attacker").ok());
  auto late = h_.Finish(kUser, *user_login);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Record().attempts_used, 2);
}

TEST_F(VaultCoreTest, TamperedUploadIsRejectedWithNoStateChange) {
  h_.Register("bob", kPassword, kSecret);
  const auto before = core().StateDigest();
  auto expect_rejected = [&](const UploadRequest& req, ErrorCode code, const char* what) {
    auto r = core().RegisterUpload(req, Authority::kNone, h_.rng());
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), code) << what << ": " << r.status().ToString();
    EXPECT_EQ(core().StateDigest(), before) << what;
  };
  testing::Upload u = h_.MakeUpload(kUser, kPassword, kSecret, 5);
  {
    UploadRequest req = u.request;
    req.encrypted_secret[45] ^= 1;  // inside the ciphertext
    expect_rejected(req, ErrorCode::kAuthenticationFailed, "flipped ciphertext bit");
  }
  {
    UploadRequest req = u.request;
    req.user_id = ToBytes("mallory");
    expect_rejected(req, ErrorCode::kAuthenticationFailed, "other user id");
  }
  {
    UploadRequest req = u.request;
    req.max_attempts = 255;
    expect_rejected(req, ErrorCode::kAuthenticationFailed, "raised max_attempts");
  }
  {
    UploadRequest req = u.request;
    req.activation_commitment[0] ^= 1;
    expect_rejected(req, ErrorCode::kAuthenticationFailed, "other commitment");
  }
  {
    UploadRequest req = u.request;
    req.registration_record = h_.MakeUpload(kUser, "other", kSecret).request.registration_record;
    expect_rejected(req, ErrorCode::kAuthenticationFailed, "swapped record");
  }
  {
    testing::Upload stale = h_.MakeUpload(kUser, kPassword, kSecret, 5, /*epoch=*/7);
    expect_rejected(stale.request, ErrorCode::kFailedPrecondition, "wrong epoch");
  }
  {
    UploadRequest req = u.request;
    auto env = UploadEnvelope::Parse(req.encrypted_secret).value();
    env.ephemeral_public_key.fill(0);  // the identity
    req.encrypted_secret = env.Serialize();
    expect_rejected(req, ErrorCode::kAuthenticationFailed, "identity ephemeral key");
  }
  EXPECT_EQ(core().Find(AsBytes(kUser)), nullptr);
}

TEST_F(VaultCoreTest, ReplacingAnActiveRecordNeedsAuthorityOrProof) {
  h_.Register(kUser, kPassword, kSecret, 5);
  testing::Upload u = h_.MakeUpload(kUser, "new password", "new secret", 5);
  auto refused = core().RegisterUpload(u.request, Authority::kNone, h_.rng());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kAlreadyExists);
  auto replaced = core().RegisterUpload(u.request, Authority::kAccount, h_.rng());
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(Record().state, RecordState::kPending);
  EXPECT_EQ(Record().epoch, 2u);
}

TEST_F(VaultCoreTest, DeleteByAuthority) {
  h_.Register(kUser, kPassword, kSecret);
  auto no_auth = core().Delete(DeleteRequest{.user_id = ToBytes(kUser)}, Authority::kNone);
  ASSERT_FALSE(no_auth.ok());
  EXPECT_EQ(no_auth.status().code(), ErrorCode::kPermissionDenied);
  auto deleted = core().Delete(DeleteRequest{.user_id = ToBytes(kUser)}, Authority::kAccount);
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(deleted->deleted);
  EXPECT_EQ(Record().state, RecordState::kDeleted);
  EXPECT_TRUE(Record().sealed_secret.empty());
  EXPECT_EQ(Recover(kPassword).outcome, RecoverOutcome::kLocked);
  auto again = core().Delete(DeleteRequest{.user_id = ToBytes(kUser)}, Authority::kAccount);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->deleted);
  // A new registration starts after the tombstone's epoch.
  h_.Register(kUser, kPassword, kSecret);
  EXPECT_EQ(Record().epoch, 2u);
}

TEST_F(VaultCoreTest, DeleteWithSessionProof) {
  h_.Register(kUser, kPassword, kSecret);
  auto login = h_.StartRecovery(kUser, kPassword);
  ASSERT_TRUE(login.ok());
  ASSERT_EQ(h_.Finish(kUser, *login)->outcome, RecoverOutcome::kSuccess);
  const auto keys = DeriveSessionKeys(*login->session_key);
  const auto proof = DeleteProof(keys.delete_key, AsBytes(kUser));
  DeleteRequest req{.user_id = ToBytes(kUser), .login_state = login->start.login_state,
                    .proof = Bytes(proof.begin(), proof.end())};
  DeleteRequest bad = req;
  bad.proof[3] ^= 1;
  auto refused = core().Delete(bad, Authority::kNone);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kPermissionDenied);
  auto deleted = core().Delete(req, Authority::kNone);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_TRUE(deleted->deleted);
  EXPECT_EQ(Record().state, RecordState::kDeleted);
}

TEST_F(VaultCoreTest, DeleteProofIsVoidOnceANewerLoginStarted) {
  h_.Register(kUser, kPassword, kSecret);
  auto login = h_.StartRecovery(kUser, kPassword);
  ASSERT_EQ(h_.Finish(kUser, *login)->outcome, RecoverOutcome::kSuccess);
  ASSERT_TRUE(h_.StartRecovery(kUser, "someone").ok());
  const auto keys = DeriveSessionKeys(*login->session_key);
  const auto proof = DeleteProof(keys.delete_key, AsBytes(kUser));
  auto r = core().Delete(DeleteRequest{.user_id = ToBytes(kUser),
                                       .login_state = login->start.login_state,
                                       .proof = Bytes(proof.begin(), proof.end())},
                         Authority::kNone);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Record().state, RecordState::kActive);
}

}  // namespace
}  // namespace keyward::core
