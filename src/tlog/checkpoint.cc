#include "tlog/checkpoint.h"

#include "tlog/text.h"

namespace keyward::tlog {

StatusOr<uint64_t> ParseDecimalU64(std::string_view text) {
  if (text.empty() || text.size() > 20) return InvalidArgument("want a decimal number, got '" + std::string(text.substr(0, 24)) + "'");
  if (text.size() > 1 && text[0] == '0') {
    return InvalidArgument("decimal number '" + std::string(text) + "' has a leading zero");
  }
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return InvalidArgument("'" + std::string(text) + "' is not a decimal number");
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return InvalidArgument("'" + std::string(text) + "' does not fit in 64 bits");
    v = v * 10 + d;
  }
  return v;
}

// checkpoint = origin "\n" size "\n" base64(root) "\n" *(extension "\n")   (tlog-checkpoint §Note
// text): origin non-empty; size decimal without leading zeros; root exactly 32 bytes; extension
// lines non-empty.
StatusOr<Checkpoint> ParseCheckpoint(std::string_view body) {
  if (body.empty() || body.back() != '\n') return InvalidArgument("checkpoint must end with a newline");
  if (!internal::IsNoteText(body)) {
    return InvalidArgument("checkpoint is not UTF-8 text without control characters");
  }
  auto lines = internal::SplitLines(body);
  if (lines.size() < 3) return InvalidArgument("checkpoint needs origin, size and root hash lines");
  Checkpoint c;
  if (lines[0].empty()) return InvalidArgument("checkpoint origin line is empty");
  c.origin = std::string(lines[0]);
  auto size = ParseDecimalU64(lines[1]);
  if (!size.ok()) return size.status().WithContext("checkpoint tree size");
  c.size = *size;
  auto root = HashFromBase64(lines[2]);
  if (!root.ok()) return root.status().WithContext("checkpoint root hash");
  c.root = *root;
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return InvalidArgument("checkpoint extension lines must not be empty");
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

std::string FormatCheckpoint(const Checkpoint& c) {
  std::string out = c.origin + "\n" + std::to_string(c.size) + "\n" + HashToBase64(c.root) + "\n";
  for (const auto& e : c.extensions) out += e + "\n";
  return out;
}

StatusOr<std::string> SignCheckpoint(const Checkpoint& checkpoint, const NoteSigner& log_signer) {
  std::string body = FormatCheckpoint(checkpoint);
  // Validate what we sign: a checkpoint we could not parse back must never get a log signature.
  RETURN_IF_ERROR(ParseCheckpoint(body).status());
  const NoteSigner* signers[] = {&log_signer};
  return SignNote(body, signers);
}

StatusOr<VerifiedCheckpoint> OpenCheckpoint(std::string_view note, const NoteVerifierSet& log_keys,
                                            const NoteVerifierSet& witness_keys) {
  ASSIGN_OR_RETURN(Note parsed, ParseNote(note));
  auto cp = ParseCheckpoint(parsed.text);
  if (!cp.ok()) return cp.status();
  // Only log keys named after the origin may vouch for it (tlog-checkpoint: key name = origin).
  NoteVerifierSet origin_keys;
  for (const auto& v : log_keys.verifiers()) {
    if (v->name() == cp->origin) origin_keys.Add(v);
  }
  if (origin_keys.verifiers().empty()) {
    return NotFound("no trusted log key for checkpoint origin '" + cp->origin + "'");
  }
  NoteVerifierSet all = origin_keys;
  for (const auto& v : witness_keys.verifiers()) all.Add(v);
  auto opened = VerifyNote(std::move(parsed), all);
  if (!opened.ok()) return opened.status().WithContext("checkpoint for '" + cp->origin + "'");
  VerifiedCheckpoint out;
  bool have_log = false;
  for (auto& sig : opened->verified) {
    if (!have_log && origin_keys.Find(sig.name, sig.key_id) != nullptr) {
      out.log_signature = std::move(sig);
      have_log = true;
    } else if (origin_keys.Find(sig.name, sig.key_id) == nullptr) {
      out.cosignatures.push_back(std::move(sig));
    }
  }
  if (!have_log) {
    return AuthenticationFailed("checkpoint for '" + cp->origin + "' has no valid signature by the log");
  }
  out.checkpoint = std::move(*cp);
  out.body = std::move(opened->text);
  out.other = std::move(opened->unverified);
  return out;
}

}  // namespace keyward::tlog
