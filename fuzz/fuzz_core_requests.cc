// Fuzzes the vault core's host-facing request handling (what an untrusted node passes through from
// clients): RegisterStart, RegisterUpload (incl. the UploadEnvelope parser), RegisterActivate,
// RecoverStart, RecoverFinish (login_state tokens) and Delete, on a core holding real records.
// Whatever the bytes: no crash, invariants hold, and a call that fails changes nothing.
//
// Input: uint8 call; then fields as u16-length-prefixed byte strings (missing fields are empty).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/check.h"
#include "core/messages.h"
#include "core/protocol_crypto.h"
#include "core/vault_core.h"
#include "crypto/aead.h"
#include "crypto/opaque.h"
#include "crypto/opaque_server_keys.h"
#include "crypto/random.h"
#include "wire/reader.h"

namespace {

using namespace keyward;
using namespace keyward::core;
namespace opaque = crypto::opaque;

struct Fixture {
  std::unique_ptr<opaque::InMemoryServerKeys> keys;
  Bytes snapshot;
  Bytes ke1;  // a valid KE1, so RecoverStart reaches the OPAQUE server
};

crypto::SecretBytes SealingKey() { return crypto::SecretBytes(Bytes(32, 9)); }

// Registers "alice" (active) and "bob" (pending) through the real protocol, once.
const Fixture& GetFixture() {
  static Fixture* f = [] {
    crypto::Init();
    crypto::DeterministicRng rng(5);
    auto* fx = new Fixture;
    fx->keys = opaque::InMemoryServerKeys::Generate(rng);
    auto core = VaultCore::Create(*fx->keys, SealingKey()).value();
    opaque::Options options;
    options.ksf = crypto::KsfConfig::Identity();
    for (const char* user : {"alice", "bob"}) {
      auto start = opaque::ClientStartRegistration(AsBytes("pw"), rng).value();
      auto resp = core->RegisterStart(AsBytes(user), start.request).value();
      auto fin = opaque::ClientFinishRegistration(std::move(start.state), resp.registration_response,
                                                  options, rng).value();
      Bytes activation_key(32, 1);
      const auto commitment = ActivationCommitment(activation_key);
      UploadEnvelope env;
      env.epoch = 1;
      const auto e = crypto::ristretto::Scalar::Random(rng);
      env.ephemeral_public_key = crypto::ristretto::Element::MultiplyBase(e).bytes();
      auto dh = crypto::ristretto::Element::Deserialize(core->fleet_public_key()).value().Multiply(e).value();
      auto km = UploadKeyMaterial(dh.bytes(), env.ephemeral_public_key, core->fleet_public_key());
      env.ciphertext = crypto::AeadSeal(km.Reveal().first(32), km.Reveal().subspan(32, 24),
                                        UploadAssociatedData(AsBytes(user), fin.record, 1, commitment, 3),
                                        AsBytes("secret"));
      UploadRequest up{.user_id = ToBytes(user), .registration_record = fin.record,
                       .encrypted_secret = env.Serialize(),
                       .activation_commitment = Bytes(commitment.begin(), commitment.end()),
                       .max_attempts = 3};
      KW_CHECK(core->RegisterUpload(up, Authority::kNone, rng).ok());
      if (user[0] == 'a') KW_CHECK(core->RegisterActivate(AsBytes(user), activation_key).ok());
    }
    fx->ke1 = opaque::ClientStartLogin(AsBytes("pw"), rng).value().ke1;
    fx->snapshot = core->Snapshot();
    return fx;
  }();
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& fx = GetFixture();
  auto core = VaultCore::Create(*fx.keys, SealingKey()).value();
  KW_CHECK(core->Restore(fx.snapshot).ok());
  crypto::DeterministicRng rng(size);
  wire::Reader r({data, size});
  uint8_t call = 0;
  if (!r.U8(&call)) return 0;
  std::vector<Bytes> f(5);
  for (auto& field : f) {
    std::span<const uint8_t> s;
    if (r.U16Prefixed(&s)) field.assign(s.begin(), s.end());
  }
  const auto before = core->StateDigest();
  bool ok = true;
  switch (call % 7) {
    case 0: ok = core->RegisterStart(f[0], f[1]).ok(); break;
    case 1: {
      UploadRequest up{.user_id = f[0], .registration_record = f[1], .encrypted_secret = f[2],
                       .activation_commitment = f[3],
                       .max_attempts = f[4].empty() ? 0u : f[4][0]};
      ok = core->RegisterUpload(up, (call & 0x80) ? Authority::kAccount : Authority::kNone, rng).ok();
      break;
    }
    case 2: ok = core->RegisterActivate(f[0], f[1]).ok(); break;
    case 3: ok = core->RecoverStart(f[0], f[1], rng).ok(); break;
    case 4: ok = core->RecoverStart(f[0], fx.ke1, rng).ok(); break;
    case 5: ok = core->RecoverFinish(f[0], f[1], f[2], rng).ok(); break;
    default: {
      DeleteRequest d{.user_id = f[0], .login_state = f[1], .proof = f[2]};
      ok = core->Delete(d, (call & 0x80) ? Authority::kAccount : Authority::kNone).ok();
      break;
    }
  }
  core->CheckInvariants();
  if (!ok) KW_CHECK(core->StateDigest() == before);
  (void)UploadEnvelope::Parse({data, size});  // the envelope parser on raw bytes too
  return 0;
}
