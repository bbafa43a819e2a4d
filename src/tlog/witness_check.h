// Pure decision logic of a C2SP tlog-witness add-checkpoint request (tlog-witness v1.0.0).
//
//   old <size>\n                 decimal, no leading zeros
//   <base64 hash>\n ...          consistency proof, 0..63 lines
//   \n
//   <checkpoint note with signatures>
//
// EvaluateAddCheckpoint returns the HTTP status the spec mandates: 400 malformed or old > size;
// 404 unknown origin; 403 no trusted log signature (or a trusted key's signature fails);
// 409 old != last cosigned size (body "<size>\n", Content-Type text/x.tlog.size);
// 422 size-0 checkpoint with a non-empty-tree root, non-empty proof from old 0, bad proof, or same
// size with a different root; 200 accept. On 200 the daemon must persist the new (size, root)
// ATOMICALLY with re-checking that its stored size still equals `old` (the spec's rollback race),
// then cosign the checkpoint body.
//
// Thread-safety: pure function; the lookup callback is called synchronously.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

namespace keyward::tlog {

constexpr size_t kMaxAddCheckpointBytes = 1 << 20;

struct AddCheckpointRequest {
  uint64_t old_size = 0;
  std::vector<Hash> proof;
  std::string checkpoint;  // note, verbatim
};
// Syntax only. InvalidArgument on malformed input.
StatusOr<AddCheckpointRequest> ParseAddCheckpointRequest(std::string_view body);
std::string FormatAddCheckpointRequest(const AddCheckpointRequest& request);

// What the witness knows about one log.
struct WitnessedLog {
  NoteVerifierSet log_keys;  // trusted keys for the origin
  uint64_t size = 0;         // latest cosigned size (0 if never cosigned)
  Hash root{};               // its root (EmptyTreeHash() if size 0)
};

struct AddCheckpointDecision {
  int http_status = 0;        // 200, 400, 403, 404, 409, 422
  std::string message;        // for logs / error bodies
  uint64_t conflict_size = 0; // for 409: the witness's latest size
  // Set when the log signature verified (200, 409, 422): the parsed checkpoint and its body.
  std::optional<VerifiedCheckpoint> checkpoint;
};

// `lookup(origin)` returns the witness's state for the origin or nullptr if unknown.
using WitnessLogLookup = std::function<const WitnessedLog*(std::string_view origin)>;
AddCheckpointDecision EvaluateAddCheckpoint(std::string_view body, const WitnessLogLookup& lookup);

}  // namespace keyward::tlog
