#include "trust/envelope.h"

#include <algorithm>

#include "crypto/hash.h"
#include "tlog/note.h"
#include "trust/json_util.h"

namespace keyward::trust {
namespace {

using internal::Json;

std::string Hex8(uint32_t v) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s(8, '0');
  for (int i = 7; i >= 0; --i, v >>= 4) s[i] = kDigits[v & 0xF];
  return s;
}

// keyid = <key name> "+" <8 lowercase hex>; the name a valid C2SP key name.
Status ValidateKeyId(std::string_view keyid, std::string_view what) {
  std::string w(what);
  size_t plus = keyid.rfind('+');
  if (keyid.empty() || keyid.size() > kMaxKeyIdLength || plus == std::string_view::npos ||
      !tlog::IsValidKeyName(keyid.substr(0, plus)) || keyid.size() - plus - 1 != 8 ||
      keyid.find_first_of("\"\\") != std::string_view::npos ||
      !std::all_of(keyid.begin() + plus + 1, keyid.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    return InvalidArgument(w + " must be a key id \"<key name>+<8 lowercase hex digits>\" (no quote or backslash) of at most " +
                           std::to_string(kMaxKeyIdLength) + " bytes");
  }
  return Status::Ok();
}

Status ValidatePayloadType(std::string_view t) {
  bool ok = !t.empty() && t.size() <= kMaxPayloadTypeLength &&
            std::all_of(t.begin(), t.end(), [](char c) { return c > 0x20 && c < 0x7F && c != '"' && c != '\\'; });
  if (!ok) {
    return InvalidArgument("envelope.payloadType must be 1.." + std::to_string(kMaxPayloadTypeLength) +
                           " printable ASCII characters (a media type)");
  }
  return Status::Ok();
}

Status ValidateEnvelope(const Envelope& e) {
  RETURN_IF_ERROR(ValidatePayloadType(e.payload_type));
  if (e.payload.size() > kMaxPayloadBytes) {
    return ResourceExhausted("envelope payload is larger than " + std::to_string(kMaxPayloadBytes) +
                             " bytes");
  }
  if (e.signatures.size() > kMaxEnvelopeSignatures) {
    return ResourceExhausted("envelope has more than " + std::to_string(kMaxEnvelopeSignatures) +
                             " signatures");
  }
  for (size_t i = 0; i < e.signatures.size(); ++i) {
    const Signature& s = e.signatures[i];
    std::string w = "envelope.signatures[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(ValidateKeyId(s.keyid, w + ".keyid"));
    if (s.sig.size() != 64) return InvalidArgument(w + ".sig must be 64 bytes (Ed25519)");
    if (s.countersigns) {
      RETURN_IF_ERROR(ValidateKeyId(*s.countersigns, w + ".countersigns"));
      if (*s.countersigns == s.keyid) {
        return InvalidArgument(w + " countersigns its own key's signature");
      }
    }
  }
  return Status::Ok();
}

Json ToJson(const Envelope& e) {
  Json j = Json::object();
  j["payloadType"] = e.payload_type;
  j["payload"] = internal::Base64EncodeFast(e.payload);
  Json sigs = Json::array();
  for (const Signature& s : e.signatures) {
    Json o = Json::object();
    o["keyid"] = s.keyid;
    o["sig"] = internal::Base64EncodeFast(s.sig);
    if (s.countersigns) o["countersigns"] = *s.countersigns;
    sigs.push_back(std::move(o));
  }
  j["signatures"] = std::move(sigs);
  return j;
}

}  // namespace

// DSSE envelope (github.com/secure-systems-lab/dsse envelope.md), Keyward profile:
//   envelope  = {"payloadType": STRING, "payload": BASE64, "signatures": [sig, ...]}
//   sig       = {"keyid": KEYID, "sig": BASE64(64 bytes) [, "countersigns": KEYID]}
// in exactly this canonical compact form (the bytes are the log leaf).
StatusOr<Envelope> ParseEnvelope(ByteSpan json) {
  ASSIGN_OR_RETURN(Json j, internal::ParseStrictObject(json, kMaxEnvelopeBytes, "envelope",
                                                       /*compact_unescaped=*/true));
  RETURN_IF_ERROR(internal::ExpectKeys(j, {"payloadType", "payload", "signatures"}, {}, "envelope"));
  RETURN_IF_ERROR(internal::ExpectKeyOrder(j, {"payloadType", "payload", "signatures"}, "envelope"));
  Envelope e;
  ASSIGN_OR_RETURN(e.payload_type,
                   internal::GetString(j, "payloadType", "envelope", kMaxPayloadTypeLength));
  ASSIGN_OR_RETURN(e.payload, internal::GetBase64(j, "payload", "envelope", kMaxPayloadBytes));
  ASSIGN_OR_RETURN(const Json* sigs,
                   internal::GetArray(j, "signatures", "envelope", kMaxEnvelopeSignatures));
  for (size_t i = 0; i < sigs->size(); ++i) {
    const Json& o = (*sigs)[i];
    std::string w = "envelope.signatures[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(internal::ExpectKeys(o, {"keyid", "sig"}, {"countersigns"}, w));
    RETURN_IF_ERROR(internal::ExpectKeyOrder(o, {"keyid", "sig", "countersigns"}, w));
    Signature s;
    ASSIGN_OR_RETURN(s.keyid, internal::GetString(o, "keyid", w, kMaxKeyIdLength));
    ASSIGN_OR_RETURN(s.sig, internal::GetBase64(o, "sig", w, 64));
    if (o.contains("countersigns")) {
      ASSIGN_OR_RETURN(s.countersigns, internal::GetString(o, "countersigns", w, kMaxKeyIdLength));
    }
    e.signatures.push_back(std::move(s));
  }
  RETURN_IF_ERROR(ValidateEnvelope(e));
  // Canonical form: compact, unescaped (checked by the scan), keys in order, exact types, canonical
  // base64: SerializeEnvelope(e) reproduces the input exactly (the fuzz target checks this).
  return e;
}

std::string SerializeEnvelope(const Envelope& envelope) {
  KW_CHECK(ValidateEnvelope(envelope).ok());
  return internal::Dump(ToJson(envelope));
}

Bytes Pae(std::string_view payload_type, ByteSpan body) {
  std::string head = "DSSEv1 " + std::to_string(payload_type.size()) + " " +
                     std::string(payload_type) + " " + std::to_string(body.size()) + " ";
  Bytes out;
  out.reserve(head.size() + body.size());
  out.insert(out.end(), head.begin(), head.end());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes CountersignatureMessage(ByteSpan payload, ByteSpan covered_sig) {
  crypto::Sha256Digest h = crypto::Sha256(payload);
  return Pae(kCountersignaturePayloadType, Concat({h, covered_sig}));
}

StatusOr<Bytes> SignedMessage(const Envelope& envelope, const Signature& sig) {
  if (!sig.countersigns) return Pae(envelope.payload_type, envelope.payload);
  for (const Signature& s : envelope.signatures) {
    if (!s.countersigns && s.keyid == *sig.countersigns) {
      return CountersignatureMessage(envelope.payload, s.sig);
    }
  }
  return NotFound("the countersignature by " + sig.keyid + " covers " + *sig.countersigns +
                  ", which has no plain signature in the envelope");
}

std::string KeyIdFor(std::string_view key_name, const crypto::Ed25519PublicKey& public_key) {
  return std::string(key_name) + "+" +
         Hex8(tlog::NoteKeyId(key_name, tlog::kSigTypeEd25519, public_key));
}

StatusOr<std::unique_ptr<Ed25519EnvelopeSigner>> Ed25519EnvelopeSigner::Create(
    std::string name, std::shared_ptr<const crypto::Ed25519Signer> key) {
  if (!tlog::IsValidKeyName(name)) {
    return InvalidArgument("signing key name \"" + name.substr(0, 64) +
                           "\" is not a valid C2SP key name (non-empty, no '+' or whitespace)");
  }
  if (!key) return InvalidArgument("no signing key");
  std::string keyid = KeyIdFor(name, key->public_key());
  std::string vkey = tlog::Ed25519VerifierKeyString(name, tlog::kSigTypeEd25519, key->public_key());
  return std::unique_ptr<Ed25519EnvelopeSigner>(
      new Ed25519EnvelopeSigner(std::move(keyid), std::move(vkey), std::move(key)));
}

StatusOr<Bytes> Ed25519EnvelopeSigner::Sign(ByteSpan message) {
  ASSIGN_OR_RETURN(crypto::Ed25519Signature sig, key_->Sign(message));
  return Bytes(sig.begin(), sig.end());
}

StatusOr<std::unique_ptr<Signer>> SignerFromKeyString(std::string_view signer_key) {
  ASSIGN_OR_RETURN(tlog::ParsedSignerKey k, tlog::ParseSignerKey(signer_key));
  ASSIGN_OR_RETURN(std::unique_ptr<Ed25519EnvelopeSigner> s,
                   Ed25519EnvelopeSigner::Create(std::move(k.name), std::move(k.key)));
  return std::unique_ptr<Signer>(std::move(s));
}

StatusOr<std::unique_ptr<Signer>> LoadFileSigner(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, internal::ReadFileLimited(path, 4096, "signing key file"));
  std::string_view v = text;
  if (!v.empty() && v.back() == '\n') v.remove_suffix(1);
  StatusOr<std::unique_ptr<Signer>> s = SignerFromKeyString(v);
  // Never echo key material: the parse error messages of tlog do not include the key.
  if (!s.ok()) return s.status().WithContext("signing key file " + path);
  return s;
}

Status AddSignature(Envelope& envelope, Signer& signer) {
  std::string keyid = signer.keyid();
  for (const Signature& s : envelope.signatures) {
    if (!s.countersigns && s.keyid == keyid) {
      return FailedPrecondition(keyid + " already signed this envelope");
    }
  }
  if (envelope.signatures.size() >= kMaxEnvelopeSignatures) {
    return ResourceExhausted("envelope already has the maximum number of signatures");
  }
  ASSIGN_OR_RETURN(Bytes sig, signer.Sign(Pae(envelope.payload_type, envelope.payload)));
  envelope.signatures.push_back({std::move(keyid), std::move(sig), std::nullopt});
  return Status::Ok();
}

Status AddCountersignature(Envelope& envelope, Signer& signer, std::string_view over_keyid) {
  std::string keyid = signer.keyid();
  if (keyid == over_keyid) return InvalidArgument("a key cannot countersign its own signature");
  const Signature* covered = nullptr;
  for (const Signature& s : envelope.signatures) {
    if (!s.countersigns && s.keyid == over_keyid) covered = &s;
    if (s.countersigns && *s.countersigns == over_keyid && s.keyid == keyid) {
      return FailedPrecondition(keyid + " already countersigned " + std::string(over_keyid));
    }
  }
  if (!covered) {
    return NotFound("the envelope has no plain signature by " + std::string(over_keyid) +
                    "; have that key sign first");
  }
  if (envelope.signatures.size() >= kMaxEnvelopeSignatures) {
    return ResourceExhausted("envelope already has the maximum number of signatures");
  }
  ASSIGN_OR_RETURN(Bytes sig, signer.Sign(CountersignatureMessage(envelope.payload, covered->sig)));
  envelope.signatures.push_back({std::move(keyid), std::move(sig), std::string(over_keyid)});
  return Status::Ok();
}

}  // namespace keyward::trust
