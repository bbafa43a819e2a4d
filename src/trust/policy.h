// TrustPolicy: everything a client pins (DESIGN.md §5 "Policy", docs/formats.md): the namespace,
// and either the fleet keys themselves (pinned mode) or the bundle signers, the audit logs and the
// witnesses whose quorums make a validation bundle acceptable (over-the-air mode).
//
// Text grammar (line-oriented, a superset of C2SP tlog-policy and of the pinned format of
// trust/pinned.h, which stays valid):
//
//   # comment; blank lines ignored; tokens separated by spaces/tabs; no CR or NUL
//   namespace <NS>                      exactly once (grammar of trust/pinned.h)
//   signer <NAME> <VKEY>                bundle signer; VKEY a type-0x01 C2SP vkey, unique
//   log <VKEY> [<URL>]                  audit log (tlog-policy); key name = checkpoint origin
//   witness <NAME> <VKEY> [<URL>]       witness cosigner (tlog-policy; cosignature/v1 key, type 0x04)
//   group <NAME> all|any|<K> <MEMBER>...  threshold group over earlier-defined names, all signers
//                                       (or signer groups) or all witnesses (or witness groups);
//                                       each name a member of at most one group
//   bundle-quorum <NAME>                the signer or signer group a bundle must satisfy
//   quorum <NAME>|none                  the witness (group) a checkpoint must satisfy (tlog-policy)
//   countersign <A> over <B>            signer A counts only as a countersignature over B's signature
//   fleet <ID> <KEY>                    pinned mode: an accepted fleet key (trust/pinned.h)
//   max-age <DURATION>                  reject bundles issued longer ago than this (optional)
//   clock-skew <DURATION>               tolerance for issued/expires (default 5m, at most 1d)
//   DURATION = <decimal>(s|m|h|d), e.g. 300s, 5m, 12h, 30d
//
// Modes: a policy with `fleet` lines is pinned (no signer/log/witness/group/bundle-quorum/quorum/
// countersign lines allowed); otherwise it is over-the-air and needs >= 1 signer, >= 1 log,
// exactly one bundle-quorum and exactly one quorum. Names are unique across signers, witnesses and
// groups. Errors cite the line number and say what to fix. A default deployment:
//
//   namespace example.com/app
//   signer org-a org-a.example+1a2b3c4d+AQ...
//   signer org-b org-b.example+5e6f7a8b+AQ...
//   signer emergency-1 ...
//   signer emergency-2 ...
//   group main all org-a org-b
//   group emergency all emergency-1 emergency-2
//   group signers any main emergency
//   bundle-quorum signers
//   log log.example+0badc0de+AQ... https://log.example/
//   witness w1 w1.example+...+BA...
//   witness w2 w2.example+...+BA...
//   group witnesses 2 w1 w2
//   quorum witnesses
//   max-age 30d
//   clock-skew 5m
//
// Thread-safety: immutable after parsing; const methods safe concurrently.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"
#include "tlog/policy.h"
#include "trust/payload.h"
#include "trust/pinned.h"

namespace keyward::trust {

inline constexpr UnixSeconds kDefaultClockSkew = 300;
inline constexpr UnixSeconds kMaxClockSkew = 86400;
inline constexpr size_t kMaxPolicySigners = 64;

enum class TrustMode { kPinned, kOverTheAir };

struct PolicySigner {
  std::string name;   // policy name (leaf of the signer groups)
  std::string vkey;   // as written
  std::string keyid;  // "<key name>+<hex8>", what envelopes carry
  crypto::Ed25519PublicKey public_key{};
};

// "30d" → 2592000. InvalidArgument otherwise (at most 100 years).
StatusOr<UnixSeconds> ParseDuration(std::string_view text);
std::string FormatDuration(UnixSeconds seconds);  // largest exact unit

class TrustPolicy {
 public:
  static StatusOr<TrustPolicy> Parse(std::string_view text);
  // Reads and parses a file; errors name the path.
  static StatusOr<TrustPolicy> Load(const std::filesystem::path& path);
  // Canonical text (parseable; comments dropped). Parse(Format()) describes the same policy.
  std::string Format() const;
  // The exact text this policy was parsed from (Format() for built policies).
  const std::string& text() const { return text_; }

  TrustMode mode() const { return mode_; }
  const std::string& ns() const { return ns_; }

  // Pinned mode only (nullptr otherwise): the fleet keys, for the vault client's key check.
  const PinnedPolicy* pinned() const { return pinned_ ? &*pinned_ : nullptr; }

  // Over-the-air mode.
  const std::vector<PolicySigner>& signers() const { return signers_; }
  const PolicySigner* FindSignerByKeyId(std::string_view keyid) const;  // nullptr if unknown
  const PolicySigner* FindSignerByName(std::string_view name) const;
  const std::string& bundle_quorum() const { return bundle_quorum_; }
  // True iff the signers named in `present` (policy names) satisfy the bundle quorum.
  bool BundleQuorumSatisfied(const std::set<std::string>& present) const;
  // `countersign A over B` rules as (A, B) signer names.
  const std::vector<std::pair<std::string, std::string>>& countersign_rules() const {
    return countersign_rules_;
  }
  // The B of `countersign <signer_name> over B`, or nullptr if the signer signs plainly.
  const std::string* CountersignTarget(std::string_view signer_name) const;
  // The log, witness and quorum lines as a C2SP tlog-policy (for tlog::VerifyTlogProof).
  const tlog::Policy& log_policy() const { return *log_policy_; }

  std::optional<UnixSeconds> max_age() const { return max_age_; }
  UnixSeconds clock_skew() const { return clock_skew_; }

 private:
  TrustPolicy() = default;
  std::string text_;
  TrustMode mode_ = TrustMode::kPinned;
  std::string ns_;
  std::optional<PinnedPolicy> pinned_;
  std::vector<PolicySigner> signers_;
  tlog::GroupSet signer_groups_;
  std::vector<std::string> lines_;  // normalized directive lines, for Format()
  std::string bundle_quorum_;
  std::vector<std::pair<std::string, std::string>> countersign_rules_;
  std::shared_ptr<const tlog::Policy> log_policy_ = std::make_shared<tlog::Policy>();
  std::optional<UnixSeconds> max_age_;
  UnixSeconds clock_skew_ = kDefaultClockSkew;
};

}  // namespace keyward::trust
