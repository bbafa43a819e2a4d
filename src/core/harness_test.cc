// Implementation of the test harness (core_test_util.h); named *_test.cc so it is compiled into
// core_test only, never into the trusted library.
#include <gtest/gtest.h>

#include "core/core_test_util.h"
#include "core/messages.h"
#include "core/protocol_crypto.h"
#include "crypto/aead.h"
#include "crypto/ristretto.h"

namespace keyward::core::testing {

namespace opaque = crypto::opaque;
using crypto::SecretBytes;

CoreHarness::CoreHarness(uint64_t seed, CoreConfig config) : rng_(seed) {
  keys_ = opaque::InMemoryServerKeys::Generate(rng_);
  SecretBytes sealing(kSealingKeySize);
  rng_.Fill(sealing.RevealMutable());
  core_ = VaultCore::Create(*keys_, std::move(sealing), std::move(config)).value();
  options_.ksf = crypto::KsfConfig::Identity();
}

Upload CoreHarness::MakeUpload(const std::string& user, const std::string& password,
                               const std::string& secret, uint8_t max_attempts,
                               std::optional<uint64_t> epoch_override) {
  auto start = opaque::ClientStartRegistration(AsBytes(password), rng_).value();
  auto response = core_->RegisterStart(AsBytes(user), start.request).value();
  auto finish = opaque::ClientFinishRegistration(std::move(start.state),
                                                 response.registration_response, options_, rng_)
                    .value();
  Upload u;
  u.activation_key.resize(kActivationKeySize);
  rng_.Fill(u.activation_key);
  const auto commitment = ActivationCommitment(u.activation_key);
  UploadEnvelope env;
  env.epoch = epoch_override.value_or(response.registration_epoch + 1);
  const Bytes ad = UploadAssociatedData(AsBytes(user), finish.record, env.epoch, commitment,
                                        max_attempts);
  const auto e = crypto::ristretto::Scalar::Random(rng_);
  env.ephemeral_public_key = crypto::ristretto::Element::MultiplyBase(e).bytes();
  auto fleet = crypto::ristretto::Element::Deserialize(core_->fleet_public_key()).value();
  auto dh = fleet.Multiply(e).value();
  SecretBytes km = UploadKeyMaterial(dh.bytes(), env.ephemeral_public_key, core_->fleet_public_key());
  env.ciphertext = crypto::AeadSeal(km.Reveal().first(32), km.Reveal().subspan(32, 24), ad,
                                    AsBytes(secret));
  u.request.user_id = ToBytes(user);
  u.request.registration_record = finish.record;
  u.request.encrypted_secret = env.Serialize();
  u.request.activation_commitment.assign(commitment.begin(), commitment.end());
  u.request.max_attempts = max_attempts;
  return u;
}

void CoreHarness::Register(const std::string& user, const std::string& password,
                           const std::string& secret, uint8_t max_attempts) {
  Upload u = MakeUpload(user, password, secret, max_attempts);
  auto uploaded = core_->RegisterUpload(u.request, Authority::kNone, rng_);
  ASSERT_TRUE(uploaded.ok()) << uploaded.status().ToString();
  auto activated = core_->RegisterActivate(AsBytes(user), u.activation_key);
  ASSERT_TRUE(activated.ok()) << activated.status().ToString();
}

StatusOr<ClientRecovery> CoreHarness::StartRecovery(const std::string& user,
                                                    const std::string& password) {
  auto start = opaque::ClientStartLogin(AsBytes(password), rng_).value();
  ASSIGN_OR_RETURN(auto response, core_->RecoverStart(AsBytes(user), start.ke1, rng_));
  ClientRecovery r;
  auto finished = opaque::ClientFinishLogin(std::move(start.state), response.ke2, options_);
  r.start = std::move(response);
  if (finished.ok()) {
    r.ke3 = finished->ke3;
    r.session_key = std::move(finished->session_key);
  } else {
    r.ke3.resize(opaque::kKe3Size);
    rng_.Fill(r.ke3);
  }
  return r;
}

StatusOr<RecoverFinishResult> CoreHarness::Finish(const std::string& user, const ClientRecovery& r,
                                                  std::string* secret) {
  ASSIGN_OR_RETURN(auto result,
                   core_->RecoverFinish(AsBytes(user), r.start.login_state, r.ke3, rng_));
  if (result.outcome == RecoverOutcome::kSuccess) {
    EXPECT_TRUE(r.session_key.has_value());
    if (!r.session_key.has_value()) return Internal("success without a client session");
    const auto keys = DeriveSessionKeys(*r.session_key);
    const ByteSpan ct(result.encrypted_secret);
    auto opened = crypto::AeadOpen(keys.recovery_key.Reveal(), ct.first(24),
                                   RecoveredSecretAssociatedData(AsBytes(user)), ct.subspan(24));
    EXPECT_TRUE(opened.ok());
    if (opened.ok() && secret != nullptr) secret->assign(AsChars(opened->Reveal()));
  }
  return result;
}

StatusOr<RecoverFinishResult> CoreHarness::Recover(const std::string& user,
                                                   const std::string& password, std::string* secret) {
  ASSIGN_OR_RETURN(ClientRecovery r, StartRecovery(user, password));
  return Finish(user, r, secret);
}

}  // namespace keyward::core::testing
