#include "tlog/witness_check.h"

#include "tlog/text.h"

namespace keyward::tlog {
namespace {

using internal::NextLine;

AddCheckpointDecision Decide(int status, std::string message) {
  AddCheckpointDecision d;
  d.http_status = status;
  d.message = std::move(message);
  return d;
}

}  // namespace

// body = "old " decimal "\n" 0*63(base64-hash "\n") "\n" checkpoint-note   (tlog-witness
// §add-checkpoint)
StatusOr<AddCheckpointRequest> ParseAddCheckpointRequest(std::string_view body) {
  if (body.size() > kMaxAddCheckpointBytes) return ResourceExhausted("add-checkpoint body is too large");
  std::string_view line;
  if (!NextLine(&body, &line) || !line.starts_with("old ")) {
    return InvalidArgument("add-checkpoint body must start with 'old <size>'");
  }
  AddCheckpointRequest req;
  auto old = ParseDecimalU64(line.substr(4));
  if (!old.ok()) return old.status().WithContext("add-checkpoint old size");
  req.old_size = *old;
  for (;;) {
    if (!NextLine(&body, &line)) return InvalidArgument("add-checkpoint body has no empty line before the checkpoint");
    if (line.empty()) break;
    if (req.proof.size() >= 63) return InvalidArgument("add-checkpoint proof has more than 63 lines");
    auto h = HashFromBase64(line);
    if (!h.ok()) return h.status().WithContext("add-checkpoint proof line");
    req.proof.push_back(*h);
  }
  if (body.empty()) return InvalidArgument("add-checkpoint body has no checkpoint");
  req.checkpoint = std::string(body);
  return req;
}

std::string FormatAddCheckpointRequest(const AddCheckpointRequest& request) {
  std::string out = "old " + std::to_string(request.old_size) + "\n";
  for (const Hash& h : request.proof) out += HashToBase64(h) + "\n";
  out += "\n" + request.checkpoint;
  return out;
}

AddCheckpointDecision EvaluateAddCheckpoint(std::string_view body, const WitnessLogLookup& lookup) {
  auto req = ParseAddCheckpointRequest(body);
  if (!req.ok()) return Decide(400, req.status().message());
  auto note = ParseNote(req->checkpoint);
  if (!note.ok()) return Decide(400, "checkpoint note: " + note.status().message());
  auto parsed = ParseCheckpoint(note->text);
  if (!parsed.ok()) return Decide(400, "checkpoint: " + parsed.status().message());
  const WitnessedLog* log = lookup(parsed->origin);
  if (log == nullptr) return Decide(404, "unknown log origin '" + parsed->origin + "'");
  auto cp = OpenCheckpoint(req->checkpoint, log->log_keys, NoteVerifierSet());
  if (!cp.ok()) {
    return Decide(cp.status().code() == ErrorCode::kInvalidArgument ? 400 : 403,
                  "checkpoint signature: " + cp.status().message());
  }
  const uint64_t size = cp->checkpoint.size;
  AddCheckpointDecision d;
  d.checkpoint = std::move(*cp);
  const auto fail = [&](int status, std::string message) {
    d.http_status = status;
    d.message = std::move(message);
    return std::move(d);
  };
  if (req->old_size > size) {
    return fail(400, "old size " + std::to_string(req->old_size) + " exceeds checkpoint size " + std::to_string(size));
  }
  if (req->old_size != log->size) {
    d.conflict_size = log->size;
    return fail(409, "old size " + std::to_string(req->old_size) + " is not the latest cosigned size " +
                         std::to_string(log->size));
  }
  const Hash& root = d.checkpoint->checkpoint.root;
  if (size == 0 && root != EmptyTreeHash()) return fail(422, "a size-0 checkpoint must have the empty-tree root");
  if (req->old_size == 0 && !req->proof.empty()) return fail(422, "the proof from old size 0 must be empty");
  Status s = VerifyConsistency(log->size, size, log->size == 0 ? EmptyTreeHash() : log->root, root,
                               req->proof, ConsistencyFromZero::kAcceptEmptyProof);
  if (!s.ok()) return fail(422, "checkpoint is not consistent with the latest cosigned one: " + s.message());
  return fail(200, "ok");
}

}  // namespace keyward::tlog
