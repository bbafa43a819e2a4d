// C2SP signed-note (signed-note/v1.0.0): verifier keys, signer keys, signing and opening notes.
//
//   <text: ≥1 line, each ending in U+000A>
//   <empty line>
//   — <key name> <base64(4-byte key ID ‖ signature)>\n     (one or more)
//
// Key ID = SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4] (big-endian uint32).
// Verifier key ("vkey"): `<name>+<8 lowercase hex key ID>+<base64(type ‖ public key)>`.
// Signer key (Go golang.org/x/mod/sumdb/note format, so keys move between Keyward and Go tools):
// `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ 32-byte Ed25519 seed)>`.
//
// Opening rules: valid UTF-8, no control characters except \n; the text is separated from the
// signatures by the LAST empty line; at most kMaxNoteSignatures signature lines (≥16 as the spec
// requires) and kMaxNoteBytes bytes; signatures from unknown (name, key ID) are ignored; a known key
// whose signature fails rejects the whole note; no verified signature rejects the note.
//
// Ownership: verifiers and signers are immutable after construction and shared by shared_ptr.
// Ed25519NoteSigner signs through crypto::Ed25519Signer so a PKCS#11 token can hold the key.
// Thread-safety: all types are immutable after construction; safe for concurrent use if the wrapped
// crypto::Ed25519Signer is.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace keyward::tlog {

constexpr uint8_t kSigTypeEd25519 = 0x01;           // signed-note Ed25519
constexpr uint8_t kSigTypeCosignatureV1 = 0x04;     // tlog-cosignature timestamped Ed25519
constexpr size_t kMaxNoteBytes = 1 << 20;           // 1 MiB
constexpr size_t kMaxNoteSignatures = 100;          // as Go's note.Open

// SHA-256(name ‖ "\n" ‖ type ‖ public_key)[:4] as a big-endian integer.
uint32_t NoteKeyId(std::string_view name, uint8_t sig_type, ByteSpan public_key);

// True iff `name` is a valid key name: non-empty, valid UTF-8, no Unicode whitespace, no '+'.
bool IsValidKeyName(std::string_view name);

// A parsed vkey. Invariants: name valid; key_id == NoteKeyId(name, type, public_key) for the types
// Keyward knows (0x01, 0x04); public_key is 32 bytes for those types.
struct VerifierKey {
  std::string name;
  uint32_t key_id = 0;
  uint8_t type = 0;
  Bytes public_key;
};
// Strict parse of `name+hex8+base64(type‖key)`. Unknown types are rejected (Keyward verifies only
// 0x01 and 0x04).
StatusOr<VerifierKey> ParseVerifierKey(std::string_view vkey);
std::string FormatVerifierKey(const VerifierKey& key);
// The vkey string for an Ed25519 public key of the given type (0x01 note key or 0x04 cosigner).
std::string Ed25519VerifierKeyString(std::string_view name, uint8_t sig_type,
                                     const crypto::Ed25519PublicKey& public_key);

// One signature line of a note: key name, key ID and the signature bytes after the key ID.
struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  Bytes signature;  // without the 4-byte key ID prefix
};
// "— <name> <base64(keyid‖sig)>\n"
std::string FormatSignatureLine(const NoteSignature& sig);
// Parses one line WITHOUT its trailing newline.
StatusOr<NoteSignature> ParseSignatureLine(std::string_view line);

// Verifies signatures made by one key.
class NoteVerifier {
 public:
  virtual ~NoteVerifier() = default;
  virtual const std::string& name() const = 0;
  virtual uint32_t key_id() const = 0;
  // True iff `signature` (the line's bytes after the key ID) is valid for `text`.
  virtual bool Verify(std::string_view text, ByteSpan signature) const = 0;
};

// Signs note texts with one key.
class NoteSigner {
 public:
  virtual ~NoteSigner() = default;
  virtual const std::string& name() const = 0;
  virtual uint32_t key_id() const = 0;
  // The signature bytes (without key ID) over `text`.
  virtual StatusOr<Bytes> Sign(std::string_view text) const = 0;
};

