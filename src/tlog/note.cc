#include "tlog/note.h"

#include <sodium.h>

#include <map>
#include <set>

#include "crypto/hash.h"
#include "tlog/text.h"

namespace keyward::tlog {
namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, U+0020
constexpr std::string_view kPrivateKeyPrefix = "PRIVATE+KEY+";

std::string Hex8(uint32_t v) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s(8, '0');
  for (int i = 7; i >= 0; --i, v >>= 4) s[i] = kDigits[v & 0xF];
  return s;
}

// Exactly 8 lowercase hex digits (signed-note: "lowercase Base 16 ... zero-padded").
bool ParseHex8(std::string_view s, uint32_t* out) {
  if (s.size() != 8) return false;
  uint32_t v = 0;
  for (char c : s) {
    uint32_t d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = (v << 4) | d;
  }
  *out = v;
  return true;
}

// Splits at the first `sep`; the tail is empty when there is none.
std::pair<std::string_view, std::string_view> Chop(std::string_view s, char sep) {
  size_t i = s.find(sep);
  if (i == std::string_view::npos) return {s, {}};
  return {s.substr(0, i), s.substr(i + 1)};
}

Bytes TypedKey(uint8_t type, ByteSpan key) {
  Bytes out;
  out.reserve(key.size() + 1);
  out.push_back(type);
  out.insert(out.end(), key.begin(), key.end());
  return out;
}

}  // namespace

