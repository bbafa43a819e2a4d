#include "trust/policy.h"

#include <algorithm>

#include "tlog/checkpoint.h"
#include "tlog/note.h"
#include "trust/envelope.h"
#include "trust/json_util.h"

namespace keyward::trust {
namespace {

constexpr size_t kMaxPolicyBytes = 1 << 20;
constexpr UnixSeconds kMaxDuration = UnixSeconds{100} * 366 * 86400;

std::vector<std::string_view> Tokens(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

bool IsPinnedKeyword(std::string_view k) { return k == "namespace" || k == "fleet"; }

}  // namespace

// DURATION = 1*DIGIT ("s" / "m" / "h" / "d"), no leading zeros, at most 100 years.
StatusOr<UnixSeconds> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("duration \"" + std::string(text.substr(0, 32)) +
                           "\" must be a decimal number and a unit s, m, h or d (e.g. 300s, 12h, 30d)");
  };
  if (text.size() < 2 || text.size() > 12) return bad();
  char unit = text.back();
  std::string_view digits = text.substr(0, text.size() - 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      (digits.size() > 1 && digits[0] == '0')) {
    return bad();
  }
  int64_t n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  int64_t mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
  if (mult == 0) return bad();
  if (n > kMaxDuration / mult) return InvalidArgument("duration is longer than 100 years");
  return n * mult;
}

