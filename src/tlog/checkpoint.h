// C2SP tlog-checkpoint (v1.0.0): the signed body that commits a log to a tree.
//
//   <origin>\n               non-empty, valid key-name-like text (no '+', no whitespace at ends)
//   <tree size>\n            ASCII decimal, no leading zeros ("0" for the empty tree)
//   <base64 root hash>\n     standard base64 of exactly 32 bytes
//   [<extension line>\n]...  optional, non-empty lines
//
// The checkpoint is the text of a signed note (note.h) signed by the log (key name = origin) and
// cosigned by witnesses (cosignature.h).
//
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

namespace keyward::tlog {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // without newlines; usually empty

  bool operator==(const Checkpoint&) const = default;
};

// Strict parse of a checkpoint body (the note text). The body must end with "\n".
StatusOr<Checkpoint> ParseCheckpoint(std::string_view body);
std::string FormatCheckpoint(const Checkpoint& checkpoint);

// Parses a strict ASCII decimal uint64 with no leading zeros (also used by tlog-proof / tlog-witness).
StatusOr<uint64_t> ParseDecimalU64(std::string_view text);

// Signs the checkpoint as a note with the log's key (key name should equal the origin).
StatusOr<std::string> SignCheckpoint(const Checkpoint& checkpoint, const NoteSigner& log_signer);

// A checkpoint whose log signature verified, with the witness cosignatures that verified.
struct VerifiedCheckpoint {
  Checkpoint checkpoint;
  std::string body;                          // exact note text
  NoteSignature log_signature;               // the verified log signature
  std::vector<NoteSignature> cosignatures;   // verified witness signatures (any known type)
  std::vector<NoteSignature> other;          // unknown signatures, ignored
};

// Opens a signed checkpoint note: at least one signature by a key in `log_keys` whose name equals
// the checkpoint origin must verify; `witness_keys` signatures are verified (a known key that fails
// rejects the note, per signed-note); unknown signatures are ignored. Errors: InvalidArgument
// (malformed), NotFound (no log key for the origin), AuthenticationFailed (bad signature).
StatusOr<VerifiedCheckpoint> OpenCheckpoint(std::string_view note, const NoteVerifierSet& log_keys,
                                            const NoteVerifierSet& witness_keys);

}  // namespace keyward::tlog