uint32_t NoteKeyId(std::string_view name, uint8_t sig_type, ByteSpan public_key) {
  const uint8_t sep_type[2] = {0x0A, sig_type};
  auto d = crypto::Sha256({AsBytes(name), ByteSpan(sep_type), public_key});
  return (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | d[3];
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  size_t i = 0;
  while (i < name.size()) {
    uint32_t cp;
    if (!internal::DecodeUtf8(name, &i, &cp)) return false;
    if (cp == '+' || cp < 0x20 || internal::IsUnicodeSpace(cp)) return false;
  }
  return true;
}

// vkey = <name> "+" <8 lowercase hex key ID> "+" <base64(type ‖ public key)>  (signed-note
// §"Verifier keys"). The key ID must match the name and key for the types Keyward knows.
StatusOr<VerifierKey> ParseVerifierKey(std::string_view vkey) {
  auto [name, rest] = Chop(vkey, '+');
  auto [hex, b64] = Chop(rest, '+');
  VerifierKey key;
  if (!IsValidKeyName(name)) {
    return InvalidArgument("verifier key: invalid key name (want <name>+<hex8 id>+<base64 key>)");
  }
  key.name = std::string(name);
  if (!ParseHex8(hex, &key.key_id)) {
    return InvalidArgument("verifier key '" + key.name + "': key ID must be 8 lowercase hex digits");
  }
  auto raw = Base64DecodePublic(b64);  // a public key
  if (!raw.ok() || raw->empty()) {
    return InvalidArgument("verifier key '" + key.name + "': key is not standard base64");
  }
  key.type = (*raw)[0];
  key.public_key.assign(raw->begin() + 1, raw->end());
  if (key.type != kSigTypeEd25519 && key.type != kSigTypeCosignatureV1) {
    return InvalidArgument("verifier key '" + key.name + "': unsupported signature type " +
                           std::to_string(key.type) + " (Keyward supports 0x01 Ed25519 and 0x04 cosignature/v1)");
  }
  if (key.public_key.size() != 32) {
    return InvalidArgument("verifier key '" + key.name + "': Ed25519 key must be 32 bytes");
  }
  if (NoteKeyId(key.name, key.type, key.public_key) != key.key_id) {
    return InvalidArgument("verifier key '" + key.name + "': key ID does not match the name and key");
  }
  return key;
}

std::string FormatVerifierKey(const VerifierKey& key) {
  return key.name + "+" + Hex8(key.key_id) + "+" + Base64Encode(TypedKey(key.type, key.public_key));
}

std::string Ed25519VerifierKeyString(std::string_view name, uint8_t sig_type,
                                     const crypto::Ed25519PublicKey& public_key) {
  VerifierKey k{std::string(name), NoteKeyId(name, sig_type, public_key), sig_type,
                Bytes(public_key.begin(), public_key.end())};
  return FormatVerifierKey(k);
}

std::string FormatSignatureLine(const NoteSignature& sig) {
  Bytes blob;
  blob.reserve(4 + sig.signature.size());
  for (int s = 24; s >= 0; s -= 8) blob.push_back(static_cast<uint8_t>(sig.key_id >> s));
  blob.insert(blob.end(), sig.signature.begin(), sig.signature.end());
  return std::string(kSigPrefix) + sig.name + " " + Base64Encode(blob) + "\n";
}

// line = "— " <key name> " " <base64(key ID(4) ‖ signature(≥1))>   (signed-note §Format)
StatusOr<NoteSignature> ParseSignatureLine(std::string_view line) {
  if (!line.starts_with(kSigPrefix)) {
    return InvalidArgument("note signature line must start with U+2014 EM DASH and a space");
  }
  auto [name, b64] = Chop(line.substr(kSigPrefix.size()), ' ');
  if (!IsValidKeyName(name)) return InvalidArgument("note signature line has an invalid key name");
  auto raw = Base64DecodePublic(b64);  // a signature: public
  if (!raw.ok() || raw->size() < 5) {
    return InvalidArgument("note signature for '" + std::string(name) +
                           "' is not base64 of a key ID and a signature");
  }
  NoteSignature sig;
  sig.name = std::string(name);
  sig.key_id = (uint32_t{(*raw)[0]} << 24) | (uint32_t{(*raw)[1]} << 16) | (uint32_t{(*raw)[2]} << 8) | (*raw)[3];
  sig.signature.assign(raw->begin() + 4, raw->end());
  return sig;
}

// ---- Ed25519 keys ------------------------------------------------------------------------------

Ed25519NoteVerifier::Ed25519NoteVerifier(std::string name, const crypto::Ed25519PublicKey& public_key)
    : name_(std::move(name)), public_key_(public_key),
      key_id_(NoteKeyId(name_, kSigTypeEd25519, public_key_)) {}

StatusOr<std::shared_ptr<const Ed25519NoteVerifier>> Ed25519NoteVerifier::FromVerifierKey(
    std::string_view vkey) {
  ASSIGN_OR_RETURN(VerifierKey k, ParseVerifierKey(vkey));
  if (k.type != kSigTypeEd25519) {
    return InvalidArgument("verifier key '" + k.name + "' is not an Ed25519 (type 0x01) note key");
  }
  crypto::Ed25519PublicKey pk;
  std::copy(k.public_key.begin(), k.public_key.end(), pk.begin());
  return std::make_shared<const Ed25519NoteVerifier>(k.name, pk);
}

bool Ed25519NoteVerifier::Verify(std::string_view text, ByteSpan signature) const {
  return crypto::Ed25519VerifyBytes(public_key_, AsBytes(text), signature);
}

std::string Ed25519NoteVerifier::VerifierKeyString() const {
  return Ed25519VerifierKeyString(name_, kSigTypeEd25519, public_key_);
}

Ed25519NoteSigner::Ed25519NoteSigner(std::string name, std::shared_ptr<const crypto::Ed25519Signer> key)
    : name_(std::move(name)), key_(std::move(key)) {
  KW_CHECK(IsValidKeyName(name_));
  KW_CHECK(key_ != nullptr);
  key_id_ = NoteKeyId(name_, kSigTypeEd25519, key_->public_key());
}

StatusOr<Bytes> Ed25519NoteSigner::Sign(std::string_view text) const {
  ASSIGN_OR_RETURN(crypto::Ed25519Signature sig, key_->Sign(AsBytes(text)));
  return Bytes(sig.begin(), sig.end());
}

std::string Ed25519NoteSigner::VerifierKeyString() const {
  return Ed25519VerifierKeyString(name_, kSigTypeEd25519, key_->public_key());
}

// skey = "PRIVATE+KEY+" <name> "+" <hex8 key ID> "+" <base64(0x01 ‖ 32-byte seed)>
// (golang.org/x/mod/sumdb/note NewSigner).
StatusOr<ParsedSignerKey> ParseSignerKey(std::string_view skey) {
  if (!skey.starts_with(kPrivateKeyPrefix)) {
    return InvalidArgument("signer key must start with PRIVATE+KEY+ (Go sumdb/note format)");
  }
  auto [name, rest] = Chop(skey.substr(kPrivateKeyPrefix.size()), '+');
  auto [hex, b64] = Chop(rest, '+');
  ParsedSignerKey out;
  if (!IsValidKeyName(name)) return InvalidArgument("signer key has an invalid key name");
  out.name = std::string(name);
  if (!ParseHex8(hex, &out.key_id)) {
    return InvalidArgument("signer key '" + out.name + "': key ID must be 8 lowercase hex digits");
  }
  auto raw = Base64Decode(b64);
  if (!raw.ok() || raw->size() != 33 || (*raw)[0] != kSigTypeEd25519) {
    if (raw.ok()) sodium_memzero(raw->data(), raw->size());
    return InvalidArgument("signer key '" + out.name + "': want base64 of 0x01 and a 32-byte Ed25519 seed");
  }
  auto key = crypto::Ed25519PrivateKey::FromSeed(ByteSpan(*raw).subspan(1));
  sodium_memzero(raw->data(), raw->size());
  if (!key.ok()) return key.status();
  if (NoteKeyId(out.name, kSigTypeEd25519, key->public_key()) != out.key_id) {
    return InvalidArgument("signer key '" + out.name + "': key ID does not match the name and key");
  }
  out.key = std::make_shared<const crypto::Ed25519PrivateKey>(std::move(*key));
  return out;
}

crypto::SecretBytes FormatSignerKey(std::string_view name, const crypto::Ed25519PrivateKey& key) {
  crypto::SecretBytes typed(33);
  typed.RevealMutable()[0] = kSigTypeEd25519;
  auto seed = key.seed().Reveal();
  std::copy(seed.begin(), seed.end(), typed.RevealMutable().begin() + 1);
  std::string b64 = Base64Encode(typed.Reveal());
  std::string text = std::string(kPrivateKeyPrefix) + std::string(name) + "+" +
                     Hex8(NoteKeyId(name, kSigTypeEd25519, key.public_key())) + "+" + b64;
  crypto::SecretBytes out(AsBytes(text));
  sodium_memzero(b64.data(), b64.size());
  sodium_memzero(text.data(), text.size());
  return out;
}

StatusOr<GeneratedNoteKey> GenerateNoteKey(std::string_view name, crypto::Rng& rng) {
  if (!IsValidKeyName(name)) {
    return InvalidArgument("key name '" + std::string(name) +
                           "' is invalid: it must be non-empty with no spaces and no '+'");
  }
  auto key = crypto::Ed25519PrivateKey::Generate(rng);
  GeneratedNoteKey out{FormatSignerKey(name, key),
                       Ed25519VerifierKeyString(name, kSigTypeEd25519, key.public_key())};
  return out;
}

// ---- Notes -------------------------------------------------------------------------------------

// note = text "\n" signature-line+      where text ends in "\n" and the split is at the LAST
// "\n\n" (signed-note §Format); valid UTF-8, no control characters except "\n".
StatusOr<Note> ParseNote(std::string_view msg) {
  if (msg.size() > kMaxNoteBytes) {
    return ResourceExhausted("note is larger than " + std::to_string(kMaxNoteBytes) + " bytes");
  }
  if (!internal::IsNoteText(msg)) {
    return InvalidArgument("note is not valid UTF-8 or contains control characters other than newline");
  }
  size_t split = msg.rfind("\n\n");
  if (split == std::string_view::npos) {
    return InvalidArgument("note has no empty line before its signatures");
  }
  Note note;
  note.text = std::string(msg.substr(0, split + 1));
  std::string_view sigs = msg.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    return InvalidArgument("note must end with signature lines, each ending in a newline");
  }
  for (std::string_view line : internal::SplitLines(sigs)) {
    if (note.signatures.size() >= kMaxNoteSignatures) {
      return ResourceExhausted("note has more than " + std::to_string(kMaxNoteSignatures) + " signatures");
    }
    ASSIGN_OR_RETURN(NoteSignature sig, ParseSignatureLine(line));
    note.signatures.push_back(std::move(sig));
  }
  return note;
}

