#include "crypto/opaque_server_keys.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/hash.h"
#include "crypto/opaque_internal.h"
#include "crypto/oprf.h"

namespace keyward::crypto::opaque {

namespace {

Status Uniform() { return AuthenticationFailed("OPAQUE login failed"); }

// Label for the fake-record key pair when it is derived from the OPRF seed (FromParts). Keyward's
// own label: the RFC leaves the choice to the server (RFC 9807 §10.9).
constexpr std::string_view kFakeKeyLabel = "KeywardFakeClientKey";

}  // namespace

InMemoryServerKeys::InMemoryServerKeys(SecretBytes oprf_seed, ristretto::Scalar sk,
                                       ristretto::ElementBytes fake_pk)
    : oprf_seed_(std::move(oprf_seed)), private_key_(sk),
      public_key_(ristretto::Element::MultiplyBase(sk).bytes()), fake_pk_(fake_pk) {}

std::unique_ptr<InMemoryServerKeys> InMemoryServerKeys::Generate(Rng& rng) {
  SecretBytes seed(kOprfSeedSize);
  rng.Fill(seed.RevealMutable());
  ristretto::Scalar sk = ristretto::Scalar::Random(rng);
  ristretto::Scalar fake_sk = ristretto::Scalar::Random(rng);
  return std::unique_ptr<InMemoryServerKeys>(new InMemoryServerKeys(
      std::move(seed), sk, ristretto::Element::MultiplyBase(fake_sk).bytes()));
}

StatusOr<std::unique_ptr<InMemoryServerKeys>> InMemoryServerKeys::FromParts(
    ByteSpan oprf_seed, ByteSpan server_private_key) {
  if (oprf_seed.size() != kOprfSeedSize) {
    return InvalidArgument("OPAQUE oprf_seed must be 64 bytes, got " + std::to_string(oprf_seed.size()));
  }
  auto sk = ristretto::Scalar::Deserialize(server_private_key);
  if (!sk.ok()) return sk.status().WithContext("OPAQUE server private key");
  if (sk->IsZero()) return InvalidArgument("OPAQUE server private key is zero; generate a new one");
  uint8_t fake_seed[32];
  HkdfSha512Expand(oprf_seed, AsBytes(kFakeKeyLabel), fake_seed);
  auto fake = oprf::DeriveKeyPair(fake_seed, AsBytes("OPAQUE-DeriveDiffieHellmanKeyPair"));
  sodium_memzero(fake_seed, sizeof fake_seed);
  RETURN_IF_ERROR(fake.status());
  return std::unique_ptr<InMemoryServerKeys>(
      new InMemoryServerKeys(SecretBytes(oprf_seed), *sk, fake->public_key.bytes()));
}

// ServerSetup (@serenity-kit/opaque, opaque-ke ServerSetup::serialize):
//   oprf_seed[64] || server_private_key[32] || fake_client_public_key[32]
StatusOr<std::unique_ptr<InMemoryServerKeys>> InMemoryServerKeys::FromServerSetup(ByteSpan setup) {
  if (setup.size() != kServerSetupSize) {
    return InvalidArgument("OPAQUE ServerSetup must be 128 bytes, got " + std::to_string(setup.size()));
  }
  auto keys = FromParts(setup.first(64), setup.subspan(64, 32));
  RETURN_IF_ERROR(keys.status());
  auto fake_pk = ristretto::Element::Deserialize(setup.subspan(96, 32));
  if (!fake_pk.ok()) return fake_pk.status().WithContext("ServerSetup fake client public key");
  (*keys)->fake_pk_ = fake_pk->bytes();
  return std::move(*keys);
}

SecretBytes InMemoryServerKeys::ExportServerSetup() const {
  SecretBytes out(kServerSetupSize);
  auto o = out.RevealMutable();
  std::copy(oprf_seed_.Reveal().begin(), oprf_seed_.Reveal().end(), o.begin());
  std::copy(private_key_.Reveal().begin(), private_key_.Reveal().end(), o.begin() + 64);
  std::copy(fake_pk_.begin(), fake_pk_.end(), o.begin() + 96);
  return out;
}

Status InMemoryServerKeys::EvaluateOprf(ByteSpan credential_identifier, ByteSpan blinded_element,
                                        std::span<uint8_t, 32> out) const {
  if (blinded_element.size() != ristretto::kElementSize ||
      !ristretto::PassesEncodingPrechecks(blinded_element.first<32>())) {
    return Uniform();
  }
  ASSIGN_OR_RETURN(ristretto::Scalar k, internal::DeriveOprfKey(oprf_seed_.Reveal(), credential_identifier));
  // libsodium decodes the point here and rejects non-canonical encodings and identity results.
  if (crypto_scalarmult_ristretto255(out.data(), k.Reveal().data(), blinded_element.data()) != 0) {
    return Uniform();
  }
  return Status::Ok();
}

Status InMemoryServerKeys::StaticDh(ByteSpan point, std::span<uint8_t, 32> out) const {
  if (point.size() != ristretto::kElementSize ||
      !ristretto::PassesEncodingPrechecks(point.first<32>())) {
    return Uniform();
  }
  if (crypto_scalarmult_ristretto255(out.data(), private_key_.Reveal().data(), point.data()) != 0) {
    return Uniform();
  }
  return Status::Ok();
}

}  // namespace keyward::crypto::opaque
