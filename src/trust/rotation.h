// Signer rotation: policy-update documents (TUF's root-rotation rule, DESIGN.md §5 "Signer
// rotation", docs/formats.md "Policy update").
//
// A policy update is an envelope (trust/envelope.h) with payloadType
// "application/vnd.keyward.policy+json" and the payload
//
//   {"kind":"keyward.policy/v1","namespace":"example.com/app","version":2,
//    "issued":"2026-11-23T01:00:00Z","policy":"<the new TrustPolicy text>"}
//
// (strict JSON as everywhere: exactly these keys, version an unsigned integer >= 1). It is
// delivered like a bundle (trust/delivered.h: exact envelope bytes + tlog-proof) and accepted by
// ApplyPolicyUpdate only when, in this order:
//   1. it parses strictly and the new policy is a valid over-the-air policy [malformed / policy];
//   2. its namespace equals the current policy's and the new policy's [namespace];
//   3. signatures by keys of either policy verify [bad-signature], and the signers satisfy the
//      CURRENT policy's bundle quorum AND the NEW policy's bundle quorum [rotation-quorum] (the
//      emergency group can sign wherever `bundle-quorum` includes it);
//   4. issued <= now + skew [not-yet-valid];
//   5. it is in a log of the CURRENT policy under its witness quorum [unknown-log / bad-signature /
//      witness-quorum / not-logged], consistent with the stored checkpoint [split-view];
//   6. version > the adopted version (the configured policy is version 0) [rollback]; equal with the
//      same envelope bytes is a re-delivery (no change), equal with other bytes [equivocation].
// Then state.policy = {version, text, SHA-256(envelope)}: only the policy changes; epochs and log
// checkpoints are kept, so a bundle signed before the rotation (rejected by the new quorum) or with
// an older epoch stays refused.
//
// How a client stores its policy: the configured policy (file or compiled in) is the root of trust;
// once an update is adopted, the state file's "policy" member holds the current text and version,
// and EffectivePolicy() returns it. Updates chain: each must satisfy the quorum of the one before.
//
// Thread-safety: pure functions; the caller serialises access to one state.
#pragma once

#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "trust/envelope.h"
#include "trust/payload.h"
#include "trust/policy.h"
#include "trust/verify.h"

namespace keyward::trust {

inline constexpr std::string_view kPolicyKind = "keyward.policy/v1";

struct PolicyUpdatePayload {
  std::string ns;
  uint64_t version = 0;
  UnixSeconds issued = 0;
  std::string policy_text;
  bool operator==(const PolicyUpdatePayload&) const = default;
};
StatusOr<PolicyUpdatePayload> ParsePolicyUpdatePayload(ByteSpan json);
std::string SerializePolicyUpdatePayload(const PolicyUpdatePayload& payload);

// An unsigned policy-update envelope for `new_policy` (sign it with AddSignature by the old and
// the new quorum). InvalidArgument if new_policy is not over-the-air or version == 0.
StatusOr<Envelope> CreatePolicyUpdate(const TrustPolicy& new_policy, uint64_t version,
                                      UnixSeconds issued);

struct AppliedPolicyUpdate {
  TrustPolicy policy;  // the policy now in force
  uint64_t version = 0;
  bool redelivery = false;
  ConsistencyCheck consistency = ConsistencyCheck::kFirst;  // step 5's log consistency check
  std::string consistency_detail;
};
// See the rules above. `current` must be EffectivePolicy(configured, state). `state` changes only on
// success; the caller persists it with SaveState.
TrustResult<AppliedPolicyUpdate> ApplyPolicyUpdate(const TrustPolicy& current, ByteSpan delivered,
                                                   TrustState& state, UnixSeconds now,
                                                   ConsistencyFetcher* fetcher = nullptr);

// The policy in force: state.policy if an update was adopted, else `configured`. Fails if the
// stored text no longer parses (a corrupt state file: fix or delete it deliberately).
StatusOr<TrustPolicy> EffectivePolicy(const TrustPolicy& configured, const TrustState& state);

// For delivery paths that do not know what they received: the envelope's payloadType of a
// delivered container (kFleetsPayloadType or kPolicyPayloadType), or a malformed rejection.
TrustResult<std::string> DeliveredPayloadType(ByteSpan delivered);

}  // namespace keyward::trust
