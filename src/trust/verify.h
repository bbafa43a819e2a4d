// Client-side verification of delivered validation bundles (issue 5, DESIGN.md §5 "Client rules",
// docs/trust.md): the quorum of independent signers, countersignatures, namespace, freshness,
// audit-log inclusion under a witnessed checkpoint, epoch monotonicity and log consistency, with
// every rejection named by a stable code.
//
// VerifyBundle order (each step's failure code in brackets):
//   1. `now` is fixed once by the caller and used for every time check.
//   2. Parse strictly: delivered container, tlog-proof syntax, envelope, payloadType, payload
//      [malformed]. A pinned-mode policy cannot verify bundles [policy].
//   3. Signatures: a signature whose keyid is a policy signer must verify (strict Ed25519) over its
//      message, else [bad-signature]; unknown keyids are ignored (DSSE). Each signer counts once,
//      however often it signed. A countersignature counts only if the signature it covers is present
//      and valid (and, with `countersign A over B`, A counts only as a countersignature over B).
//      Bundle quorum not met → [countersignature] if some countersignature did not count because of
//      what it covers, else [single-organisation].
//   4. payload.namespace == policy namespace [namespace].
//   5. Freshness with the policy's clock skew: now > expires + skew [expired]; issued > now + skew
//      [not-yet-valid]; max-age set and now - issued > max-age + skew [stale].
//   6. tlog-proof (C2SP tlog-proof): checkpoint origin has a policy `log` [unknown-log]; the log
//      signature verifies [bad-signature]; verified witness cosignatures satisfy `quorum`
//      [witness-quorum]; the inclusion proof binds SHA-256(0x00 ‖ exact envelope bytes) at `index`
//      to the checkpoint root [not-logged].
//   7. Epoch vs the stored high-water mark of the namespace: lower [rollback]; equal with other
//      envelope bytes [equivocation]; equal with identical bytes is accepted (a re-delivery).
//   8. Checkpoint vs the one stored for the log origin: same size, other root [split-view]; other
//      size: with a fetcher, the consistency proof between the two sizes must verify [split-view];
//      only when the fetch fails does the offline rule apply, and the result says so
//      (ConsistencyCheck::kFetchFailed); offline, the witness quorum checked in step 6 vouches for
//      it. The stored checkpoint only ever grows.
//   9. Update `state` (in memory; the caller persists it with SaveState before using the fleets).
// `state` is modified only on success.
//
// Thread-safety: pure functions over their arguments; TrustState is a value (callers serialise
// access to one state file). A ConsistencyFetcher is called synchronously from the caller's thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/hash.h"
#include "tlog/merkle.h"
#include "tlog/proof_file.h"
#include "trust/envelope.h"
#include "trust/payload.h"
#include "trust/policy.h"

namespace keyward::trust {

// ---- Rejections --------------------------------------------------------------------------------

enum class Rejection {
  kMalformed,           // "malformed": syntax, sizes, duplicate keys, wrong payloadType/kind
  kPolicy,              // "policy": the policy cannot verify this (pinned mode), or an update's new
                        //   policy is invalid / for another mode
  kBadSignature,        // "bad-signature": a known key's signature (envelope or log) fails
  kSingleOrganisation,  // "single-organisation": the bundle quorum is not met by distinct keys
  kCountersignature,    // "countersignature": quorum missed because a countersignature covers a
                        //   missing or invalid signature
  kRotationQuorum,      // "rotation-quorum": a policy update lacks the old or the new bundle quorum
  kNamespace,           // "namespace": payload for another namespace
  kExpired,             // "expired": now > expires + skew
  kNotYetValid,         // "not-yet-valid": issued > now + skew
  kStale,               // "stale": issued longer ago than the policy's max-age
  kUnknownLog,          // "unknown-log": checkpoint origin/key not in the policy
  kWitnessQuorum,       // "witness-quorum": verified cosignatures do not satisfy `quorum`
  kNotLogged,           // "not-logged": the inclusion proof is not for these envelope bytes
  kRollback,            // "rollback": epoch (or policy version) below the stored one
  kEquivocation,        // "equivocation": same epoch (or version), different envelope bytes
  kSplitView,           // "split-view": checkpoint inconsistent with the stored one
  kRevoked,             // "revoked": the fleet is revoked (FindFleet callers)
};
// Stable lowercase code (the list above); never changes once released.
const char* RejectionCode(Rejection r);
// Inverse of RejectionCode; nullopt for unknown strings.
std::optional<Rejection> RejectionFromCode(std::string_view code);

struct RejectionInfo {
  Rejection code = Rejection::kMalformed;
  std::string message;  // what was wrong and what to do
  // "rejected: <code>: <message>"
  std::string ToString() const;
  // A Status carrying ToString() (kPermissionDenied; kInvalidArgument for kMalformed).
  Status ToStatus() const;
};

// A value or a named rejection.
template <typename T>
class TrustResult {
 public:
  TrustResult(T value) : value_(std::move(value)) {}                        // NOLINT
  TrustResult(RejectionInfo rejection) : rejection_(std::move(rejection)) {}  // NOLINT
  bool ok() const { return value_.has_value(); }
  const T& value() const& { KW_CHECK(ok()); return *value_; }
  T& value() & { KW_CHECK(ok()); return *value_; }
  T&& value() && { KW_CHECK(ok()); return std::move(*value_); }
  const T* operator->() const { return &value(); }
  const T& operator*() const& { return value(); }
  // REQUIRES !ok().
  const RejectionInfo& rejection() const { KW_CHECK(!ok()); return rejection_; }
  Status status() const { return ok() ? Status::Ok() : rejection_.ToStatus(); }

