#include "tlog/policy.h"

#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"

namespace keyward::tlog {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// tlog-policy §Character set: 0x09, 0x0A, 0x20-0x7E and 0x80-0xFF only.
bool AllowedOctet(uint8_t c) { return c == 0x09 || c == 0x0A || (c >= 0x20 && c != 0x7F); }

}  // namespace

// ---- GroupSet ----------------------------------------------------------------------------------

Status GroupSet::AddLeaf(std::string_view name) {
  if (name.empty() || name == "none") return InvalidArgument("'" + std::string(name) + "' is a reserved name");
  if (names_.count(name)) return InvalidArgument("name '" + std::string(name) + "' is defined twice");
  if (names_.size() >= kMaxPolicyMembers) return ResourceExhausted("too many witnesses and groups");
  names_.insert(std::string(name));
  leaves_.emplace_back(name);
  return Status::Ok();
}

Status GroupSet::AddGroup(std::string_view name, size_t threshold, const std::vector<std::string>& members) {
  const std::string n(name);
  if (name.empty() || name == "none") return InvalidArgument("'" + n + "' is a reserved name");
  if (names_.count(name)) return InvalidArgument("name '" + n + "' is defined twice");
  if (names_.size() >= kMaxPolicyMembers) return ResourceExhausted("too many witnesses and groups");
  if (members.empty()) return InvalidArgument("group '" + n + "' has no members");
  if (threshold < 1 || threshold > members.size()) {
    return InvalidArgument("group '" + n + "' threshold must be between 1 and its " +
                           std::to_string(members.size()) + " members");
  }
  std::set<std::string, std::less<>> seen;
  for (const auto& m : members) {
    if (!names_.count(m)) {
      return InvalidArgument("group '" + n + "' member '" + m + "' is not defined on an earlier line");
    }
    if (used_as_member_.count(m) || seen.count(m)) {
      return InvalidArgument("'" + m + "' is already a group member; each name may be listed once");
    }
    seen.insert(m);
  }
  used_as_member_.insert(seen.begin(), seen.end());
  names_.insert(n);
  groups_.emplace(n, Group{threshold, members});
  return Status::Ok();
}

// fields = <name> ("all" | "any" | k) <member>+
Status GroupSet::AddGroupFromFields(std::span<const std::string_view> fields) {
  if (fields.size() < 3) return InvalidArgument("want: group <name> all|any|<k> <member>...");
  std::vector<std::string> members(fields.begin() + 2, fields.end());
  size_t k;
  if (fields[1] == "all") {
    k = members.size();
  } else if (fields[1] == "any") {
    k = 1;
  } else {
    auto v = ParseDecimalU64(fields[1]);
    if (!v.ok()) return InvalidArgument("group threshold must be all, any or a decimal number");
    k = static_cast<size_t>(std::min<uint64_t>(*v, SIZE_MAX));
  }
  return AddGroup(fields[0], k, members);
}

bool GroupSet::Contains(std::string_view name) const { return names_.count(name) > 0; }

bool GroupSet::IsLeaf(std::string_view name) const { return Contains(name) && !groups_.count(name); }

bool GroupSet::Satisfied(std::string_view name, const std::set<std::string>& present) const {
  if (name == "none") return true;
  auto g = groups_.find(name);
  if (g == groups_.end()) return IsLeaf(name) && present.count(std::string(name)) > 0;
  size_t have = 0;
  for (const auto& m : g->second.members) {
    // Members were defined before the group, so this recursion is bounded by the number of groups.
    if (Satisfied(m, present) && ++have >= g->second.threshold) return true;
  }
  return false;
}

// ---- Policy ------------------------------------------------------------------------------------

Status Policy::AddLog(std::string_view vkey, std::optional<std::string> url) {
  if (logs_.size() >= kMaxPolicyLogs) return ResourceExhausted("too many logs");
  ASSIGN_OR_RETURN(VerifierKey k, ParseVerifierKey(vkey));
  if (k.type != kSigTypeEd25519) {
    return InvalidArgument("log key '" + k.name + "' must be an Ed25519 note key (type 0x01)");
  }
  for (const auto& l : logs_) {
    if (ParseVerifierKey(l.vkey)->public_key == k.public_key) {
      return InvalidArgument("log key '" + k.name + "' duplicates another log's public key");
    }
  }
  ASSIGN_OR_RETURN(auto v, NoteVerifierFromKey(vkey));
  logs_.push_back({std::string(vkey), std::move(url), std::move(v)});
  return Status::Ok();
}

