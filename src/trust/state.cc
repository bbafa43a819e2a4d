// TrustState file I/O and the rejection-code table (trust/verify.h).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "trust/json_util.h"
#include "trust/verify.h"

namespace keyward::trust {
namespace {

using internal::Json;

constexpr std::string_view kStateFormat = "keyward.trust-state/v1";
constexpr size_t kMaxStateBytes = 16 << 20;
constexpr size_t kMaxStateEntries = 1024;

struct CodeName {
  Rejection r;
  const char* code;
};
constexpr CodeName kCodes[] = {
    {Rejection::kMalformed, "malformed"},
    {Rejection::kPolicy, "policy"},
    {Rejection::kBadSignature, "bad-signature"},
    {Rejection::kSingleOrganisation, "single-organisation"},
    {Rejection::kCountersignature, "countersignature"},
    {Rejection::kRotationQuorum, "rotation-quorum"},
    {Rejection::kNamespace, "namespace"},
    {Rejection::kExpired, "expired"},
    {Rejection::kNotYetValid, "not-yet-valid"},
    {Rejection::kStale, "stale"},
    {Rejection::kUnknownLog, "unknown-log"},
    {Rejection::kWitnessQuorum, "witness-quorum"},
    {Rejection::kNotLogged, "not-logged"},
    {Rejection::kRollback, "rollback"},
    {Rejection::kEquivocation, "equivocation"},
    {Rejection::kSplitView, "split-view"},
    {Rejection::kRevoked, "revoked"},
};

StatusOr<crypto::Sha256Digest> DigestFromHex(const Json& obj, std::string_view key,
                                             std::string_view what) {
  ASSIGN_OR_RETURN(std::string hex, internal::GetString(obj, key, what, 64));
  ASSIGN_OR_RETURN(Bytes b, internal::DecodeLowerHex(hex, 32, 32, std::string(what) + "." + std::string(key)));
  crypto::Sha256Digest d;
  std::copy(b.begin(), b.end(), d.begin());
  return d;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("writing " + path + ": " + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

const char* RejectionCode(Rejection r) {
  for (const CodeName& c : kCodes) {
    if (c.r == r) return c.code;
  }
  return "malformed";
}

std::optional<Rejection> RejectionFromCode(std::string_view code) {
  for (const CodeName& c : kCodes) {
    if (code == c.code) return c.r;
  }
  return std::nullopt;
}

std::string RejectionInfo::ToString() const {
  return std::string("rejected: ") + RejectionCode(code) + ": " + message;
}

Status RejectionInfo::ToStatus() const {
  return Status(code == Rejection::kMalformed ? ErrorCode::kInvalidArgument
                                              : ErrorCode::kPermissionDenied,
                ToString());
}

// state = {"format": "keyward.trust-state/v1", "namespaces": {NS: {"epoch", "envelope_sha256"}},
//          "logs": {ORIGIN: {"size", "root", "checkpoint"}} [, "policy": {"version",
//          "envelope_sha256", "text"}]}   (docs/formats.md "State file")
StatusOr<TrustState> ParseState(std::string_view json) {
  ASSIGN_OR_RETURN(Json j, internal::ParseStrictObject(AsBytes(json), kMaxStateBytes, "trust state"));
  RETURN_IF_ERROR(internal::ExpectKeys(j, {"format", "namespaces", "logs"}, {"policy"}, "trust state"));
  ASSIGN_OR_RETURN(std::string format, internal::GetString(j, "format", "trust state", 64));
  if (format != kStateFormat) {
    return InvalidArgument("trust state format must be \"" + std::string(kStateFormat) + "\"");
  }
  TrustState st;
  const Json& nss = j.at("namespaces");
  if (!nss.is_object() || nss.size() > kMaxStateEntries) {
    return InvalidArgument("trust state.namespaces must be an object of at most 1024 entries");
  }
  for (const auto& [ns, v] : nss.items()) {
    RETURN_IF_ERROR(ValidateNamespaceName(ns).WithContext("trust state.namespaces"));
    std::string w = "trust state.namespaces[" + ns + "]";
    RETURN_IF_ERROR(internal::ExpectKeys(v, {"epoch", "envelope_sha256"}, {}, w));
    NamespaceState n;
    ASSIGN_OR_RETURN(n.epoch, internal::GetUint64(v, "epoch", w));
    ASSIGN_OR_RETURN(n.envelope_sha256, DigestFromHex(v, "envelope_sha256", w));
    st.namespaces.emplace(ns, n);
  }
  const Json& logs = j.at("logs");
  if (!logs.is_object() || logs.size() > kMaxStateEntries) {
    return InvalidArgument("trust state.logs must be an object of at most 1024 entries");
  }
  for (const auto& [origin, v] : logs.items()) {
    std::string w = "trust state.logs[" + origin.substr(0, 64) + "]";
    RETURN_IF_ERROR(internal::ExpectKeys(v, {"size", "root", "checkpoint"}, {}, w));
    LogState l;
    ASSIGN_OR_RETURN(l.size, internal::GetUint64(v, "size", w));
    ASSIGN_OR_RETURN(std::string root, internal::GetString(v, "root", w, 64));
    StatusOr<tlog::Hash> h = tlog::HashFromBase64(root);
    if (!h.ok()) return h.status().WithContext(w + ".root");
    l.root = *h;
    ASSIGN_OR_RETURN(l.checkpoint, internal::GetString(v, "checkpoint", w, tlog::kMaxNoteBytes));
    st.logs.emplace(origin, std::move(l));
  }
  if (j.contains("policy")) {
    const Json& p = j.at("policy");
    RETURN_IF_ERROR(internal::ExpectKeys(p, {"version", "envelope_sha256", "text"}, {},
                                         "trust state.policy"));
    AdoptedPolicy a;
    ASSIGN_OR_RETURN(a.version, internal::GetUint64(p, "version", "trust state.policy"));
    ASSIGN_OR_RETURN(a.envelope_sha256, DigestFromHex(p, "envelope_sha256", "trust state.policy"));
    ASSIGN_OR_RETURN(a.text, internal::GetString(p, "text", "trust state.policy", 1 << 20));
    st.policy = std::move(a);
  }
  return st;
}

std::string SerializeState(const TrustState& state) {
  Json j = Json::object();
  j["format"] = kStateFormat;
  Json nss = Json::object();
  for (const auto& [ns, n] : state.namespaces) {
    Json v = Json::object();
    v["epoch"] = n.epoch;
    v["envelope_sha256"] = HexEncode(n.envelope_sha256);
    nss[ns] = std::move(v);
  }
  j["namespaces"] = std::move(nss);
  Json logs = Json::object();
  for (const auto& [origin, l] : state.logs) {
    Json v = Json::object();
    v["size"] = l.size;
    v["root"] = tlog::HashToBase64(l.root);
    v["checkpoint"] = l.checkpoint;
    logs[origin] = std::move(v);
  }
  j["logs"] = std::move(logs);
  if (state.policy) {
    Json p = Json::object();
    p["version"] = state.policy->version;
    p["envelope_sha256"] = HexEncode(state.policy->envelope_sha256);
    p["text"] = state.policy->text;
    j["policy"] = std::move(p);
  }
  return internal::Dump(j);
}

StatusOr<TrustState> LoadState(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec) return IoError("cannot check trust state " + path.string() + ": " + ec.message());
    return TrustState{};
  }
  ASSIGN_OR_RETURN(std::string text,
                   internal::ReadFileLimited(path.string(), kMaxStateBytes, "trust state"));
  StatusOr<TrustState> st = ParseState(text);
  if (!st.ok()) {
    return st.status().WithContext("trust state " + path.string() +
                                   " (refusing to start from scratch: restore or delete it deliberately)");
  }
  return st;
}

Status SaveState(const std::filesystem::path& path, const TrustState& state) {
  std::string data = SerializeState(state);
  std::string tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create " + tmp + ": " + std::strerror(errno));
  Status s = WriteAll(fd, data, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = IoError("fsync " + tmp + ": " + std::strerror(errno));
  ::close(fd);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status r = IoError("rename " + tmp + " to " + path.string() + ": " + std::strerror(errno));
    ::unlink(tmp.c_str());
    return r;
  }
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return IoError("cannot open directory " + dir.string() + ": " + std::strerror(errno));
  int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return IoError("fsync directory " + dir.string() + ": " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace keyward::trust
