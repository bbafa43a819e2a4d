// Internal steps of trust/verify.h shared with trust/rotation.cc (not public API).
//
// Thread-safety: pure functions over their arguments.
#pragma once

#include <optional>

#include "tlog/proof_file.h"
#include "trust/verify.h"

namespace keyward::trust::internal {

// Step 6 of VerifyBundle: log signature, witness quorum, inclusion of the exact envelope bytes.
TrustResult<VerifiedInclusion> VerifyInclusionOnly(const TrustPolicy& policy, ByteSpan envelope_bytes,
                                                   const tlog::TlogProof& proof);
// The same with the checkpoint note and body already parsed from proof.checkpoint
// (ParsedDelivered), so the note is not parsed twice.
TrustResult<VerifiedInclusion> VerifyInclusionOnly(const TrustPolicy& policy, ByteSpan envelope_bytes,
                                                   const tlog::TlogProof& proof, tlog::Note note,
                                                   const tlog::Checkpoint& checkpoint);
// Step 8: consistency with (and update of) the stored checkpoint of inc.origin in `state`; sets
// inc.consistency / inc.consistency_detail. nullopt on success.
std::optional<RejectionInfo> CheckConsistency(const TrustPolicy& policy, VerifiedInclusion& inc,
                                              TrustState& state, ConsistencyFetcher* fetcher);

}  // namespace keyward::trust::internal
