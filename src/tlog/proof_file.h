// C2SP tlog-proof (c2sp.org/tlog-proof@v1): an offline-verifiable proof that an entry is in a log
// whose checkpoint a witness quorum cosigned.
//
//   c2sp.org/tlog-proof@v1\n
//   [extra <base64 opaque data>\n]        optional, unauthenticated
//   index <decimal, no leading zeros>\n
//   <base64 hash>\n ...                   inclusion proof, leaf sibling first (≤ 63 lines)
//   \n
//   <checkpoint note, verbatim, with signatures>
//
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"

namespace keyward::tlog {

class Policy;

constexpr std::string_view kTlogProofHeader = "c2sp.org/tlog-proof@v1";
constexpr size_t kMaxProofHashes = 63;

struct TlogProof {
  std::optional<Bytes> extra;
  uint64_t index = 0;
  std::vector<Hash> inclusion;
  std::string checkpoint;  // signed note, verbatim

  bool operator==(const TlogProof&) const = default;
};

// Strict parse; the checkpoint note is only checked syntactically (ParseNote + ParseCheckpoint).
StatusOr<TlogProof> ParseTlogProof(std::string_view text);
// ParseTlogProof plus what it parsed of the checkpoint, so that a verifier does not parse the note
// a second time (hand `note` to VerifyNote).
struct ParsedTlogProof {
  TlogProof proof;
  Note note;
  Checkpoint checkpoint;
};
StatusOr<ParsedTlogProof> ParseTlogProofFull(std::string_view text);
std::string FormatTlogProof(const TlogProof& proof);

struct VerifiedTlogProof {
  VerifiedCheckpoint checkpoint;
  uint64_t index = 0;
  std::vector<std::string> witnesses;  // policy names of witnesses whose cosignature verified
};

// Verifies per tlog-proof §"Verifying": the checkpoint is signed by a log in `policy`, the verified
// witness cosignatures satisfy the policy quorum, and the inclusion proof binds `leaf_hash` at
// proof.index to the checkpoint root. Errors name which step failed.
StatusOr<VerifiedTlogProof> VerifyTlogProof(const TlogProof& proof, const Hash& leaf_hash,
                                            const Policy& policy);
// Parse + verify.
StatusOr<VerifiedTlogProof> VerifyTlogProofText(std::string_view text, const Hash& leaf_hash,
                                                const Policy& policy);

}  // namespace keyward::tlog
