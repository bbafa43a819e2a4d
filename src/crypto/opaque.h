// RFC 9807 OPAQUE-3DH with ristretto255-SHA512 (OPRF ristretto255-SHA512, HKDF-SHA512,
// HMAC-SHA512, SHA-512): client and server sides of registration and login.
//
// Wire messages are the RFC encodings (opaque_messages.h), so any RFC 9807 implementation with the
// same Options (e.g. opaque-ke via @serenity-kit/opaque, which uses an empty context and default
// identities) interoperates. Server secrets are reached only through a ServerKeys handle
// (opaque_server_keys.h).
//
// Errors: every authentication failure (client: bad KE2 / wrong password / wrong server; server:
// bad KE3) is ONE uniform kAuthenticationFailed status, "OPAQUE login failed". Malformed input
// given by the local caller (e.g. an over-long identity) is kInvalidArgument.
//
// Ownership: states own their secrets (SecretBytes / Scalar, wiped on destruction) and are consumed
// by the finish calls. Thread-safety: all functions are pure given their inputs (randomness comes
// through crypto::Rng) and may run concurrently; a state object must not be shared between threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ksf.h"
#include "crypto/opaque_messages.h"
#include "crypto/opaque_server_keys.h"
#include "crypto/random.h"
#include "crypto/ristretto.h"
#include "crypto/secret.h"

namespace keyward::crypto::opaque {

inline constexpr size_t kSessionKeySize = 64;
inline constexpr size_t kExportKeySize = 64;

// What both sides must agree on (RFC 9807 §6.1 and §4). identities default to the public keys
// when unset (RFC 9807 §4.1.2). Each of context / identities is at most 65535 bytes.
struct Options {
  Bytes context;                        // serenity/opaque-ke: empty; RFC vectors: "OPAQUE-POC"
  std::optional<Bytes> client_identity; // default: client_public_key
  std::optional<Bytes> server_identity; // default: server_public_key
  KsfConfig ksf = KsfConfig::Default(); // client only; the server never runs the KSF
};

// ---------------------------------------------------------------- client: registration

class ClientRegistrationState {
 public:
  ClientRegistrationState(ClientRegistrationState&&) = default;
  ClientRegistrationState& operator=(ClientRegistrationState&&) = default;

 private:
  friend struct ClientAccess;
  ClientRegistrationState(SecretBytes password, ristretto::Scalar blind)
      : password_(std::move(password)), blind_(blind) {}
  SecretBytes password_;
  ristretto::Scalar blind_;
};

struct ClientRegistrationStartResult {
  Bytes request;  // RegistrationRequest, 32 bytes
  ClientRegistrationState state;
};
// RFC 9807 §5.2.1 CreateRegistrationRequest. Consumes a 32-byte blind draw from `rng`.
StatusOr<ClientRegistrationStartResult> ClientStartRegistration(ByteSpan password, Rng& rng);

struct ClientRegistrationFinishResult {
  Bytes record;                         // RegistrationRecord, 192 bytes (upload to the server)
  SecretBytes export_key;               // 64 bytes
  ristretto::ElementBytes server_public_key;  // check it against the fleet key you trust
};
// RFC 9807 §5.2.3 FinalizeRegistrationRequest (runs the KSF). Consumes the 32-byte envelope nonce
// from `rng`.
StatusOr<ClientRegistrationFinishResult> ClientFinishRegistration(ClientRegistrationState state,
                                                                  ByteSpan response,
                                                                  const Options& options, Rng& rng);

// ---------------------------------------------------------------- client: login

class ClientLoginState {
 public:
  ClientLoginState(ClientLoginState&&) = default;
  ClientLoginState& operator=(ClientLoginState&&) = default;

 private:
  friend struct ClientAccess;
  ClientLoginState(SecretBytes password, ristretto::Scalar blind, ristretto::Scalar client_secret,
                   Bytes ke1)
      : password_(std::move(password)), blind_(blind), client_secret_(client_secret),
        ke1_(std::move(ke1)) {}
  SecretBytes password_;
  ristretto::Scalar blind_;
  ristretto::Scalar client_secret_;  // ephemeral keyshare private key
  Bytes ke1_;
};

struct ClientLoginStartResult {
  Bytes ke1;  // 96 bytes
  ClientLoginState state;
};
// RFC 9807 §6.4.1 GenerateKE1. Draws, in order: blind (32 bytes per try), client_nonce (32),
// client_keyshare_seed (32).
StatusOr<ClientLoginStartResult> ClientStartLogin(ByteSpan password, Rng& rng);

struct ClientLoginFinishResult {
  Bytes ke3;  // 64 bytes, send to the server
  SecretBytes session_key;  // 64 bytes
  SecretBytes export_key;   // 64 bytes
  ristretto::ElementBytes server_public_key;  // check it against the fleet key you trust
};
// RFC 9807 §6.4.3 GenerateKE3 (runs the KSF). Any failure (malformed KE2, wrong password, wrong
// server, bad server MAC) returns the single uniform error.
StatusOr<ClientLoginFinishResult> ClientFinishLogin(ClientLoginState state, ByteSpan ke2,
                                                    const Options& options);

// ---------------------------------------------------------------- server

// RFC 9807 §5.2.2 CreateRegistrationResponse. `request` is untrusted; the result is 64 bytes.
StatusOr<Bytes> ServerRegistrationResponse(const ServerKeys& keys, ByteSpan credential_identifier,
                                           ByteSpan request);

// What the server keeps between KE2 and KE3: expected client MAC and session key (128 bytes).
class ServerLoginState {
 public:
  ServerLoginState(ServerLoginState&&) = default;
  ServerLoginState& operator=(ServerLoginState&&) = default;
  // expected_client_mac(64) || session_key(64), e.g. to park it in sealed storage. Secret.
  SecretBytes Export() const;
  static StatusOr<ServerLoginState> Import(ByteSpan exported);

 private:
  friend struct ServerAccess;
  explicit ServerLoginState(SecretBytes data) : data_(std::move(data)) {}
  SecretBytes data_;  // expected_client_mac || session_key
};

struct ServerLoginStartResult {
  Bytes ke2;  // 320 bytes
  ServerLoginState state;
};
// RFC 9807 §6.4.2 GenerateKE2. `record` is the stored RegistrationRecord, or nullopt for an
// unknown (or not yet active) user: then a fake record (keys.fake_client_public_key(), a random
// masking key, a zero envelope; RFC 9807 §10.9) goes through the very same code path, and the
// client can only fail at finish. Draws from `rng`, in order: [fake masking key (64), only when
// record is nullopt], masking_nonce (32), server_nonce (32), server_keyshare_seed (32).
// Errors: malformed KE1 or record -> uniform kAuthenticationFailed.
StatusOr<ServerLoginStartResult> ServerStartLogin(const ServerKeys& keys, const Options& options,
                                                  ByteSpan credential_identifier,
                                                  std::optional<ByteSpan> record, ByteSpan ke1,
                                                  Rng& rng);

// RFC 9807 §6.4.4 ServerFinish: constant-time check of the client MAC. Returns the 64-byte session
// key, or the uniform error.
StatusOr<SecretBytes> ServerFinishLogin(ServerLoginState state, ByteSpan ke3);

}  // namespace keyward::crypto::opaque
