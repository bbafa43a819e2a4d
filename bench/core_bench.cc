// Vault core benchmarks (server side only): a whole recovery through the core's host API
// (RecoverStart: count the guess, then KE2 + sealed login state; RecoverFinish: open the token,
// check KE3, reset the count, re-encrypt the secret under the session key), compared in the same
// run with BM_CryptoFloor (opaque_bench.cc); and the bare state-machine Apply of a guess.
#include <benchmark/benchmark.h>

#include <memory>

#include "core/commands.h"
#include "core/messages.h"
#include "core/protocol_crypto.h"
#include "core/vault_core.h"
#include "crypto/aead.h"
#include "crypto/opaque.h"
#include "crypto/opaque_server_keys.h"
#include "crypto/random.h"

namespace {

using namespace keyward;
using namespace keyward::core;
namespace opaque = crypto::opaque;

struct Setup {
  crypto::DeterministicRng rng{77};
  std::unique_ptr<opaque::InMemoryServerKeys> keys = opaque::InMemoryServerKeys::Generate(rng);
  std::unique_ptr<VaultCore> core =
      VaultCore::Create(*keys, crypto::SecretBytes(Bytes(32, 4))).value();
  opaque::Options options;

  Setup() {
    options.ksf = crypto::KsfConfig::Identity();
    auto start = opaque::ClientStartRegistration(AsBytes("pw"), rng).value();
    auto resp = core->RegisterStart(AsBytes("user"), start.request).value();
    auto fin = opaque::ClientFinishRegistration(std::move(start.state), resp.registration_response,
                                                options, rng).value();
    const Bytes activation_key(32, 2);
    const auto commitment = ActivationCommitment(activation_key);
    UploadEnvelope env;
    env.epoch = 1;
    const auto e = crypto::ristretto::Scalar::Random(rng);
    env.ephemeral_public_key = crypto::ristretto::Element::MultiplyBase(e).bytes();
    auto dh = crypto::ristretto::Element::Deserialize(core->fleet_public_key()).value().Multiply(e).value();
    auto km = UploadKeyMaterial(dh.bytes(), env.ephemeral_public_key, core->fleet_public_key());
    env.ciphertext = crypto::AeadSeal(km.Reveal().first(32), km.Reveal().subspan(32, 24),
                                      UploadAssociatedData(AsBytes("user"), fin.record, 1, commitment, 10),
                                      Bytes(32, 0x42));
    UploadRequest up{.user_id = ToBytes("user"), .registration_record = fin.record,
                     .encrypted_secret = env.Serialize(),
                     .activation_commitment = Bytes(commitment.begin(), commitment.end()),
                     .max_attempts = 10};
    (void)core->RegisterUpload(up, Authority::kNone, rng).value();
    (void)core->RegisterActivate(AsBytes("user"), activation_key).value();
  }
};

void BM_CoreRecovery(benchmark::State& state) {
  Setup s;
  for (auto _ : state) {
    state.PauseTiming();
    auto start = opaque::ClientStartLogin(AsBytes("pw"), s.rng).value();
    state.ResumeTiming();
    auto ke2 = s.core->RecoverStart(AsBytes("user"), start.ke1, s.rng).value();
    state.PauseTiming();
    auto fin = opaque::ClientFinishLogin(std::move(start.state), ke2.ke2, s.options).value();
    state.ResumeTiming();
    auto result = s.core->RecoverFinish(AsBytes("user"), ke2.login_state, fin.ke3, s.rng).value();
    if (result.outcome != RecoverOutcome::kSuccess) state.SkipWithError("recovery failed");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_CoreRecovery)->Unit(benchmark::kMicrosecond);

void BM_CoreApplyBeginLogin(benchmark::State& state) {
  Setup s;
  const Command guess = BeginLoginCommand{ToBytes("user")};
  const Command reset = FinishLoginCommand{.user_id = ToBytes("user"), .epoch = 1, .serial = 0,
                                           .success = true};
  for (auto _ : state) {
    ApplyResult a = s.core->Apply(guess);
    FinishLoginCommand r = std::get<FinishLoginCommand>(reset);
    r.serial = a.login_serial;
    benchmark::DoNotOptimize(s.core->Apply(r));
  }
}
BENCHMARK(BM_CoreApplyBeginLogin)->Unit(benchmark::kMicrosecond);

}  // namespace