// Signature type 0x01: Ed25519 (strict verification) over the note text.
class Ed25519NoteVerifier final : public NoteVerifier {
 public:
  Ed25519NoteVerifier(std::string name, const crypto::Ed25519PublicKey& public_key);
  // From a vkey of type 0x01.
  static StatusOr<std::shared_ptr<const Ed25519NoteVerifier>> FromVerifierKey(std::string_view vkey);
  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  bool Verify(std::string_view text, ByteSpan signature) const override;
  const crypto::Ed25519PublicKey& public_key() const { return public_key_; }
  std::string VerifierKeyString() const;

 private:
  std::string name_;
  crypto::Ed25519PublicKey public_key_;
  uint32_t key_id_;
};

class Ed25519NoteSigner final : public NoteSigner {
 public:
  // REQUIRES: IsValidKeyName(name) (checked: aborts otherwise — validate user input first).
  Ed25519NoteSigner(std::string name, std::shared_ptr<const crypto::Ed25519Signer> key);
  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  StatusOr<Bytes> Sign(std::string_view text) const override;
  std::string VerifierKeyString() const;
  const crypto::Ed25519Signer& key() const { return *key_; }

 private:
  std::string name_;
  std::shared_ptr<const crypto::Ed25519Signer> key_;
  uint32_t key_id_;
};

// ---- Go-compatible signer key strings ----------------------------------------------------------

struct ParsedSignerKey {
  std::string name;
  uint32_t key_id = 0;
  std::shared_ptr<const crypto::Ed25519PrivateKey> key;
};
// Parses `PRIVATE+KEY+name+hex8+base64(0x01‖seed)`; checks the key ID against the derived public key.
StatusOr<ParsedSignerKey> ParseSignerKey(std::string_view skey);
// Formats a signer key string (secret: returned in a wiping container).
crypto::SecretBytes FormatSignerKey(std::string_view name, const crypto::Ed25519PrivateKey& key);
// A fresh key pair: the signer key string and its vkey string (Go's note.GenerateKey).
struct GeneratedNoteKey {
  crypto::SecretBytes signer_key;
  std::string verifier_key;
};
StatusOr<GeneratedNoteKey> GenerateNoteKey(std::string_view name, crypto::Rng& rng);

// ---- Notes -----------------------------------------------------------------------------------

// A syntactically valid note (nothing verified).
struct Note {
  std::string text;  // ends with "\n"
  std::vector<NoteSignature> signatures;
};
// Syntax only (UTF-8, control characters, last empty line, signature lines, size limits).
StatusOr<Note> ParseNote(std::string_view message);
std::string FormatNote(const Note& note);

// The set of keys a verifier knows. Lookup is by (name, key ID).
class NoteVerifierSet {
 public:
  NoteVerifierSet() = default;
  explicit NoteVerifierSet(std::vector<std::shared_ptr<const NoteVerifier>> verifiers)
      : verifiers_(std::move(verifiers)) {}
  void Add(std::shared_ptr<const NoteVerifier> v) { verifiers_.push_back(std::move(v)); }
  // nullptr if unknown.
  const NoteVerifier* Find(std::string_view name, uint32_t key_id) const;
  const std::vector<std::shared_ptr<const NoteVerifier>>& verifiers() const { return verifiers_; }

 private:
  std::vector<std::shared_ptr<const NoteVerifier>> verifiers_;
};

// A note whose `verified` signatures were checked against known keys; `unverified` were from
// unknown keys (ignored, kept so that a note can be re-served verbatim).
struct OpenedNote {
  std::string text;
  std::vector<NoteSignature> verified;
  std::vector<NoteSignature> unverified;
};

// Parses and verifies. Errors: InvalidArgument (malformed), AuthenticationFailed (a known key's
// signature fails, or no known key signed).
StatusOr<OpenedNote> OpenNote(std::string_view message, const NoteVerifierSet& known);
// The verification half of OpenNote, for callers that already parsed the note.
StatusOr<OpenedNote> VerifyNote(Note note, const NoteVerifierSet& known);

// Signs `text` (must be a valid note text: non-empty, ends in \n, no empty... see ParseNote) with
// every signer, appending the lines after `existing` signatures (kept verbatim, e.g. a log
// signature when a witness cosigns).
StatusOr<std::string> SignNote(std::string_view text, std::span<const NoteSigner* const> signers,
                               std::span<const NoteSignature> existing = {});

}  // namespace keyward::tlog
