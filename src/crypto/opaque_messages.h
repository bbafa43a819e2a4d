// RFC 9807 OPAQUE-3DH wire messages for ristretto255-SHA512, as typed values with strict parsers.
//
// Every Parse takes untrusted bytes and succeeds only for exactly the RFC length with every group
// element valid (canonical, not the identity: RFC 9497 §2.1) and no trailing bytes. Serialize is
// the exact inverse: Parse(Serialize(m)) == m. Sizes (ristretto255): RegistrationRequest 32,
// RegistrationResponse 64, RegistrationRecord 192, KE1 96, KE2 320, KE3 64.
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ristretto.h"

namespace keyward::crypto::opaque {

using ristretto::Element;

inline constexpr size_t kNonceSize = 32;     // Nn
inline constexpr size_t kMacSize = 64;       // Nm
inline constexpr size_t kHashSize = 64;      // Nh
inline constexpr size_t kSeedSize = 32;      // Nseed
inline constexpr size_t kPublicKeySize = 32; // Npk
inline constexpr size_t kEnvelopeSize = kNonceSize + kMacSize;                   // 96
inline constexpr size_t kMaskedResponseSize = kPublicKeySize + kEnvelopeSize;    // 128

inline constexpr size_t kRegistrationRequestSize = 32;
inline constexpr size_t kRegistrationResponseSize = 64;
inline constexpr size_t kRegistrationRecordSize = 192;
inline constexpr size_t kKe1Size = 96;
inline constexpr size_t kKe2Size = 320;
inline constexpr size_t kKe3Size = 64;

using Nonce = std::array<uint8_t, kNonceSize>;
using Mac = std::array<uint8_t, kMacSize>;

// RFC 9807 §3.3.1.1 struct { uint8 blinded_message[Noe]; } RegistrationRequest;
struct RegistrationRequest {
  Element blinded_message;
  static StatusOr<RegistrationRequest> Parse(ByteSpan bytes);
  Bytes Serialize() const;
  bool operator==(const RegistrationRequest&) const = default;
};

// RFC 9807 §3.3.1.2 struct { uint8 evaluated_message[Noe]; uint8 server_public_key[Npk]; }
struct RegistrationResponse {
  Element evaluated_message;
  Element server_public_key;
  static StatusOr<RegistrationResponse> Parse(ByteSpan bytes);
  Bytes Serialize() const;
  bool operator==(const RegistrationResponse&) const = default;
};

// RFC 9807 §2.2.1 struct { uint8 envelope_nonce[Nn]; uint8 auth_tag[Nm]; } Envelope;
struct Envelope {
  Nonce nonce{};
  Mac auth_tag{};
  bool operator==(const Envelope&) const = default;
};

// RFC 9807 §3.3.1.3 struct { uint8 client_public_key[Npk]; uint8 masking_key[Nh];
//   Envelope envelope; } RegistrationRecord;
// The masking key is not password-equivalent but must stay server-side (it unmasks KE2).
struct RegistrationRecord {
  Element client_public_key;
  std::array<uint8_t, kHashSize> masking_key{};
  Envelope envelope;
  static StatusOr<RegistrationRecord> Parse(ByteSpan bytes);
  Bytes Serialize() const;
  bool operator==(const RegistrationRecord&) const = default;
};

// RFC 9807 §4.1 struct { CredentialRequest (blinded_message[Noe]); AuthRequest (client_nonce[Nn],
//   client_public_keyshare[Npk]); } KE1;
struct Ke1 {
  Element blinded_message;
  Nonce client_nonce{};
  Element client_public_keyshare;
  static StatusOr<Ke1> Parse(ByteSpan bytes);
  Bytes Serialize() const;
  bool operator==(const Ke1&) const = default;
};

// RFC 9807 §4.1 struct { CredentialResponse (evaluated_message[Noe], masking_nonce[Nn],
//   masked_response[Npk + Nn + Nm]); AuthResponse (server_nonce[Nn],
//   server_public_keyshare[Npk], server_mac[Nm]); } KE2;
struct Ke2 {
  Element evaluated_message;
  Nonce masking_nonce{};
  std::array<uint8_t, kMaskedResponseSize> masked_response{};
  Nonce server_nonce{};
  Element server_public_keyshare;
  Mac server_mac{};
  static StatusOr<Ke2> Parse(ByteSpan bytes);
  Bytes Serialize() const;
  bool operator==(const Ke2&) const = default;
};

// RFC 9807 §4.1 struct { uint8 client_mac[Nm]; } KE3;
struct Ke3 {
  Mac client_mac{};
  static StatusOr<Ke3> Parse(ByteSpan bytes);
  Bytes Serialize() const;
  bool operator==(const Ke3&) const = default;
};

}  // namespace keyward::crypto::opaque