 private:
  std::optional<T> value_;
  RejectionInfo rejection_;
};

// ---- State ---------------------------------------------------------------------------------

// What a client remembers between verifications (one file per app installation).
struct NamespaceState {
  uint64_t epoch = 0;                  // highest accepted epoch
  crypto::Sha256Digest envelope_sha256{};  // SHA-256 of the envelope bytes accepted at `epoch`
  bool operator==(const NamespaceState&) const = default;
};
struct LogState {
  uint64_t size = 0;
  tlog::Hash root{};
  std::string checkpoint;  // the signed note, verbatim
  bool operator==(const LogState&) const = default;
};
// A policy adopted through trust/rotation.h; replaces the configured policy from then on.
struct AdoptedPolicy {
  uint64_t version = 0;
  std::string text;                    // TrustPolicy text
  crypto::Sha256Digest envelope_sha256{};  // of the accepted update envelope
  bool operator==(const AdoptedPolicy&) const = default;
};
struct TrustState {
  std::map<std::string, NamespaceState, std::less<>> namespaces;  // by namespace
  std::map<std::string, LogState, std::less<>> logs;              // by checkpoint origin
  std::optional<AdoptedPolicy> policy;
  bool operator==(const TrustState&) const = default;
};

// State file (JSON, docs/formats.md "State file"):
//   {"format":"keyward.trust-state/v1",
//    "namespaces":{"<ns>":{"epoch":7,"envelope_sha256":"<64 hex>"}},
//    "logs":{"<origin>":{"size":123,"root":"<base64>","checkpoint":"<note text>"}},
//    "policy":{"version":2,"envelope_sha256":"<64 hex>","text":"<policy text>"}}   (optional)
// Strict parse. A missing file is a fresh state (empty); any other read or parse error fails
// (never silently reset: that would re-open rollback).
StatusOr<TrustState> ParseState(std::string_view json);
std::string SerializeState(const TrustState& state);
StatusOr<TrustState> LoadState(const std::filesystem::path& path);
// Atomic replace: write <path>.tmp, fsync, rename over <path>, fsync the directory.
Status SaveState(const std::filesystem::path& path, const TrustState& state);

// ---- Verification ----------------------------------------------------------------------------

// Online consistency checks: fetches RFC 6962 consistency proofs from a log (e.g. its tlog-tiles
// endpoint: trust/online_consistency.h). Offline clients pass nullptr.
class ConsistencyFetcher {
 public:
  virtual ~ConsistencyFetcher() = default;
  // PROOF(old_size, new_size) of the log `origin` (`url` from the policy's log line, if any).
  // REQUIRES 0 < old_size < new_size.
  virtual StatusOr<std::vector<tlog::Hash>> FetchConsistencyProof(
      std::string_view origin, const std::optional<std::string>& url, uint64_t old_size,
      uint64_t new_size) = 0;
};

// How step 8 established that a checkpoint is consistent with the one stored for its log.
enum class ConsistencyCheck {
  kFirst,        // nothing stored for this log yet: the witnessed checkpoint is stored as is
  kSame,         // the stored checkpoint (same size and root)
  kProven,       // a consistency proof fetched online verified against both roots
  kOffline,      // other size, no fetcher (offline): the witness quorum of step 6 vouches for it
  kFetchFailed,  // other size, online, but the proof could not be fetched (the reason is in
                 //   consistency_detail): the offline rule was applied instead
};
// "first", "same", "proven", "offline", "fetch-failed".
const char* ConsistencyCheckName(ConsistencyCheck c);

struct VerifiedBundle {
  Payload payload;
  uint64_t epoch = 0;
  const std::vector<FleetEntry>& fleets() const { return payload.fleets; }
  crypto::Sha256Digest envelope_sha256{};
  std::vector<std::string> signers;    // policy names of the signers that counted
  std::vector<std::string> witnesses;  // policy names of the witnesses that cosigned
  std::string log_origin;
  uint64_t log_index = 0;
  uint64_t checkpoint_size = 0;
  bool redelivery = false;  // same epoch and bytes as already stored (state unchanged)
  ConsistencyCheck consistency = ConsistencyCheck::kFirst;
  std::string consistency_detail;  // for humans: sizes compared, or why the fetch failed
};

// See the order above. `delivered` is a trust/delivered.h container.
TrustResult<VerifiedBundle> VerifyBundle(const TrustPolicy& policy, ByteSpan delivered,
                                         TrustState& state, UnixSeconds now,
                                         ConsistencyFetcher* fetcher = nullptr);

// ---- Building blocks (shared with trust/rotation.h; usable by tools) ----------------------------

// Step 3 over an explicit signer set: which policy signer names counted. Rejects bad-signature;
// does not evaluate any quorum.
struct SignatureTally {
  std::set<std::string> counted;  // policy signer names
  bool countersignature_dropped = false;  // some countersignature covered a missing/invalid sig
};
TrustResult<SignatureTally> TallySignatures(const TrustPolicy& policy, const Envelope& envelope);

// Steps 6 and 8 for any envelope bytes: verifies the tlog-proof against the policy's logs and
// witnesses and checks (and, on success, updates) the stored checkpoint in `state`.
struct VerifiedInclusion {
  std::string origin;
  uint64_t index = 0;
  uint64_t size = 0;
  tlog::Hash root{};
  std::string checkpoint;
  std::vector<std::string> witnesses;
  ConsistencyCheck consistency = ConsistencyCheck::kFirst;  // set by the consistency step
  std::string consistency_detail;
};
TrustResult<VerifiedInclusion> VerifyInclusionAndConsistency(const TrustPolicy& policy,
                                                             ByteSpan envelope_bytes,
                                                             const tlog::TlogProof& proof,
                                                             TrustState& state,
                                                             ConsistencyFetcher* fetcher);

}  // namespace keyward::trust
