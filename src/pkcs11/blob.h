// Byte formats the keystore reads back from a token, which it treats as untrusted input (a token's
// storage may have been tampered with or rolled back; an HSM from another vendor may encode
// attributes differently):
//  - the wrapped-secret blob stored in a CKO_DATA object's CKA_VALUE;
//  - CKA_EC_POINT of an Ed25519 public key.
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"

namespace keyward::pkcs11 {

inline constexpr uint8_t kWrappedBlobVersion = 1;
inline constexpr size_t kGcmIvBytes = 12;
inline constexpr size_t kGcmTagBytes = 16;

// A parsed wrapped secret (views into the parsed buffer).
//
// Grammar (Keyward keystore blob v1, docs/keystore.md):
//   struct {
//     uint8 version = 1;
//     opaque iv[12];                 // random, NIST SP 800-38D §8.2.2 (RBG-based IV)
//     opaque ciphertext_and_tag<17..>;  // AES-256-GCM output: ciphertext ‖ 16-byte tag
//   } WrappedBlob;                   // no trailing bytes (the ciphertext runs to the end)
struct WrappedBlobView {
  std::span<const uint8_t> iv;                  // 12 bytes
  std::span<const uint8_t> ciphertext_and_tag;  // ≥ 17 bytes (a secret is ≥ 1 byte)
};

// kInvalidArgument for a wrong version, a short blob or an oversized ciphertext.
StatusOr<WrappedBlobView> ParseWrappedBlob(ByteSpan blob);
Bytes SerializeWrappedBlob(std::span<const uint8_t, kGcmIvBytes> iv, ByteSpan ciphertext_and_tag);

// The GCM associated data for the secret named `name`: "keyward-keystore-v1" ‖ 0x00 ‖ name. Binding
// the name means a blob moved to another name's object fails to unseal.
Bytes WrappedBlobAad(std::string_view name);

// CKA_EC_PARAMS for Ed25519. PKCS#11 3.0 §2.3.10 allows the curve's printable-string name or the
// RFC 8410 OID; SoftHSM2 2.6 accepts both (pkcs11_keystore_test.cc checks each).
//   PrintableString "edwards25519":  13 0c 65 64 77 61 72 64 73 32 35 35 31 39
//   OBJECT IDENTIFIER 1.3.101.112:    06 03 2b 65 70
inline constexpr std::array<uint8_t, 14> kEd25519ParamsPrintable = {
    0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'};
inline constexpr std::array<uint8_t, 5> kEd25519ParamsOid = {0x06, 0x03, 0x2b, 0x65, 0x70};

// The 32-byte RFC 8032 public key from CKA_EC_POINT.
//
// Grammar: PKCS#11 2.40 stores EC points as a DER OCTET STRING (SoftHSM2 does so for Edwards keys
// too); PKCS#11 3.0 §2.3.10 allows the raw 32 bytes. Accepted:
//   04 20 <32 bytes>      (DER OCTET STRING, definite short-form length, X.690 §8.7, §10.1)
//   <32 bytes>            (raw)
// Anything else (long-form lengths, other sizes, trailing bytes) is kInvalidArgument.
StatusOr<crypto::Ed25519PublicKey> ParseEd25519EcPoint(ByteSpan ec_point);

}  // namespace keyward::pkcs11
