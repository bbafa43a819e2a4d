// AdoptDelivered: what a client (SDK, `keyward bundle verify`) does with delivered bytes, in one
// call: load the state file, pick the policy in force (EffectivePolicy), dispatch on the envelope's
// payloadType (fleets bundle → VerifyBundle, policy update → ApplyPolicyUpdate), and on acceptance
// save the state atomically BEFORE returning, so nothing is used that was not persisted.
//
// Errors come in two layers: the outer Status is a local failure (state file unreadable or corrupt,
// cannot write it) — the app should stop and surface it; the inner TrustResult is the verdict on
// the delivered bytes (a stable rejection code, see trust/verify.h).
//
// Thread-safety: the caller serialises calls for one state file (one process per state file).
#pragma once

#include <filesystem>
#include <optional>

#include "common/bytes.h"
#include "common/status.h"
#include "trust/policy.h"
#include "trust/verify.h"

namespace keyward::trust {

struct Adopted {
  // Set when the delivered bytes were a fleets bundle.
  std::optional<VerifiedBundle> bundle;
  // Set when they were a policy update: the adopted version.
  std::optional<uint64_t> policy_version;
  // The policy in force after this call (the configured one or the adopted update).
  TrustPolicy policy;
  // The state after this call (as saved).
  TrustState state;
};

StatusOr<TrustResult<Adopted>> AdoptDelivered(const TrustPolicy& configured, ByteSpan delivered,
                                              const std::filesystem::path& state_path,
                                              UnixSeconds now,
                                              ConsistencyFetcher* fetcher = nullptr);

}  // namespace keyward::trust
