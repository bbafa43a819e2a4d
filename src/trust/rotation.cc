#include "trust/rotation.h"

#include "trust/delivered.h"
#include "trust/json_util.h"
#include "trust/verify_internal.h"

namespace keyward::trust {
namespace {

using internal::Json;

RejectionInfo Reject(Rejection code, std::string message) { return {code, std::move(message)}; }

Json ToJson(const PolicyUpdatePayload& p) {
  Json j = Json::object();
  j["kind"] = kPolicyKind;
  j["namespace"] = p.ns;
  j["version"] = p.version;
  j["issued"] = FormatRfc3339Utc(p.issued);
  j["policy"] = p.policy_text;
  return j;
}

}  // namespace

// update-payload = {"kind": "keyward.policy/v1", "namespace": NS, "version": UINT (>= 1),
//                   "issued": RFC3339-UTC, "policy": TEXT}   canonical compact JSON
//                   (docs/formats.md "Policy update")
StatusOr<PolicyUpdatePayload> ParsePolicyUpdatePayload(ByteSpan json) {
  ASSIGN_OR_RETURN(Json j, internal::ParseStrictObject(json, kMaxPayloadBytes, "policy update"));
  RETURN_IF_ERROR(internal::ExpectKeys(j, {"kind", "namespace", "version", "issued", "policy"}, {},
                                       "policy update"));
  ASSIGN_OR_RETURN(std::string kind, internal::GetString(j, "kind", "policy update", 64));
  if (kind != kPolicyKind) {
    return InvalidArgument("policy update kind must be \"" + std::string(kPolicyKind) + "\"");
  }
  PolicyUpdatePayload p;
  ASSIGN_OR_RETURN(p.ns, internal::GetString(j, "namespace", "policy update", 128));
  RETURN_IF_ERROR(ValidateNamespaceName(p.ns).WithContext("policy update"));
  ASSIGN_OR_RETURN(p.version, internal::GetUint64(j, "version", "policy update"));
  if (p.version == 0) return InvalidArgument("policy update version must be at least 1");
  ASSIGN_OR_RETURN(std::string issued, internal::GetString(j, "issued", "policy update", 32));
  ASSIGN_OR_RETURN(p.issued, ParseRfc3339Utc(issued));
  ASSIGN_OR_RETURN(p.policy_text, internal::GetString(j, "policy", "policy update", kMaxPayloadBytes));
  if (internal::Dump(ToJson(p)) != AsChars(json)) {
    return InvalidArgument("policy update payload is not in canonical form; produce it with "
                           "`keyward policy update`");
  }
  return p;
}

std::string SerializePolicyUpdatePayload(const PolicyUpdatePayload& payload) {
  return internal::Dump(ToJson(payload));
}

StatusOr<Envelope> CreatePolicyUpdate(const TrustPolicy& new_policy, uint64_t version,
                                      UnixSeconds issued) {
  if (new_policy.mode() != TrustMode::kOverTheAir) {
    return InvalidArgument("a policy update must carry an over-the-air policy (signers and logs)");
  }
  if (version == 0) return InvalidArgument("policy update version must be at least 1");
  if (issued < 0 || issued > 253402300799) return InvalidArgument("issued time out of range");
  PolicyUpdatePayload p{new_policy.ns(), version, issued, new_policy.text()};
  std::string json = SerializePolicyUpdatePayload(p);
  if (json.size() > kMaxPayloadBytes) return ResourceExhausted("policy too large for an update");
  Envelope e;
  e.payload_type = std::string(kPolicyPayloadType);
  e.payload = ToBytes(json);
  return e;
}

TrustResult<AppliedPolicyUpdate> ApplyPolicyUpdate(const TrustPolicy& current, ByteSpan delivered,
                                                   TrustState& state, UnixSeconds now,
                                                   ConsistencyFetcher* fetcher) {
  if (current.mode() != TrustMode::kOverTheAir) {
    return Reject(Rejection::kPolicy, "a pinned-mode policy cannot be rotated by an update; ship a "
                                      "new policy with the app");
  }
  // 1. Parse.
  StatusOr<ParsedDelivered> parsed = ParseDeliveredBundleFull(delivered);
  if (!parsed.ok()) return Reject(Rejection::kMalformed, parsed.status().message());
  const Bytes& envelope_bytes = parsed->bundle.envelope;
  StatusOr<Envelope> env = ParseEnvelope(envelope_bytes);
  if (!env.ok()) return Reject(Rejection::kMalformed, env.status().message());
  if (env->payload_type != kPolicyPayloadType) {
    return Reject(Rejection::kMalformed, "envelope payloadType is not \"" +
                                             std::string(kPolicyPayloadType) + "\"");
  }
  StatusOr<PolicyUpdatePayload> payload = ParsePolicyUpdatePayload(env->payload);
  if (!payload.ok()) return Reject(Rejection::kMalformed, payload.status().message());
  StatusOr<TrustPolicy> next = TrustPolicy::Parse(payload->policy_text);
  if (!next.ok()) {
    return Reject(Rejection::kPolicy, "the updated policy is invalid: " + next.status().message());
  }
  if (next->mode() != TrustMode::kOverTheAir) {
    return Reject(Rejection::kPolicy, "the updated policy is not an over-the-air policy");
  }
  // 2. Namespace.
  if (payload->ns != current.ns() || next->ns() != current.ns()) {
    return Reject(Rejection::kNamespace, "the policy update is for namespace \"" + payload->ns +
                                             "\" / \"" + next->ns() + "\", the client's is \"" +
                                             current.ns() + "\"");
  }
  // 3. Both quorums.
  TrustResult<SignatureTally> old_tally = TallySignatures(current, *env);
  if (!old_tally.ok()) return old_tally.rejection();
  TrustResult<SignatureTally> new_tally = TallySignatures(*next, *env);
  if (!new_tally.ok()) return new_tally.rejection();
  if (!current.BundleQuorumSatisfied(old_tally->counted)) {
    return Reject(Rejection::kRotationQuorum,
                  "the policy update is not signed by the CURRENT policy's bundle quorum \"" +
                      current.bundle_quorum() + "\"; a rotation needs the old and the new quorum");
  }
  if (!next->BundleQuorumSatisfied(new_tally->counted)) {
    return Reject(Rejection::kRotationQuorum,
                  "the policy update is not signed by the NEW policy's bundle quorum \"" +
                      next->bundle_quorum() + "\"; a rotation needs the old and the new quorum");
  }
  // 4. Time.
  if (payload->issued > now + current.clock_skew()) {
    return Reject(Rejection::kNotYetValid, "the policy update is issued at " +
                                               FormatRfc3339Utc(payload->issued) +
                                               ", in the future; check the device clock");
  }
  // 5. Logged under the current policy's logs and witnesses.
  TrustResult<VerifiedInclusion> inc = internal::VerifyInclusionOnly(
      current, envelope_bytes, parsed->proof, std::move(parsed->note), parsed->checkpoint);
  if (!inc.ok()) return inc.rejection();
  // 6. Version.
  crypto::Sha256Digest digest = crypto::Sha256(envelope_bytes);
  uint64_t have = state.policy ? state.policy->version : 0;
  bool redelivery = false;
  if (payload->version < have) {
    return Reject(Rejection::kRollback, "policy update version " + std::to_string(payload->version) +
                                            " is below the adopted version " + std::to_string(have));
  }
  if (payload->version == have) {
    if (!state.policy || state.policy->envelope_sha256 != digest) {
      return Reject(Rejection::kEquivocation, "a different policy update with version " +
                                                  std::to_string(have) + " was adopted before");
    }
    redelivery = true;
  }
  TrustState work = state;
  if (auto r = internal::CheckConsistency(current, inc.value(), work, fetcher)) return *r;
  work.policy = AdoptedPolicy{payload->version, payload->policy_text, digest};
  state = std::move(work);
  return AppliedPolicyUpdate{std::move(*next), payload->version, redelivery, inc->consistency,
                             inc->consistency_detail};
}

StatusOr<TrustPolicy> EffectivePolicy(const TrustPolicy& configured, const TrustState& state) {
  if (!state.policy) return configured;
  StatusOr<TrustPolicy> p = TrustPolicy::Parse(state.policy->text);
  if (!p.ok()) {
    return p.status().WithContext("the policy adopted in the trust state (version " +
                                  std::to_string(state.policy->version) +
                                  ") no longer parses; restore or delete the state deliberately");
  }
  if (p->ns() != configured.ns()) {
    return FailedPrecondition("the trust state holds a policy for namespace " + p->ns() +
                              ", but the configured policy is for " + configured.ns() +
                              "; use a state file per namespace");
  }
  return p;
}

TrustResult<std::string> DeliveredPayloadType(ByteSpan delivered) {
  StatusOr<ParsedDelivered> parsed = ParseDeliveredBundleFull(delivered);
  if (!parsed.ok()) return Reject(Rejection::kMalformed, parsed.status().message());
  StatusOr<Envelope> env = ParseEnvelope(parsed->bundle.envelope);
  if (!env.ok()) return Reject(Rejection::kMalformed, env.status().message());
  return env->payload_type;
}

}  // namespace keyward::trust