std::string FormatDuration(UnixSeconds s) {
  if (s != 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

// policy = *( line LF ); line = blank / comment / directive (see trust/policy.h; C2SP tlog-policy
// for log, witness, group and quorum).
StatusOr<TrustPolicy> TrustPolicy::Parse(std::string_view text) {
  if (text.size() > kMaxPolicyBytes) return ResourceExhausted("trust policy larger than 1 MiB");
  if (!internal::IsValidUtf8(text)) {
    return InvalidArgument("trust policy is not valid UTF-8; save it as UTF-8 text");
  }
  TrustPolicy p;
  p.text_ = std::string(text);
  auto lp = std::make_shared<tlog::Policy>();
  bool has_fleet = false, has_namespace = false, has_bundle_quorum = false, has_quorum = false,
       has_skew = false;
  size_t first_ota_line = 0;
  std::string first_ota_keyword;
  std::vector<std::string> lines;
  size_t line_no = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    ++line_no;
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    auto at = [&](const Status& s) {
      return Status(s.code() == ErrorCode::kResourceExhausted ? s.code() : ErrorCode::kInvalidArgument,
                    "trust policy line " + std::to_string(line_no) + ": " + s.message());
    };
    for (char c : line) {
      uint8_t u = static_cast<uint8_t>(c);
      if (u != 0x09 && (u < 0x20 || u == 0x7F)) {
        return at(InvalidArgument("control character (CR, NUL...) in line; use Unix line endings "
                                  "and spaces or tabs"));
      }
    }
    std::vector<std::string_view> t = Tokens(line);
    if (t.empty() || t[0].front() == '#') continue;
    std::string kw(t[0]);
    if (!IsPinnedKeyword(kw) && first_ota_line == 0) {
      first_ota_line = line_no;
      first_ota_keyword = kw;
    }
    Status s;
    if (kw == "namespace") {
      if (t.size() != 2) {
        s = InvalidArgument("expected `namespace <NS>`");
      } else if (has_namespace) {
        s = InvalidArgument("second `namespace` line");
      } else {
        has_namespace = true;
        p.ns_ = std::string(t[1]);
        s = ValidateNamespaceName(p.ns_);
      }
    } else if (kw == "fleet") {
      has_fleet = true;  // validated by PinnedPolicy::Parse below
    } else if (kw == "signer") {
      if (t.size() != 3) {
        s = InvalidArgument("expected `signer <NAME> <VKEY>`");
      } else if (p.signers_.size() >= kMaxPolicySigners) {
        s = ResourceExhausted("too many signers (at most 64)");
      } else if (lp->groups().Contains(t[1])) {
        s = InvalidArgument("name \"" + std::string(t[1]) + "\" is already a witness or group");
      } else {
        StatusOr<tlog::VerifierKey> k = tlog::ParseVerifierKey(t[2]);
        if (!k.ok()) {
          s = k.status().WithContext("signer key");
        } else if (k->type != tlog::kSigTypeEd25519 || k->public_key.size() != 32) {
          s = InvalidArgument("signer key must be an Ed25519 note key (type 0x01)");
        } else {
          PolicySigner ps;
          ps.name = std::string(t[1]);
          ps.vkey = std::string(t[2]);
          std::copy(k->public_key.begin(), k->public_key.end(), ps.public_key.begin());
          ps.keyid = KeyIdFor(k->name, ps.public_key);
          for (const PolicySigner& o : p.signers_) {
            if (o.keyid == ps.keyid || o.public_key == ps.public_key) {
              s = InvalidArgument("signer \"" + ps.name + "\" has the same key as \"" + o.name +
                                  "\"; every signer needs its own key");
            }
          }
          if (s.ok()) s = p.signer_groups_.AddLeaf(ps.name);
          if (s.ok()) p.signers_.push_back(std::move(ps));
        }
      }
    } else if (kw == "log") {
      if (t.size() != 2 && t.size() != 3) {
        s = InvalidArgument("expected `log <VKEY> [<URL>]`");
      } else {
        s = lp->AddLog(t[1], t.size() == 3 ? std::optional<std::string>(t[2]) : std::nullopt);
      }
    } else if (kw == "witness") {
      if (t.size() != 3 && t.size() != 4) {
        s = InvalidArgument("expected `witness <NAME> <VKEY> [<URL>]`");
      } else if (p.signer_groups_.Contains(t[1])) {
        s = InvalidArgument("name \"" + std::string(t[1]) + "\" is already a signer or group");
      } else {
        s = lp->AddWitness(t[1], t[2], t.size() == 4 ? std::optional<std::string>(t[3]) : std::nullopt);
      }
    } else if (kw == "group") {
      if (t.size() < 4) {
        s = InvalidArgument("expected `group <NAME> all|any|<K> <MEMBER>...`");
      } else if (p.signer_groups_.Contains(t[1]) || lp->groups().Contains(t[1])) {
        s = InvalidArgument("name \"" + std::string(t[1]) + "\" is defined twice");
      } else {
        bool all_signers = true, all_witnesses = true;
        for (size_t i = 3; i < t.size(); ++i) {
          all_signers = all_signers && p.signer_groups_.Contains(t[i]);
          all_witnesses = all_witnesses && lp->groups().Contains(t[i]);
        }
        std::vector<std::string_view> fields(t.begin() + 1, t.end());
        if (all_signers) {
          s = p.signer_groups_.AddGroupFromFields(fields);
        } else if (all_witnesses) {
          // tlog::Policy has no field-based group builder; go through a GroupSet-equivalent path.
          std::vector<std::string> members(t.begin() + 3, t.end());
          size_t k = 0;
          if (t[2] == "all") {
            k = members.size();
          } else if (t[2] == "any") {
            k = 1;
          } else {
            StatusOr<uint64_t> v = tlog::ParseDecimalU64(t[2]);
            if (!v.ok()) {
              s = InvalidArgument("group threshold must be all, any or a decimal number");
            } else {
              k = static_cast<size_t>(std::min<uint64_t>(*v, SIZE_MAX));
            }
          }
          if (s.ok()) s = lp->AddGroup(t[1], k, members);
        } else {
          s = InvalidArgument("group members must all be signers (or signer groups) or all be "
                              "witnesses (or witness groups) defined on earlier lines");
        }
      }
    } else if (kw == "bundle-quorum") {
      if (t.size() != 2) {
        s = InvalidArgument("expected `bundle-quorum <NAME>`");
      } else if (has_bundle_quorum) {
        s = InvalidArgument("second `bundle-quorum` line");
      } else if (!p.signer_groups_.Contains(t[1])) {
        s = InvalidArgument("bundle-quorum \"" + std::string(t[1]) +
                            "\" is not a signer or signer group defined earlier");
      } else {
        has_bundle_quorum = true;
        p.bundle_quorum_ = std::string(t[1]);
      }
    } else if (kw == "quorum") {
      if (t.size() != 2) {
        s = InvalidArgument("expected `quorum <NAME>|none`");
      } else if (has_quorum) {
        s = InvalidArgument("second `quorum` line");
      } else {
        has_quorum = true;
        s = lp->SetQuorum(t[1]);
      }
    } else if (kw == "countersign") {
      if (t.size() != 4 || t[2] != "over") {
        s = InvalidArgument("expected `countersign <A> over <B>`");
      } else if (!p.signer_groups_.IsLeaf(t[1]) || !p.FindSignerByName(t[1]) ||
                 !p.FindSignerByName(t[3])) {
        s = InvalidArgument("countersign names must be signers defined on earlier lines");
      } else if (t[1] == t[3]) {
        s = InvalidArgument("a signer cannot countersign itself");
      } else if (p.CountersignTarget(t[1])) {
        s = InvalidArgument("signer \"" + std::string(t[1]) + "\" already has a countersign rule");
      } else {
        p.countersign_rules_.emplace_back(std::string(t[1]), std::string(t[3]));
      }
    } else if (kw == "max-age") {
      if (t.size() != 2) {
        s = InvalidArgument("expected `max-age <DURATION>`");
      } else if (p.max_age_) {
        s = InvalidArgument("second `max-age` line");
      } else {
        StatusOr<UnixSeconds> d = ParseDuration(t[1]);
        if (!d.ok()) s = d.status();
        else if (*d == 0) s = InvalidArgument("max-age must be positive");
        else p.max_age_ = *d;
      }
    } else if (kw == "clock-skew") {
      if (t.size() != 2) {
        s = InvalidArgument("expected `clock-skew <DURATION>`");
      } else if (has_skew) {
        s = InvalidArgument("second `clock-skew` line");
      } else {
        StatusOr<UnixSeconds> d = ParseDuration(t[1]);
        if (!d.ok()) s = d.status();
        else if (*d > kMaxClockSkew) s = InvalidArgument("clock-skew must be at most 1d");
        else p.clock_skew_ = *d, has_skew = true;
      }
    } else {
      s = InvalidArgument("unknown keyword \"" + kw.substr(0, 40) +
                          "\" (see docs/formats.md \"Trust policy\" for the known ones)");
    }
    if (!s.ok()) return at(s);
    std::string norm;
    for (std::string_view tok : t) norm += (norm.empty() ? "" : " ") + std::string(tok);
    lines.push_back(std::move(norm));
  }
  if (!has_namespace) return InvalidArgument("trust policy has no `namespace` line");
  if (has_fleet) {
    if (first_ota_line != 0) {
      return InvalidArgument("trust policy line " + std::to_string(first_ota_line) + ": `" +
                             first_ota_keyword +
                             "` in a pinned-mode policy (it has `fleet` lines); use either fleet "
                             "lines or signers/logs, not both");
    }
    StatusOr<PinnedPolicy> pinned = PinnedPolicy::Parse(text);
    if (!pinned.ok()) return pinned.status();
    p.mode_ = TrustMode::kPinned;
    p.pinned_ = std::move(*pinned);
    p.lines_ = std::move(lines);
    p.log_policy_ = std::move(lp);
    return p;
  }
  // Over-the-air mode.
  if (p.signers_.empty()) {
    return InvalidArgument("trust policy has neither `fleet` lines (pinned mode) nor `signer` lines "
                           "(over-the-air mode)");
  }
  if (!has_bundle_quorum) return InvalidArgument("trust policy has no `bundle-quorum` line");
  if (lp->logs().empty()) return InvalidArgument("trust policy has no `log` line");
  if (!has_quorum) {
    return InvalidArgument("trust policy has no `quorum` line (use `quorum none` for no witnesses)");
  }
  p.mode_ = TrustMode::kOverTheAir;
  p.lines_ = std::move(lines);
  p.log_policy_ = std::move(lp);
  return p;
}

StatusOr<TrustPolicy> TrustPolicy::Load(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::string text,
                   internal::ReadFileLimited(path.string(), kMaxPolicyBytes, "trust policy"));
  StatusOr<TrustPolicy> p = Parse(text);
  if (!p.ok()) return p.status().WithContext(path.string());
  return p;
}

std::string TrustPolicy::Format() const {
  std::string out;
  for (const std::string& l : lines_) out += l + "\n";
  return out;
}

const PolicySigner* TrustPolicy::FindSignerByKeyId(std::string_view keyid) const {
  for (const PolicySigner& s : signers_) {
    if (s.keyid == keyid) return &s;
  }
  return nullptr;
}

const PolicySigner* TrustPolicy::FindSignerByName(std::string_view name) const {
  for (const PolicySigner& s : signers_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool TrustPolicy::BundleQuorumSatisfied(const std::set<std::string>& present) const {
  return mode_ == TrustMode::kOverTheAir && signer_groups_.Satisfied(bundle_quorum_, present);
}

const std::string* TrustPolicy::CountersignTarget(std::string_view signer_name) const {
  for (const auto& [a, b] : countersign_rules_) {
    if (a == signer_name) return &b;
  }
  return nullptr;
}

}  // namespace keyward::trust
