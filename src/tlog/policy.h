// C2SP tlog-policy: which logs are accepted and which witness cosignatures form a quorum.
//
//   log <vkey> [<url>]
//   witness <name> <vkey> [<url>]
//   group <name> all|any|<k> <member>...    members defined on earlier lines, each listed once
//   quorum <name>|none                       exactly one
//   # comments, empty lines; whitespace = spaces and tabs; octets ≥ 0x80 are opaque
//
// GroupSet is the reusable threshold-group evaluator (the trust policy's `signer` and
// `bundle-quorum` lines use the same logic with signers as leaves). Policy = logs + witnesses +
// GroupSet + the quorum name.
//
// Limits: at most kMaxPolicyLogs logs, kMaxPolicyMembers witnesses and kMaxPolicyMembers groups
// (the spec recommends supporting ≥ 32 each).
//
// Thread-safety: immutable after parsing; const methods are safe concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tlog/note.h"

namespace keyward::tlog {

constexpr size_t kMaxPolicyLogs = 64;
constexpr size_t kMaxPolicyMembers = 256;
constexpr size_t kMaxPolicyBytes = 1 << 20;

// Named leaves (witnesses, signers) and threshold groups over earlier-defined names.
// Invariants: names unique across leaves and groups; "none" is reserved; a group's members were
// defined before it and each name is a member of at most one group (so every leaf counts once).
class GroupSet {
 public:
  // A leaf that is "present" when its name is in the evaluated set.
  Status AddLeaf(std::string_view name);
  // threshold: k with 1 <= k <= members.size().
  Status AddGroup(std::string_view name, size_t threshold, const std::vector<std::string>& members);
  // Parses the fields after "group": <name> all|any|<k> <member>... and adds the group.
  Status AddGroupFromFields(std::span<const std::string_view> fields);

  bool Contains(std::string_view name) const;
  bool IsLeaf(std::string_view name) const;
  // True iff `name` (a leaf or group; "none" is always satisfied) is satisfied by `present`.
  // Unknown names are never satisfied.
  bool Satisfied(std::string_view name, const std::set<std::string>& present) const;
  const std::vector<std::string>& leaves() const { return leaves_; }

 private:
  struct Group {
    size_t threshold;
    std::vector<std::string> members;
  };
  std::vector<std::string> leaves_;
  std::map<std::string, Group, std::less<>> groups_;
  std::set<std::string, std::less<>> names_;
  std::set<std::string, std::less<>> used_as_member_;
};

struct PolicyLog {
  std::string vkey;
  std::optional<std::string> url;
  std::shared_ptr<const NoteVerifier> verifier;
};
struct PolicyWitness {
  std::string name;  // policy name (not necessarily the key name)
  std::string vkey;
  std::optional<std::string> url;
  std::shared_ptr<const NoteVerifier> verifier;
};

class Policy {
 public:
  // Strict parse; errors cite the line number and say what to fix.
  static StatusOr<Policy> Parse(std::string_view text);
  // Canonical text (log, witness, group lines, quorum), parseable by Parse.
  std::string Format() const;

  const std::vector<PolicyLog>& logs() const { return logs_; }
  const std::vector<PolicyWitness>& witnesses() const { return witnesses_; }
  const GroupSet& groups() const { return groups_; }
  const std::string& quorum() const { return quorum_; }  // "none" or a defined name

  NoteVerifierSet LogVerifiers() const;
  NoteVerifierSet WitnessVerifiers() const;
  // Maps verified cosignature (key name, key ID) pairs to witness policy names.
  std::vector<std::string> WitnessNamesFor(std::span<const NoteSignature> verified) const;
  // True iff the witnesses named in `present` (policy names) satisfy the quorum.
  bool QuorumSatisfied(const std::set<std::string>& present) const;

  // Builders (for programs that construct policies, e.g. tests and `keyward keygen`).
  Status AddLog(std::string_view vkey, std::optional<std::string> url = std::nullopt);
  Status AddWitness(std::string_view name, std::string_view vkey,
                    std::optional<std::string> url = std::nullopt);
  Status AddGroup(std::string_view name, size_t threshold, const std::vector<std::string>& members);
  Status SetQuorum(std::string_view name);

 private:
  std::vector<PolicyLog> logs_;
  std::vector<PolicyWitness> witnesses_;
  std::vector<std::string> group_lines_;  // for Format(), in definition order
  GroupSet groups_;
  std::string quorum_;
  bool quorum_set_ = false;
};

}  // namespace keyward::tlog
