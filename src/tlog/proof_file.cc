#include "tlog/proof_file.h"

#include <set>

#include "tlog/policy.h"
#include "tlog/text.h"

namespace keyward::tlog {
namespace {

using internal::NextLine;

}  // namespace

// proof = "c2sp.org/tlog-proof@v1\n" ["extra " base64 "\n"] "index " decimal "\n"
//         *(base64-hash "\n") "\n" checkpoint-note                    (C2SP tlog-proof §Format)
StatusOr<TlogProof> ParseTlogProof(std::string_view text) {
  ASSIGN_OR_RETURN(ParsedTlogProof parsed, ParseTlogProofFull(text));
  return std::move(parsed.proof);
}

StatusOr<ParsedTlogProof> ParseTlogProofFull(std::string_view text) {
  if (text.size() > kMaxNoteBytes + 8192) return ResourceExhausted("tlog-proof is too large");
  std::string_view line;
  if (!NextLine(&text, &line) || line != kTlogProofHeader) {
    return InvalidArgument("tlog-proof must start with the line c2sp.org/tlog-proof@v1");
  }
  TlogProof proof;
  if (!NextLine(&text, &line)) return InvalidArgument("tlog-proof is missing its index line");
  if (line.starts_with("extra ")) {
    auto extra = Base64DecodePublic(line.substr(6));
    if (!extra.ok()) return InvalidArgument("tlog-proof extra line is not standard base64");
    proof.extra = std::move(*extra);
    if (!NextLine(&text, &line)) return InvalidArgument("tlog-proof is missing its index line");
  }
  if (!line.starts_with("index ")) return InvalidArgument("tlog-proof: want 'index <decimal>' line");
  auto index = ParseDecimalU64(line.substr(6));
  if (!index.ok()) return index.status().WithContext("tlog-proof index");
  proof.index = *index;
  for (;;) {
    if (!NextLine(&text, &line)) return InvalidArgument("tlog-proof has no empty line before the checkpoint");
    if (line.empty()) break;
    if (proof.inclusion.size() >= kMaxProofHashes) {
      return InvalidArgument("tlog-proof has more than 63 inclusion proof hashes");
    }
    auto h = HashFromBase64(line);
    if (!h.ok()) return h.status().WithContext("tlog-proof inclusion hash");
    proof.inclusion.push_back(*h);
  }
  // The checkpoint must at least be a well-formed signed checkpoint note.
  auto note = ParseNote(text);
  if (!note.ok()) return note.status().WithContext("tlog-proof checkpoint");
  auto checkpoint = ParseCheckpoint(note->text);
  if (!checkpoint.ok()) return checkpoint.status().WithContext("tlog-proof checkpoint");
  proof.checkpoint = std::string(text);
  return ParsedTlogProof{std::move(proof), std::move(*note), std::move(*checkpoint)};
}

std::string FormatTlogProof(const TlogProof& proof) {
  std::string out(kTlogProofHeader);
  out += "\n";
  if (proof.extra) out += "extra " + Base64Encode(*proof.extra) + "\n";
  out += "index " + std::to_string(proof.index) + "\n";
  for (const Hash& h : proof.inclusion) out += HashToBase64(h) + "\n";
  out += "\n";
  out += proof.checkpoint;
  return out;
}

StatusOr<VerifiedTlogProof> VerifyTlogProof(const TlogProof& proof, const Hash& leaf_hash,
                                            const Policy& policy) {
  // Step 2: origin acceptable and signed by a policy log. Step 3: witness cosignatures.
  auto cp = OpenCheckpoint(proof.checkpoint, policy.LogVerifiers(), policy.WitnessVerifiers());
  if (!cp.ok()) return cp.status().WithContext("tlog-proof checkpoint");
  VerifiedTlogProof out;
  out.witnesses = policy.WitnessNamesFor(cp->cosignatures);
  std::set<std::string> present(out.witnesses.begin(), out.witnesses.end());
  if (!policy.QuorumSatisfied(present)) {
    std::string have;
    for (const auto& w : out.witnesses) have += (have.empty() ? "" : ", ") + w;
    return AuthenticationFailed("tlog-proof checkpoint lacks the witness quorum '" + policy.quorum() +
                                "' (valid cosignatures from: " + (have.empty() ? "none" : have) + ")");
  }
  // Step 4: the inclusion proof binds the leaf to the signed root.
  Status s = VerifyInclusion(proof.index, cp->checkpoint.size, leaf_hash, proof.inclusion, cp->checkpoint.root);
  if (!s.ok()) return s.WithContext("tlog-proof inclusion of entry " + std::to_string(proof.index));
  out.index = proof.index;
  out.checkpoint = std::move(*cp);
  return out;
}

StatusOr<VerifiedTlogProof> VerifyTlogProofText(std::string_view text, const Hash& leaf_hash,
                                                const Policy& policy) {
  ASSIGN_OR_RETURN(TlogProof proof, ParseTlogProof(text));
  return VerifyTlogProof(proof, leaf_hash, policy);
}

}  // namespace keyward::tlog
