// Envelope: the signed wrapper of a validation bundle or a policy update (DSSE v1 envelope,
// github.com/secure-systems-lab/dsse, plus Keyward countersignatures; DESIGN.md §5, docs/formats.md).
//
//   {"payloadType":"application/vnd.keyward.fleets+json",
//    "payload":"<standard base64>",
//    "signatures":[{"keyid":"org-a.example+1a2b3c4d","sig":"<base64 64 bytes>"},
//                  {"keyid":"org-b.example+5e6f7a8b","sig":"...","countersigns":"org-a.example+1a2b3c4d"}]}
//
// Key ids: the C2SP signed-note identity of the signing key, `<key name>+<8 lowercase hex key ID>`
// (the first two fields of its vkey), so two keys of one name never collide during rotation.
// A plain signature signs DSSE PAE(payloadType, payload). A countersignature (`countersigns` set)
// signs PAE("application/vnd.keyward.countersignature.v1", SHA-256(payload) ‖ the 64 bytes of the
// countersigned signature).
//
// Parsing is strict: a JSON object with exactly these keys (no unknown or duplicate keys at any
// level), canonical standard base64, `sig` exactly 64 bytes, 0..kMaxEnvelopeSignatures signatures
// (0 for an envelope that is still being signed; verification needs the quorum), the whole input at most kMaxEnvelopeBytes, nothing
// after the JSON value (whitespace included: SerializeEnvelope emits none). SerializeEnvelope is the
// canonical form: ParseEnvelope(SerializeEnvelope(e)) == e and, for canonical input,
// SerializeEnvelope(ParseEnvelope(b)) == b.
//
// The log leaf and the bytes delivered to clients are the serialized envelope exactly; verifiers
// keep the bytes they were given (never re-serialize before hashing).
//
// Thread-safety: value types and pure functions. A Signer is used from one thread at a time unless
// its implementation says otherwise.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"

namespace keyward::trust {

inline constexpr std::string_view kFleetsPayloadType = "application/vnd.keyward.fleets+json";
inline constexpr std::string_view kPolicyPayloadType = "application/vnd.keyward.policy+json";
inline constexpr std::string_view kCountersignaturePayloadType =
    "application/vnd.keyward.countersignature.v1";

inline constexpr size_t kMaxEnvelopeBytes = 1 << 20;     // whole envelope JSON
inline constexpr size_t kMaxPayloadBytes = 512 * 1024;   // decoded payload
inline constexpr size_t kMaxEnvelopeSignatures = 16;
inline constexpr size_t kMaxKeyIdLength = 256;
inline constexpr size_t kMaxPayloadTypeLength = 128;

struct Signature {
  std::string keyid;                        // "<key name>+<hex8>"
  Bytes sig;                                // 64 bytes (Ed25519)
  std::optional<std::string> countersigns;  // keyid of the countersigned signature
  bool operator==(const Signature&) const = default;
};

struct Envelope {
  std::string payload_type;
  Bytes payload;  // decoded
  std::vector<Signature> signatures;
  bool operator==(const Envelope&) const = default;
};

// Strict parse (see above). Errors are InvalidArgument (malformed) or ResourceExhausted (a size
// limit), naming the offending field.
StatusOr<Envelope> ParseEnvelope(ByteSpan json);
// Canonical compact JSON, keys in the order payloadType, payload, signatures / keyid, sig,
// countersigns. REQUIRES a structurally valid envelope (sizes within the limits).
std::string SerializeEnvelope(const Envelope& envelope);

// DSSE v1 pre-authentication encoding:
// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN = ASCII decimal byte count.
Bytes Pae(std::string_view payload_type, ByteSpan body);

// The message `sig` signs in `envelope`: PAE(payloadType, payload) for a plain signature; for a
// countersignature PAE(countersignature type, SHA-256(payload) ‖ covered.sig) where `covered` is
// the envelope's signature whose keyid equals sig.countersigns and which is itself plain.
// NotFound if the covered signature is absent (or is itself a countersignature).
StatusOr<Bytes> SignedMessage(const Envelope& envelope, const Signature& sig);
// The countersignature message over an explicit covered signature (64 bytes).
Bytes CountersignatureMessage(ByteSpan payload, ByteSpan covered_sig);

// The keyid string `<name>+<hex8>` of an Ed25519 note key (type 0x01) with this name and key.
std::string KeyIdFor(std::string_view key_name, const crypto::Ed25519PublicKey& public_key);

// Something that signs envelopes with one Ed25519 key: a key file (FileSigner), a PKCS#11 token
// (added by the delivery work), or a test key.
class Signer {
 public:
  virtual ~Signer() = default;
  // "<key name>+<hex8>", the keyid written into the envelope.
  virtual std::string keyid() const = 0;
  // The vkey string `<name>+<hex8>+<base64(0x01 ‖ key)>` to put in a trust policy `signer` line.
  virtual std::string verifier_key() const = 0;
  // Ed25519 signature over `message` (64 bytes).
  virtual StatusOr<Bytes> Sign(ByteSpan message) = 0;
};

// A Signer over any crypto::Ed25519Signer (memory or PKCS#11) with a C2SP key name.
class Ed25519EnvelopeSigner : public Signer {
 public:
  // InvalidArgument unless tlog::IsValidKeyName(name).
  static StatusOr<std::unique_ptr<Ed25519EnvelopeSigner>> Create(
      std::string name, std::shared_ptr<const crypto::Ed25519Signer> key);
  std::string keyid() const override { return keyid_; }
  std::string verifier_key() const override { return vkey_; }
  StatusOr<Bytes> Sign(ByteSpan message) override;

 private:
  Ed25519EnvelopeSigner(std::string keyid, std::string vkey,
                        std::shared_ptr<const crypto::Ed25519Signer> key)
      : keyid_(std::move(keyid)), vkey_(std::move(vkey)), key_(std::move(key)) {}
  std::string keyid_;
  std::string vkey_;
  std::shared_ptr<const crypto::Ed25519Signer> key_;
};

// Loads a key file as written by `keyward keygen` (one Go signer-key string
// `PRIVATE+KEY+<name>+<hex8>+<base64(0x01 ‖ seed)>` and a newline). Errors name the path.
StatusOr<std::unique_ptr<Signer>> LoadFileSigner(const std::string& path);
// From the signer-key string itself (tests, tools).
StatusOr<std::unique_ptr<Signer>> SignerFromKeyString(std::string_view signer_key);

// Appends a plain signature by `signer`. FailedPrecondition if that keyid already signed plainly.
Status AddSignature(Envelope& envelope, Signer& signer);
// Appends a countersignature by `signer` over the plain signature of `over_keyid`. NotFound if the
// envelope has no plain signature by `over_keyid`; FailedPrecondition if `signer` already
// countersigned it.
Status AddCountersignature(Envelope& envelope, Signer& signer, std::string_view over_keyid);

}  // namespace keyward::trust