std::string FormatNote(const Note& note) {
  std::string out = note.text + "\n";
  for (const auto& s : note.signatures) out += FormatSignatureLine(s);
  return out;
}

const NoteVerifier* NoteVerifierSet::Find(std::string_view name, uint32_t key_id) const {
  for (const auto& v : verifiers_) {
    if (v->key_id() == key_id && v->name() == name) return v.get();
  }
  return nullptr;
}

StatusOr<OpenedNote> OpenNote(std::string_view message, const NoteVerifierSet& known) {
  ASSIGN_OR_RETURN(Note note, ParseNote(message));
  return VerifyNote(std::move(note), known);
}

StatusOr<OpenedNote> VerifyNote(Note note, const NoteVerifierSet& known) {
  OpenedNote out;
  out.text = std::move(note.text);
  std::set<std::pair<std::string, uint32_t>> seen;
  for (auto& sig : note.signatures) {
    auto id = std::make_pair(sig.name, sig.key_id);
    if (seen.count(id)) continue;  // repeated signature by one key: only the first counts (as Go)
    seen.insert(id);
    const NoteVerifier* v = known.Find(sig.name, sig.key_id);
    if (v == nullptr) {
      out.unverified.push_back(std::move(sig));
      continue;
    }
    if (!v->Verify(out.text, sig.signature)) {
      return AuthenticationFailed("note signature by known key '" + sig.name + "' is invalid");
    }
    out.verified.push_back(std::move(sig));
  }
  if (out.verified.empty()) {
    return AuthenticationFailed("note has no valid signature from a known key");
  }
  return out;
}

