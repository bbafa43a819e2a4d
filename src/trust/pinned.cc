#include "trust/pinned.h"

#include <sodium.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace keyward::trust {
namespace {

constexpr size_t kMaxNamespaceLength = 128;
constexpr size_t kMaxFleetIdLength = 64;
constexpr size_t kMaxPolicyBytes = 1 << 20;
constexpr size_t kMaxFleets = 1024;

bool AllCharsIn(std::string_view s, std::string_view extra) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           extra.find(c) != std::string_view::npos;
  });
}

Status ValidateNamespace(std::string_view ns) {
  if (ns.empty() || ns.size() > kMaxNamespaceLength || !AllCharsIn(ns, "._/:-")) {
    return InvalidArgument("namespace must be 1..128 characters of [A-Za-z0-9._/:-], got \"" +
                           std::string(ns.substr(0, 140)) + "\"");
  }
  return Status::Ok();
}

Status ValidateFleetId(std::string_view id) {
  if (id.empty() || id.size() > kMaxFleetIdLength || !AllCharsIn(id, "._-")) {
    return InvalidArgument("fleet id must be 1..64 characters of [A-Za-z0-9._-], got \"" +
                           std::string(id.substr(0, 80)) + "\"");
  }
  return Status::Ok();
}

// RFC 9497 §2.1 DeserializeElement for ristretto255: canonical encoding and not the identity
// (libsodium accepts the all-zero identity in is_valid_point, REFERENCE.md §C).
Status ValidatePublicKey(ByteSpan key) {
  if (key.size() != crypto_core_ristretto255_BYTES || sodium_is_zero(key.data(), key.size()) ||
      crypto_core_ristretto255_is_valid_point(key.data()) != 1) {
    return InvalidArgument("fleet key is not a canonical non-identity ristretto255 element");
  }
  return Status::Ok();
}

StatusOr<crypto::ristretto::ElementBytes> DecodeKey(std::string_view text) {
  StatusOr<Bytes> raw = text.size() == 64 ? HexDecode(text) : Base64Decode(text);
  if (!raw.ok() || raw->size() != 32) {
    return InvalidArgument("fleet key must be 32 bytes as 64 hex digits or 44 base64 characters");
  }
  RETURN_IF_ERROR(ValidatePublicKey(*raw));
  crypto::ristretto::ElementBytes key;
  std::copy(raw->begin(), raw->end(), key.begin());
  return key;
}

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

}  // namespace

StatusOr<PinnedPolicy> PinnedPolicy::Create(std::string ns, std::vector<PinnedFleet> fleets) {
  RETURN_IF_ERROR(ValidateNamespace(ns));
  if (fleets.empty()) return InvalidArgument("a pinned policy needs at least one `fleet` line");
  if (fleets.size() > kMaxFleets) return InvalidArgument("too many fleets (at most 1024)");
  std::set<std::string> ids;
  for (const PinnedFleet& f : fleets) {
    RETURN_IF_ERROR(ValidateFleetId(f.id));
    RETURN_IF_ERROR(ValidatePublicKey(f.public_key));
    if (!ids.insert(f.id).second) return InvalidArgument("duplicate fleet id \"" + f.id + "\"");
  }
  return PinnedPolicy(std::move(ns), std::move(fleets));
}

// policy  = *( line LF )         ; a final line without LF is accepted; CR before LF is rejected
// line    = blank / comment / "namespace" SP ns / "fleet" SP id SP key
// (keyword-per-line grammar in the spirit of C2SP tlog-policy)
StatusOr<PinnedPolicy> PinnedPolicy::Parse(std::string_view text) {
  if (text.size() > kMaxPolicyBytes) return InvalidArgument("trust policy larger than 1 MiB");
  std::optional<std::string> ns;
  std::vector<PinnedFleet> fleets;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    auto at = [&](const Status& s) {
      return Status(ErrorCode::kInvalidArgument,
                    "trust policy line " + std::to_string(line_no) + ": " + s.message());
    };
    if (line.find('\r') != std::string_view::npos || line.find('\0') != std::string_view::npos) {
      return at(InvalidArgument("carriage return or NUL in line; use Unix line endings"));
    }
    std::vector<std::string_view> tok = Tokens(line);
    if (tok.empty() || tok[0].front() == '#') continue;
    if (tok[0] == "namespace") {
      if (tok.size() != 2) return at(InvalidArgument("expected `namespace <NS>`"));
      if (ns) return at(InvalidArgument("second `namespace` line"));
      Status s = ValidateNamespace(tok[1]);
      if (!s.ok()) return at(s);
      ns = std::string(tok[1]);
    } else if (tok[0] == "fleet") {
      if (tok.size() != 3) return at(InvalidArgument("expected `fleet <ID> <KEY>`"));
      Status s = ValidateFleetId(tok[1]);
      if (!s.ok()) return at(s);
      StatusOr<crypto::ristretto::ElementBytes> key = DecodeKey(tok[2]);
      if (!key.ok()) return at(key.status());
      for (const PinnedFleet& f : fleets) {
        if (f.id == tok[1]) return at(InvalidArgument("duplicate fleet id \"" + f.id + "\""));
      }
      fleets.push_back({std::string(tok[1]), *key});
    } else {
      return at(InvalidArgument("unknown keyword \"" + std::string(tok[0].substr(0, 40)) +
                                "\" (pinned policies know `namespace` and `fleet`)"));
    }
  }
  if (!ns) return InvalidArgument("trust policy has no `namespace` line");
  return Create(std::move(*ns), std::move(fleets));
}

StatusOr<PinnedPolicy> PinnedPolicy::Load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read trust policy " + path.string() + "; check the --trust path");
  std::ostringstream ss;
  ss << in.rdbuf();
  StatusOr<PinnedPolicy> p = Parse(ss.str());
  if (!p.ok()) return p.status().WithContext(path.string());
  return p;
}

std::string PinnedPolicy::Serialize() const {
  std::string out = "# Keyward trust policy (pinned mode)\nnamespace " + ns_ + "\n";
  for (const PinnedFleet& f : fleets_) out += "fleet " + f.id + " " + HexEncode(f.public_key) + "\n";
  return out;
}

StatusOr<PinnedFleet> PinnedPolicy::ValidateFleetKey(ByteSpan server_public_key) const {
  for (const PinnedFleet& f : fleets_) {
    if (server_public_key.size() == f.public_key.size() &&
        std::equal(f.public_key.begin(), f.public_key.end(), server_public_key.begin())) {
      return f;
    }
  }
  return PermissionDenied("the vault's fleet key " + HexEncode(server_public_key) +
                          " is not pinned by the trust policy (namespace " + ns_ +
                          "); refusing to talk to it. Check --trust or the --vault address");
}

}  // namespace keyward::trust
