// Internal OPAQUE entry points that also report the RFC 9807 intermediate values, for the RFC
// vector tests only. Production code uses opaque.h, which calls these with trace == nullptr.
// Nothing here widens what an attacker can observe: the trace is filled only when asked for.
//
// Thread-safety: as opaque.h.
#pragma once

#include <optional>

#include "crypto/opaque.h"

namespace keyward::crypto::opaque::internal {

// The RFC 9807 Appendix C "intermediates", as far as one side computes them.
struct Trace {
  Bytes randomized_password;  // client
  Bytes envelope;             // client registration
  Bytes masking_key;          // client
  Bytes auth_key;             // client
  Bytes client_public_key;    // client
  Bytes handshake_secret;     // both sides of login
  Bytes server_mac_key;       // both sides of login
  Bytes client_mac_key;       // both sides of login
};

// k = DeriveKeyPair(HKDF-Expand(oprf_seed, credential_identifier || "OprfKey", Nok),
//                   "OPAQUE-DeriveKeyPair").sk   (RFC 9807 §5.2.2 / §4.3 CreateCredentialResponse)
StatusOr<ristretto::Scalar> DeriveOprfKey(ByteSpan oprf_seed, ByteSpan credential_identifier);

StatusOr<ClientRegistrationFinishResult> ClientFinishRegistration(ClientRegistrationState state,
                                                                  ByteSpan response,
                                                                  const Options& options, Rng& rng,
                                                                  Trace* trace);
StatusOr<ClientLoginFinishResult> ClientFinishLogin(ClientLoginState state, ByteSpan ke2,
                                                    const Options& options, Trace* trace);
StatusOr<ServerLoginStartResult> ServerStartLogin(const ServerKeys& keys, const Options& options,
                                                  ByteSpan credential_identifier,
                                                  std::optional<ByteSpan> record, ByteSpan ke1,
                                                  Rng& rng, Trace* trace);

// A client login state from its parts (blind, ephemeral secret, KE1 as sent), e.g. from
// @serenity-kit/opaque's recorded clientLoginState, whose ephemeral key does not come from a seed
// that could be injected through an Rng. For the interop transcript replay (tests/interop) only.
StatusOr<ClientLoginState> MakeClientLoginState(ByteSpan password, ByteSpan blind,
                                                ByteSpan client_secret, ByteSpan ke1);

}  // namespace keyward::crypto::opaque::internal