StatusOr<std::string> SignNote(std::string_view text, std::span<const NoteSigner* const> signers,
                               std::span<const NoteSignature> existing) {
  if (text.empty() || text.back() != '\n' || !internal::IsNoteText(text)) {
    return InvalidArgument("note text must be UTF-8 without control characters and end in a newline");
  }
  std::set<std::pair<std::string, uint32_t>> have;
  std::string sig_lines;
  for (const NoteSigner* s : signers) {
    KW_CHECK(s != nullptr);
    if (!IsValidKeyName(s->name())) return InvalidArgument("signer has an invalid key name");
    have.insert({s->name(), s->key_id()});
    ASSIGN_OR_RETURN(Bytes sig, s->Sign(text));
    sig_lines += FormatSignatureLine({s->name(), s->key_id(), std::move(sig)});
  }
  std::string out(text);
  out += "\n";
  for (const auto& e : existing) {
    if (!IsValidKeyName(e.name)) return InvalidArgument("existing signature has an invalid key name");
    if (have.count({e.name, e.key_id})) continue;  // replaced by a new signature
    out += FormatSignatureLine(e);
  }
  out += sig_lines;
  if (existing.size() + signers.size() > kMaxNoteSignatures) {
    return ResourceExhausted("a note may carry at most " + std::to_string(kMaxNoteSignatures) + " signatures");
  }
  if (out.size() > kMaxNoteBytes) return ResourceExhausted("signed note would exceed the size limit");
  return out;
}

}  // namespace keyward::tlog
