// ServerKeys: the handle through which OPAQUE's server-side secrets are used.
//
// The fleet's long-term OPAQUE secrets are the OPRF seed (64 bytes) and the server's static
// private key (a ristretto255 scalar). Protocol code never sees them: it asks the handle for the
// public key, for an OPRF evaluation under a user's derived key, and for the static DH sk_S·P. An
// implementation may keep the secrets in memory (InMemoryServerKeys, below) or in a PKCS#11 token
// (src/pkcs11), so the interface stays small and side-effect free.
//
// Thread-safety: implementations must allow concurrent const calls from many threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/random.h"
#include "crypto/ristretto.h"
#include "crypto/secret.h"

namespace keyward::crypto::opaque {

inline constexpr size_t kOprfSeedSize = 64;     // Nh
inline constexpr size_t kServerSetupSize = 128; // oprf_seed(64) || server_sk(32) || dummy_pk(32)

class ServerKeys {
 public:
  virtual ~ServerKeys() = default;

  // pk_S = sk_S · B, sent in RegistrationResponse and masked into KE2.
  virtual const ristretto::ElementBytes& public_key() const = 0;

  // The fake record's client public key for unknown users (RFC 9807 §10.9); serenity's dummy_pk.
  virtual const ristretto::ElementBytes& fake_client_public_key() const = 0;

  // out = k_cid · blinded_element, where k_cid = DeriveKeyPair(HKDF-Expand(oprf_seed,
  // credential_identifier || "OprfKey", 32), "OPAQUE-DeriveKeyPair") (RFC 9807 §3.3.2 / §5.1.3).
  // `blinded_element` is untrusted wire bytes; it is rejected (uniform error) if it is not a
  // canonical non-identity encoding.
  virtual Status EvaluateOprf(ByteSpan credential_identifier, ByteSpan blinded_element,
                              std::span<uint8_t, 32> out) const = 0;

  // out = sk_S · point (3DH's dh2 on the server). `point` is untrusted wire bytes or a stored
  // record field; rejected (uniform error) if not canonical or if the product is the identity.
  virtual Status StaticDh(ByteSpan point, std::span<uint8_t, 32> out) const = 0;
};

// Secrets held in process memory (wiped on destruction). Suitable for tests, the simulator and
// deployments without an HSM.
class InMemoryServerKeys final : public ServerKeys {
 public:
  // Fresh random oprf_seed, server key pair and fake-record key pair (serenity createSetup).
  static std::unique_ptr<InMemoryServerKeys> Generate(Rng& rng);
  // From an oprf_seed (64 bytes) and a server private key (32 bytes, canonical, non-zero). The fake
  // client public key is derived from the seed (so it is stable for a given fleet).
  static StatusOr<std::unique_ptr<InMemoryServerKeys>> FromParts(ByteSpan oprf_seed,
                                                                 ByteSpan server_private_key);
  // @serenity-kit/opaque ServerSetup: oprf_seed(64) || server_sk(32) || dummy_pk(32).
  static StatusOr<std::unique_ptr<InMemoryServerKeys>> FromServerSetup(ByteSpan setup);
  SecretBytes ExportServerSetup() const;

  const ristretto::ElementBytes& public_key() const override { return public_key_; }
  const ristretto::ElementBytes& fake_client_public_key() const override { return fake_pk_; }
  Status EvaluateOprf(ByteSpan credential_identifier, ByteSpan blinded_element,
                      std::span<uint8_t, 32> out) const override;
  Status StaticDh(ByteSpan point, std::span<uint8_t, 32> out) const override;

 private:
  InMemoryServerKeys(SecretBytes oprf_seed, ristretto::Scalar sk, ristretto::ElementBytes fake_pk);
  SecretBytes oprf_seed_;
  ristretto::Scalar private_key_;
  ristretto::ElementBytes public_key_;
  ristretto::ElementBytes fake_pk_;
};

}  // namespace keyward::crypto::opaque