Status Policy::AddWitness(std::string_view name, std::string_view vkey, std::optional<std::string> url) {
  ASSIGN_OR_RETURN(VerifierKey k, ParseVerifierKey(vkey));
  if (k.type != kSigTypeCosignatureV1) {
    return InvalidArgument("witness '" + std::string(name) + "' key must be a cosignature/v1 key (type 0x04)");
  }
  for (const auto& w : witnesses_) {
    if (ParseVerifierKey(w.vkey)->public_key == k.public_key) {
      return InvalidArgument("witness '" + std::string(name) + "' duplicates the public key of '" + w.name + "'");
    }
  }
  RETURN_IF_ERROR(groups_.AddLeaf(name));
  ASSIGN_OR_RETURN(auto v, NoteVerifierFromKey(vkey));
  witnesses_.push_back({std::string(name), std::string(vkey), std::move(url), std::move(v)});
  return Status::Ok();
}

Status Policy::AddGroup(std::string_view name, size_t threshold, const std::vector<std::string>& members) {
  RETURN_IF_ERROR(groups_.AddGroup(name, threshold, members));
  std::string line = "group " + std::string(name) + " " + std::to_string(threshold);
  for (const auto& m : members) line += " " + m;
  group_lines_.push_back(std::move(line));
  return Status::Ok();
}

Status Policy::SetQuorum(std::string_view name) {
  if (quorum_set_) return InvalidArgument("a policy has exactly one quorum line");
  if (name != "none" && !groups_.Contains(name)) {
    return InvalidArgument("quorum '" + std::string(name) + "' is not a witness or group defined earlier");
  }
  quorum_ = std::string(name);
  quorum_set_ = true;
  return Status::Ok();
}

// policy = *line; line = log | witness | group | quorum | comment | empty   (C2SP tlog-policy)
StatusOr<Policy> Policy::Parse(std::string_view text) {
  if (text.size() > kMaxPolicyBytes) return ResourceExhausted("policy file is larger than 1 MiB");
  Policy p;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const auto at = [&](const Status& s) {
      return s.WithContext("policy line " + std::to_string(line_no));
    };
    for (char c : line) {
      if (!AllowedOctet(static_cast<uint8_t>(c))) {
        return at(InvalidArgument("control character (only tab and newline are allowed)"));
      }
    }
    auto f = Fields(line);
    if (f.empty() || f[0].starts_with("#")) continue;
    Status s;
    if (f[0] == "log" && (f.size() == 2 || f.size() == 3)) {
      s = p.AddLog(f[1], f.size() == 3 ? std::optional<std::string>(f[2]) : std::nullopt);
    } else if (f[0] == "witness" && (f.size() == 3 || f.size() == 4)) {
      s = p.AddWitness(f[1], f[2], f.size() == 4 ? std::optional<std::string>(f[3]) : std::nullopt);
    } else if (f[0] == "group") {
      std::vector<std::string_view> rest(f.begin() + 1, f.end());
      s = p.groups_.AddGroupFromFields(rest);
      if (s.ok()) p.group_lines_.emplace_back(line.substr(line.find("group")));
    } else if (f[0] == "quorum" && f.size() == 2) {
      s = p.SetQuorum(f[1]);
    } else {
      s = InvalidArgument("want 'log <vkey> [url]', 'witness <name> <vkey> [url]', "
                          "'group <name> all|any|<k> <members>' or 'quorum <name>|none'");
    }
    if (!s.ok()) return at(s);
  }
  if (!p.quorum_set_) return InvalidArgument("policy has no quorum line (use 'quorum none' for no witnesses)");
  return p;
}

std::string Policy::Format() const {
  std::string out;
  for (const auto& l : logs_) out += "log " + l.vkey + (l.url ? " " + *l.url : "") + "\n";
  for (const auto& w : witnesses_) out += "witness " + w.name + " " + w.vkey + (w.url ? " " + *w.url : "") + "\n";
  for (const auto& g : group_lines_) {
    std::string line;
    for (auto f : Fields(g)) line += (line.empty() ? "" : " ") + std::string(f);
    out += line + "\n";
  }
  out += "quorum " + quorum_ + "\n";
  return out;
}

NoteVerifierSet Policy::LogVerifiers() const {
  NoteVerifierSet s;
  for (const auto& l : logs_) s.Add(l.verifier);
  return s;
}

NoteVerifierSet Policy::WitnessVerifiers() const {
  NoteVerifierSet s;
  for (const auto& w : witnesses_) s.Add(w.verifier);
  return s;
}

std::vector<std::string> Policy::WitnessNamesFor(std::span<const NoteSignature> verified) const {
  std::vector<std::string> out;
  for (const auto& w : witnesses_) {
    for (const auto& sig : verified) {
      if (sig.name == w.verifier->name() && sig.key_id == w.verifier->key_id()) {
        out.push_back(w.name);
        break;
      }
    }
  }
  return out;
}

bool Policy::QuorumSatisfied(const std::set<std::string>& present) const {
  return quorum_set_ && groups_.Satisfied(quorum_, present);
}

}  // namespace keyward::tlog
