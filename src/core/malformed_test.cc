// Malformed and adversarial inputs to every host call: each is an error and leaves the state
// digest unchanged. Also the codecs: round trips and strict parsing.
#include <gtest/gtest.h>

#include "core/commands.h"
#include "core/core_test_util.h"
#include "core/messages.h"
#include "core/vault_core.h"

namespace keyward::core {
namespace {

using testing::CoreHarness;

constexpr char kUser[] = "carol";

class MalformedTest : public ::testing::Test {
 protected:
  MalformedTest() : h_(11) {
    h_.Register(kUser, "pw", "secret", 5);
    auto login = h_.StartRecovery(kUser, "pw");
    KW_CHECK(login.ok());
    login_ = std::move(login).value();
    digest_ = h_.core().StateDigest();
  }
  void ExpectUnchanged() { EXPECT_EQ(h_.core().StateDigest(), digest_); }
  CoreHarness h_;
  testing::ClientRecovery login_;
  std::array<uint8_t, 32> digest_{};
};

Bytes Filled(size_t n, uint8_t v = 0) { return Bytes(n, v); }

TEST_F(MalformedTest, UserIdBounds) {
  VaultCore& c = h_.core();
  const Bytes req(32, 0x11);
  EXPECT_EQ(c.RegisterStart({}, req).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.RegisterStart(Filled(257, 'a'), req).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.RecoverStart({}, Filled(96), h_.rng()).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.RegisterActivate(Filled(300, 'a'), Filled(32)).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.Delete(DeleteRequest{}, Authority::kAccount).status().code(),
            ErrorCode::kInvalidArgument);
  ExpectUnchanged();
}

TEST_F(MalformedTest, RegistrationRequestWrongLengthOrIdentity) {
  VaultCore& c = h_.core();
  for (size_t n : {0, 31, 33, 64}) {
    EXPECT_EQ(c.RegisterStart(AsBytes(kUser), Filled(n, 1)).status().code(),
              ErrorCode::kInvalidArgument) << n;
  }
  EXPECT_EQ(c.RegisterStart(AsBytes(kUser), Filled(32, 0)).status().code(),
            ErrorCode::kInvalidArgument) << "identity element";
  ExpectUnchanged();
}

TEST_F(MalformedTest, Ke1TruncatedOversizedOrIdentity) {
  VaultCore& c = h_.core();
  auto fresh = h_.StartRecovery(kUser, "pw");  // counts a guess: take a new digest afterwards
  ASSERT_TRUE(fresh.ok());
  digest_ = c.StateDigest();
  for (size_t n : {0, 95, 97, 320}) {
    EXPECT_EQ(c.RecoverStart(AsBytes(kUser), Filled(n, 1), h_.rng()).status().code(),
              ErrorCode::kInvalidArgument) << n;
  }
  EXPECT_EQ(c.RecoverStart(AsBytes(kUser), Filled(96, 0), h_.rng()).status().code(),
            ErrorCode::kInvalidArgument) << "identity elements";
  EXPECT_EQ(c.RecoverStart(AsBytes(kUser), Filled(96, 0xff), h_.rng()).status().code(),
            ErrorCode::kInvalidArgument) << "non-canonical elements";
  ExpectUnchanged();
}

TEST_F(MalformedTest, Ke3AndLoginStateChecked) {
  VaultCore& c = h_.core();
  const Bytes& token = login_.start.login_state;
  EXPECT_EQ(c.RecoverFinish(AsBytes(kUser), token, Filled(63), h_.rng()).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.RecoverFinish(AsBytes(kUser), token, Filled(65), h_.rng()).status().code(),
            ErrorCode::kInvalidArgument);
  Bytes truncated(token.begin(), token.end() - 1);
  EXPECT_EQ(c.RecoverFinish(AsBytes(kUser), truncated, login_.ke3, h_.rng()).status().code(),
            ErrorCode::kPermissionDenied);
  Bytes flipped = token;
  flipped[100] ^= 0x80;
  EXPECT_EQ(c.RecoverFinish(AsBytes(kUser), flipped, login_.ke3, h_.rng()).status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(c.RecoverFinish(AsBytes("dave"), token, login_.ke3, h_.rng()).status().code(),
            ErrorCode::kPermissionDenied) << "token bound to its user id";
  ExpectUnchanged();
  // The untouched login still finishes.
  auto ok = h_.Finish(kUser, login_);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->outcome, RecoverOutcome::kSuccess);
}

TEST_F(MalformedTest, UploadFieldsChecked) {
  VaultCore& c = h_.core();
  testing::Upload u = h_.MakeUpload("erin", "pw", "s", 3);
  auto expect_invalid = [&](UploadRequest req, const char* what) {
    auto r = c.RegisterUpload(req, Authority::kNone, h_.rng());
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << what;
  };
  UploadRequest req = u.request;
  req.registration_record.pop_back();
  expect_invalid(req, "record 191 bytes");
  req = u.request;
  std::fill(req.registration_record.begin(), req.registration_record.begin() + 32, 0);
  expect_invalid(req, "identity client public key");
  req = u.request;
  req.activation_commitment.push_back(0);
  expect_invalid(req, "commitment 33 bytes");
  req = u.request;
  req.max_attempts = 256;
  expect_invalid(req, "max_attempts 256");
  req = u.request;
  req.encrypted_secret.push_back(0);
  expect_invalid(req, "trailing byte in envelope");
  req = u.request;
  req.encrypted_secret.resize(20);
  expect_invalid(req, "truncated envelope");
  req = u.request;
  req.encrypted_secret[0] = 2;
  expect_invalid(req, "envelope version");
  EXPECT_EQ(c.RegisterActivate(AsBytes("erin"), Filled(31)).status().code(),
            ErrorCode::kInvalidArgument);
  ExpectUnchanged();
}

TEST_F(MalformedTest, ActivationWithoutUploadOrWithWrongKey) {
  VaultCore& c = h_.core();
  EXPECT_EQ(c.RegisterActivate(AsBytes("nobody"), Filled(32)).status().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(c.RegisterActivate(AsBytes(kUser), Filled(32, 9)).status().code(),
            ErrorCode::kPermissionDenied);
  ExpectUnchanged();
}

TEST(CommandCodecTest, RoundTripsEveryCommand) {
  UploadCommand up;
  up.user_id = ToBytes("u");
  up.epoch = 3;
  up.opaque_record.fill(7);
  up.sealed_secret = Bytes(kSealedSecretMin, 1);
  up.activation_commitment.fill(2);
  up.max_attempts = 9;
  up.authority = true;
  up.proof_serial = 42;
  ActivateCommand act{.user_id = ToBytes("v")};
  act.activation_key.fill(5);
  const std::vector<Command> commands = {
      up, act, BeginLoginCommand{ToBytes("w")},
      FinishLoginCommand{.user_id = ToBytes("x"), .epoch = 2, .serial = 5, .success = true},
      DeleteCommand{.user_id = ToBytes("y"), .authority = false, .epoch = 1, .proof_serial = 4}};
  for (const Command& c : commands) {
    const Bytes b = SerializeCommand(c);
    auto parsed = ParseCommand(b);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, c);
    Bytes trailing = b;
    trailing.push_back(0);
    EXPECT_FALSE(ParseCommand(trailing).ok());
    for (size_t n = 0; n < b.size(); ++n) {
      EXPECT_FALSE(ParseCommand(ByteSpan(b).first(n)).ok()) << n;
    }
  }
}

TEST(CommandCodecTest, RejectsOutOfRangeFields) {
  EXPECT_FALSE(ParseCommand(Bytes{}).ok());
  EXPECT_FALSE(ParseCommand(Bytes{9, 0, 1, 'a'}).ok()) << "unknown type";
  EXPECT_FALSE(ParseCommand(Bytes{3, 0, 0}).ok()) << "empty user id";
  Bytes long_id{3, 0x01, 0x01};
  long_id.resize(3 + 257, 'a');
  EXPECT_FALSE(ParseCommand(long_id).ok()) << "257-byte user id";
  Bytes finish = SerializeCommand(FinishLoginCommand{.user_id = ToBytes("x"), .success = true});
  finish.back() = 2;
  EXPECT_FALSE(ParseCommand(finish).ok()) << "bool out of range";
}

TEST(CommandCodecTest, ApplyResultRoundTrip) {
  ApplyResult a{.code = ApplyCode::kLocked, .changed = true, .state = RecordState::kLocked,
                .epoch = 4, .login_serial = 9, .attempts_used = 10, .max_attempts = 10};
  auto parsed = ParseApplyResult(SerializeApplyResult(a));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, a);
  Bytes bad = SerializeApplyResult(a);
  bad[0] = 8;
  EXPECT_FALSE(ParseApplyResult(bad).ok());
}

TEST(UploadEnvelopeTest, RoundTripWithAndWithoutProof) {
  UploadEnvelope e;
  e.epoch = 5;
  e.ephemeral_public_key.fill(3);
  e.ciphertext = Bytes(kUploadCiphertextMax, 4);
  auto p = UploadEnvelope::Parse(e.Serialize());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, e);
  e.login_state = Bytes(kLoginStateSize, 6);
  e.proof.fill(8);
  p = UploadEnvelope::Parse(e.Serialize());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, e);
  e.ciphertext = Bytes(kUploadCiphertextMax + 1, 4);
  EXPECT_FALSE(UploadEnvelope::Parse(e.Serialize()).ok());
  e.ciphertext = Bytes(kUploadCiphertextMin - 1, 4);
  EXPECT_FALSE(UploadEnvelope::Parse(e.Serialize()).ok());
}

