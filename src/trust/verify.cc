#include "trust/verify.h"

#include "crypto/ed25519.h"
#include "tlog/checkpoint.h"
#include "tlog/note.h"
#include "trust/delivered.h"
#include "trust/verify_internal.h"

namespace keyward::trust {
namespace {

RejectionInfo Reject(Rejection code, std::string message) { return {code, std::move(message)}; }

std::string JoinNames(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace

const char* ConsistencyCheckName(ConsistencyCheck c) {
  switch (c) {
    case ConsistencyCheck::kFirst: return "first";
    case ConsistencyCheck::kSame: return "same";
    case ConsistencyCheck::kProven: return "proven";
    case ConsistencyCheck::kOffline: return "offline";
    case ConsistencyCheck::kFetchFailed: return "fetch-failed";
  }
  return "offline";
}

TrustResult<SignatureTally> TallySignatures(const TrustPolicy& policy, const Envelope& envelope) {
  SignatureTally tally;
  if (policy.mode() != TrustMode::kOverTheAir) {
    return Reject(Rejection::kPolicy, "a pinned-mode policy has no signers");
  }
  Bytes pae = Pae(envelope.payload_type, envelope.payload);
  // Pass 1: plain signatures by policy signers must all verify.
  std::set<std::string> valid_plain;  // keyids
  for (const Signature& sig : envelope.signatures) {
    if (sig.countersigns) continue;
    const PolicySigner* signer = policy.FindSignerByKeyId(sig.keyid);
    if (signer == nullptr) continue;  // unknown keys are ignored (DSSE)
    if (sig.sig.size() != 64 || !crypto::Ed25519Verify(signer->public_key, pae,
                                                       std::span<const uint8_t, 64>(sig.sig.data(), 64))) {
      return Reject(Rejection::kBadSignature,
                    "the signature by " + sig.keyid + " (signer " + signer->name +
                        ") does not verify over this envelope; the bundle was altered or "
                        "mis-signed: do not use it");
    }
    valid_plain.insert(sig.keyid);
    if (policy.CountersignTarget(signer->name) == nullptr) tally.counted.insert(signer->name);
  }
  // Pass 2: countersignatures.
  for (const Signature& sig : envelope.signatures) {
    if (!sig.countersigns) continue;
    const PolicySigner* signer = policy.FindSignerByKeyId(sig.keyid);
    if (signer == nullptr) continue;
    StatusOr<Bytes> msg = SignedMessage(envelope, sig);
    if (!msg.ok()) {  // covers a signature that is not in the envelope
      tally.countersignature_dropped = true;
      continue;
    }
    if (sig.sig.size() != 64 || !crypto::Ed25519Verify(signer->public_key, *msg,
                                                       std::span<const uint8_t, 64>(sig.sig.data(), 64))) {
      return Reject(Rejection::kBadSignature,
                    "the countersignature by " + sig.keyid + " (signer " + signer->name +
                        ") does not verify; the bundle was altered or mis-signed: do not use it");
    }
    const PolicySigner* covered = policy.FindSignerByKeyId(*sig.countersigns);
    if (covered == nullptr || valid_plain.count(*sig.countersigns) == 0) {
      tally.countersignature_dropped = true;  // what it covers cannot be validated
      continue;
    }
    const std::string* target = policy.CountersignTarget(signer->name);
    if (target != nullptr && *target != covered->name) {
      tally.countersignature_dropped = true;  // the policy wants it over someone else
      continue;
    }
    tally.counted.insert(signer->name);
  }
  return tally;
}

namespace internal {

TrustResult<VerifiedInclusion> VerifyInclusionOnly(const TrustPolicy& policy, ByteSpan envelope_bytes,
                                                   const tlog::TlogProof& proof) {
  StatusOr<tlog::Note> note = tlog::ParseNote(proof.checkpoint);
  if (!note.ok()) return Reject(Rejection::kMalformed, "tlog-proof checkpoint: " + note.status().message());
  StatusOr<tlog::Checkpoint> cp = tlog::ParseCheckpoint(note->text);
  if (!cp.ok()) return Reject(Rejection::kMalformed, "tlog-proof checkpoint: " + cp.status().message());
  return VerifyInclusionOnly(policy, envelope_bytes, proof, std::move(*note), *cp);
}

TrustResult<VerifiedInclusion> VerifyInclusionOnly(const TrustPolicy& policy, ByteSpan envelope_bytes,
                                                   const tlog::TlogProof& proof, tlog::Note note_value,
                                                   const tlog::Checkpoint& checkpoint) {
  const tlog::Policy& lp = policy.log_policy();
  tlog::Note* note = &note_value;
  const tlog::Checkpoint* cp = &checkpoint;
  // The note is parsed once here and verified with tlog::VerifyNote (what tlog::OpenCheckpoint
  // does, with each failure mapped to its own rejection code).
  const tlog::NoteVerifierSet log_keys = lp.LogVerifiers();
  tlog::NoteVerifierSet known;
  bool origin_known = false, key_known = false;
  for (const auto& v : log_keys.verifiers()) {
    if (v->name() != cp->origin) continue;
    origin_known = true;
    known.Add(v);
    for (const tlog::NoteSignature& s : note->signatures) {
      if (s.name == v->name() && s.key_id == v->key_id()) key_known = true;
    }
  }
  if (!origin_known) {
    return Reject(Rejection::kUnknownLog, "the checkpoint's origin \"" + cp->origin.substr(0, 80) +
                                              "\" is not a log of the trust policy");
  }
  if (!key_known) {
    return Reject(Rejection::kUnknownLog, "the checkpoint of \"" + cp->origin.substr(0, 80) +
                                              "\" is not signed by the log key the policy pins");
  }
  const tlog::NoteVerifierSet witness_keys = lp.WitnessVerifiers();
  for (const auto& v : witness_keys.verifiers()) known.Add(v);
  StatusOr<tlog::OpenedNote> opened = tlog::VerifyNote(std::move(*note), known);
  if (!opened.ok()) {
    return Reject(Rejection::kBadSignature, "tlog-proof checkpoint: " + opened.status().message());
  }
  std::vector<tlog::NoteSignature> cosignatures;
  for (tlog::NoteSignature& sig : opened->verified) {
    bool is_log = false;
    for (const auto& v : log_keys.verifiers()) {
      if (v->name() == sig.name && v->key_id() == sig.key_id) is_log = true;
    }
    if (!is_log) cosignatures.push_back(std::move(sig));
  }
  std::vector<std::string> witnesses = lp.WitnessNamesFor(cosignatures);
  std::set<std::string> present(witnesses.begin(), witnesses.end());
  if (!lp.QuorumSatisfied(present)) {
    return Reject(Rejection::kWitnessQuorum,
                  "the checkpoint lacks the witness quorum \"" + lp.quorum() +
                      "\" (valid cosignatures from: " + JoinNames(present) +
                      "); wait for the witnesses to cosign and fetch the bundle again");
  }
  tlog::Hash leaf = tlog::LeafHash(envelope_bytes);
  Status inc = tlog::VerifyInclusion(proof.index, cp->size, leaf, proof.inclusion, cp->root);
  if (!inc.ok()) {
    return Reject(Rejection::kNotLogged,
                  "the tlog-proof does not show these envelope bytes at index " +
                      std::to_string(proof.index) + " of the log (" + inc.message() + ")");
  }
  VerifiedInclusion out;
  out.origin = cp->origin;
  out.index = proof.index;
  out.size = cp->size;
  out.root = cp->root;
  out.checkpoint = proof.checkpoint;
  out.witnesses = std::move(witnesses);
  return out;
}

std::optional<RejectionInfo> CheckConsistency(const TrustPolicy& policy, VerifiedInclusion& inc,
                                              TrustState& state, ConsistencyFetcher* fetcher) {
  auto it = state.logs.find(inc.origin);
  if (it == state.logs.end()) {
    state.logs[inc.origin] = {inc.size, inc.root, inc.checkpoint};
    inc.consistency = ConsistencyCheck::kFirst;
    inc.consistency_detail = "first checkpoint stored for this log (size " + std::to_string(inc.size) + ")";
    return std::nullopt;
  }
  LogState& stored = it->second;
  auto split = [&](const std::string& why) {
    return Reject(Rejection::kSplitView,
                  "the log \"" + inc.origin + "\" shows this client a checkpoint (size " +
                      std::to_string(inc.size) + ") inconsistent with the one it stored (size " +
                      std::to_string(stored.size) + "): " + why +
                      ". The log or its witnesses equivocate: report it and keep the stored state");
  };
  if (inc.size == stored.size) {
    if (inc.root != stored.root) return split("same size, different root");
    inc.consistency = ConsistencyCheck::kSame;
    inc.consistency_detail = "the stored checkpoint (size " + std::to_string(inc.size) + ")";
    return std::nullopt;
  }
  const uint64_t lo = std::min(inc.size, stored.size), hi = std::max(inc.size, stored.size);
  const std::string sizes = "sizes " + std::to_string(lo) + " and " + std::to_string(hi);
  if (fetcher == nullptr) {
    inc.consistency = ConsistencyCheck::kOffline;
    inc.consistency_detail = "offline: " + sizes + " not compared; the witness quorum vouches for the checkpoint";
  } else if (lo == 0) {
    inc.consistency = ConsistencyCheck::kProven;  // every tree extends the empty one
    inc.consistency_detail = "the stored tree is empty";
  } else {
    std::optional<std::string> url;
    for (const tlog::PolicyLog& l : policy.log_policy().logs()) {
      if (l.verifier->name() == inc.origin) url = l.url;
    }
    const tlog::Hash& lo_root = inc.size < stored.size ? inc.root : stored.root;
    const tlog::Hash& hi_root = inc.size < stored.size ? stored.root : inc.root;
    StatusOr<std::vector<tlog::Hash>> proof = fetcher->FetchConsistencyProof(inc.origin, url, lo, hi);
    if (proof.ok()) {
      Status s = tlog::VerifyConsistency(lo, hi, lo_root, hi_root, *proof,
                                         tlog::ConsistencyFromZero::kAcceptEmptyProof);
      if (!s.ok()) return split("the consistency proof between " + sizes + " fails (" + s.message() + ")");
      inc.consistency = ConsistencyCheck::kProven;
      inc.consistency_detail = "consistency proof between " + sizes + " fetched and verified";
    } else {
      // Only a failed fetch falls back to the offline rule, and the result says so.
      inc.consistency = ConsistencyCheck::kFetchFailed;
      inc.consistency_detail = "could not fetch a consistency proof between " + sizes + " (" +
                               proof.status().message() +
                               "); accepted on the witness quorum (offline rule)";
    }
  }
  if (inc.size > stored.size) stored = {inc.size, inc.root, inc.checkpoint};
  return std::nullopt;
}

}  // namespace internal

TrustResult<VerifiedInclusion> VerifyInclusionAndConsistency(const TrustPolicy& policy,
                                                             ByteSpan envelope_bytes,
                                                             const tlog::TlogProof& proof,
                                                             TrustState& state,
                                                             ConsistencyFetcher* fetcher) {
  if (policy.mode() != TrustMode::kOverTheAir) {
    return Reject(Rejection::kPolicy, "a pinned-mode policy pins no logs");
  }
  TrustResult<VerifiedInclusion> inc = internal::VerifyInclusionOnly(policy, envelope_bytes, proof);
  if (!inc.ok()) return inc;
  TrustState work = state;
  if (auto r = internal::CheckConsistency(policy, inc.value(), work, fetcher)) return *r;
  state = std::move(work);
  return inc;
}

TrustResult<VerifiedBundle> VerifyBundle(const TrustPolicy& policy, ByteSpan delivered,
                                         TrustState& state, UnixSeconds now,
                                         ConsistencyFetcher* fetcher) {
  // 1. `now` is fixed by the caller. 2. Parse strictly.
  if (policy.mode() != TrustMode::kOverTheAir) {
    return Reject(Rejection::kPolicy, "the trust policy is in pinned mode; validation bundles need "
                                      "an over-the-air policy (signer, log and quorum lines)");
  }
  StatusOr<ParsedDelivered> parsed = ParseDeliveredBundleFull(delivered);
  if (!parsed.ok()) return Reject(Rejection::kMalformed, parsed.status().message());
  const Bytes& envelope_bytes = parsed->bundle.envelope;
  StatusOr<Envelope> env = ParseEnvelope(envelope_bytes);
  if (!env.ok()) return Reject(Rejection::kMalformed, env.status().message());
  if (env->payload_type != kFleetsPayloadType) {
    return Reject(Rejection::kMalformed, "envelope payloadType is \"" + env->payload_type.substr(0, 80) +
                                             "\", not \"" + std::string(kFleetsPayloadType) +
                                             "\" (policy updates go through ApplyPolicyUpdate)");
  }
  StatusOr<Payload> payload = ParsePayload(env->payload);
  if (!payload.ok()) return Reject(Rejection::kMalformed, payload.status().message());

  // 3. Signatures and the bundle quorum.
  TrustResult<SignatureTally> tally = TallySignatures(policy, *env);
  if (!tally.ok()) return tally.rejection();
  if (!policy.BundleQuorumSatisfied(tally->counted)) {
    if (tally->countersignature_dropped) {
      return Reject(Rejection::kCountersignature,
                    "the bundle quorum \"" + policy.bundle_quorum() +
                        "\" is not met: a countersignature covers a signature that is missing or "
                        "not valid under the policy (counted signers: " + JoinNames(tally->counted) + ")");
    }
    return Reject(Rejection::kSingleOrganisation,
                  "the bundle quorum \"" + policy.bundle_quorum() +
                      "\" is not met by distinct keys (counted signers: " + JoinNames(tally->counted) +
                      "); one organisation alone cannot make a client accept fleets");
  }
  // 4. Namespace.
  if (payload->ns != policy.ns()) {
    return Reject(Rejection::kNamespace, "the bundle is for namespace \"" + payload->ns +
                                             "\", the policy for \"" + policy.ns() + "\"");
  }
  // 5. Freshness.
  const UnixSeconds skew = policy.clock_skew();
  if (now > payload->expires + skew) {
    return Reject(Rejection::kExpired, "the bundle expired at " + FormatRfc3339Utc(payload->expires) +
                                           "; fetch a newer one (or check the device clock)");
  }
  if (payload->issued > now + skew) {
    return Reject(Rejection::kNotYetValid, "the bundle is issued at " +
                                               FormatRfc3339Utc(payload->issued) +
                                               ", in the future; check the device clock");
  }
  if (policy.max_age() && now - payload->issued > *policy.max_age() + skew) {
    return Reject(Rejection::kStale, "the bundle was issued at " + FormatRfc3339Utc(payload->issued) +
                                         ", longer ago than the policy's max-age " +
                                         FormatDuration(*policy.max_age()) + "; fetch a newer one");
  }
  // 6. tlog-proof.
  TrustResult<VerifiedInclusion> inc = internal::VerifyInclusionOnly(
      policy, envelope_bytes, parsed->proof, std::move(parsed->note), parsed->checkpoint);
  if (!inc.ok()) return inc.rejection();
  // 7. Epoch.
  crypto::Sha256Digest digest = crypto::Sha256(envelope_bytes);
  bool redelivery = false;
  if (auto it = state.namespaces.find(payload->ns); it != state.namespaces.end()) {
    if (payload->epoch < it->second.epoch) {
      return Reject(Rejection::kRollback, "the bundle's epoch " + std::to_string(payload->epoch) +
                                              " is below the epoch " + std::to_string(it->second.epoch) +
                                              " this client already accepted");
    }
    if (payload->epoch == it->second.epoch) {
      if (digest != it->second.envelope_sha256) {
        return Reject(Rejection::kEquivocation,
                      "a different bundle with the same epoch " + std::to_string(payload->epoch) +
                          " was accepted before; the signers equivocate: report it");
      }
      redelivery = true;
    }
  }
  // 8. Consistency with the stored checkpoint.
  TrustState work = state;
  if (auto r = internal::CheckConsistency(policy, inc.value(), work, fetcher)) return *r;
  // 9. Update the state.
  work.namespaces[payload->ns] = {payload->epoch, digest};
  state = std::move(work);

  VerifiedBundle out;
  out.epoch = payload->epoch;
  out.payload = std::move(*payload);
  out.envelope_sha256 = digest;
  out.signers.assign(tally->counted.begin(), tally->counted.end());
  out.witnesses = inc->witnesses;
  out.log_origin = inc->origin;
  out.log_index = inc->index;
  out.checkpoint_size = inc->size;
  out.redelivery = redelivery;
  out.consistency = inc->consistency;
  out.consistency_detail = inc->consistency_detail;
  return out;
}

}  // namespace keyward::trust