TEST(ApplySerializedTest, GarbageChangesNothing) {
  CoreHarness h(3);
  h.Register("u", "pw", "s", 2);
  const auto before = h.core().StateDigest();
  for (const Bytes& b : {Bytes{}, Bytes{1}, Bytes{4, 0, 1, 'u', 0}, Bytes(200, 0xff)}) {
    EXPECT_EQ(h.core().ApplySerialized(b).code, ApplyCode::kInvalid);
  }
  EXPECT_EQ(h.core().StateDigest(), before);
}

}  // namespace
}  // namespace keyward::core

namespace keyward::core {
namespace {

TEST(SnapshotTest, RoundTripPreservesStateAndLetsAnotherCoreContinue) {
  CoreHarness h(21);
  h.Register("a", "pw", "secret-a", 3);
  h.Register("b", "pw", "secret-b", 3);
  ASSERT_EQ(h.Recover("a", "wrong")->outcome, RecoverOutcome::kWrongPassword);
  ASSERT_TRUE(h.core().Delete(DeleteRequest{.user_id = ToBytes("b")}, Authority::kAccount).ok());
  const Bytes snapshot = h.core().Snapshot();
  const auto digest = h.core().StateDigest();
  // Restoring over a different state replaces it exactly.
  ASSERT_TRUE(h.core().Apply(BeginLoginCommand{ToBytes("a")}).changed);
  ASSERT_NE(h.core().StateDigest(), digest);
  ASSERT_TRUE(h.core().Restore(snapshot).ok());
  EXPECT_EQ(h.core().StateDigest(), digest);
  EXPECT_EQ(h.core().Snapshot(), snapshot);
  std::string secret;
  auto r = h.Recover("a", "pw", &secret);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, RecoverOutcome::kSuccess);
  EXPECT_EQ(secret, "secret-a");
}

TEST(SnapshotTest, RestoreRefusesBadSnapshotsAndKeepsState) {
  CoreHarness h(22);
  h.Register("a", "pw", "s", 3);
  const Bytes good = h.core().Snapshot();
  const auto digest = h.core().StateDigest();
  auto expect_refused = [&](Bytes bad, const char* what) {
    EXPECT_FALSE(h.core().Restore(bad).ok()) << what;
    EXPECT_EQ(h.core().StateDigest(), digest) << what;
  };
  for (size_t n = 0; n < good.size(); n += 7) expect_refused(Bytes(good.begin(), good.begin() + n), "truncated");
  Bytes trailing = good;
  trailing.push_back(0);
  expect_refused(trailing, "trailing byte");
  // Record layout: version(1) count(8) | u16 len "a"(3) state(1) epoch(8) version(8) record(192)
  // u8 sealed len ...; offsets below point into the first record.
  const size_t state_at = 1 + 8 + 3;
  Bytes locked_with_secret = good;
  locked_with_secret[state_at] = static_cast<uint8_t>(RecordState::kLocked);
  expect_refused(locked_with_secret, "locked record with a secret");
  Bytes used_above_max = good;
  const size_t sealed_len_at = state_at + 1 + 8 + 8 + 192;
  const size_t max_at = sealed_len_at + 1 + used_above_max[sealed_len_at] + 32;
  used_above_max[max_at + 1] = static_cast<uint8_t>(used_above_max[max_at] + 1);
  expect_refused(used_above_max, "attempts_used above max");
  Bytes bad_version = good;
  bad_version[0] = 2;
  expect_refused(bad_version, "unknown version");
  // Two records out of order.
  CoreHarness h2(23);
  h2.Register("a", "pw", "s");
  h2.Register("b", "pw", "s");
  Bytes two = h2.core().Snapshot();
  const size_t rec_len = (two.size() - 9) / 2;
  Bytes swapped(two.begin(), two.begin() + 9);
  swapped.insert(swapped.end(), two.begin() + 9 + rec_len, two.end());
  swapped.insert(swapped.end(), two.begin() + 9, two.begin() + 9 + rec_len);
  expect_refused(swapped, "records out of order");
  EXPECT_TRUE(h.core().Restore(two).ok());
}

}  // namespace
}  // namespace keyward::core
