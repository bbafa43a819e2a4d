#include "trust/payload.h"

#include <sodium.h>

#include <algorithm>
#include <set>

#include "tlog/note.h"
#include "trust/json_util.h"

namespace keyward::trust {
namespace {

using internal::Json;

constexpr size_t kMaxNamespaceLength = 128;
constexpr size_t kMaxFleetIdLength = 64;
constexpr size_t kMaxVkeyLength = 512;

bool AllCharsIn(std::string_view s, std::string_view extra) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           extra.find(c) != std::string_view::npos;
  });
}

// Howard Hinnant's days_from_civil (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

Status ValidateFleet(const FleetEntry& f, const std::string& w) {
  if (f.id.empty() || f.id.size() > kMaxFleetIdLength || !AllCharsIn(f.id, "._-")) {
    return InvalidArgument(w + ".id must be 1..64 characters of [A-Za-z0-9._-]");
  }
  if (sodium_is_zero(f.opaque_public_key.data(), f.opaque_public_key.size()) ||
      crypto_core_ristretto255_is_valid_point(f.opaque_public_key.data()) != 1) {
    return InvalidArgument(w + ".opaque_public_key is not a canonical non-identity ristretto255 "
                               "element");
  }
  if (f.member_keys.size() > kMaxFleetMemberKeys) {
    return ResourceExhausted(w + ".member_keys has too many entries");
  }
  for (const std::string& k : f.member_keys) {
    if (k.size() > kMaxVkeyLength || k.find_first_of("\"\\") != std::string::npos ||
        !tlog::ParseVerifierKey(k).ok()) {
      return InvalidArgument(w + ".member_keys holds an entry that is not a C2SP verifier key");
    }
  }
  if (!crypto::KsfConfig::Argon2id(f.argon2id).ok()) {
    return InvalidArgument(w + ".argon2id is outside the accepted ranges (1 <= parallelism <= 64, "
                               "8*parallelism <= memory_kib <= 4194304, 1 <= iterations <= 1024)");
  }
  if (f.measurements.size() > kMaxFleetMeasurements) {
    return ResourceExhausted(w + ".measurements has too many entries");
  }
  for (const Bytes& m : f.measurements) {
    if (m.size() < 32 || m.size() > 64) return InvalidArgument(w + ".measurements entries must be 32..64 bytes");
  }
  if (f.evidence_sha256.size() != 32) return InvalidArgument(w + ".evidence_sha256 must be 32 bytes");
  if (f.endpoints.size() > kMaxFleetEndpoints) {
    return ResourceExhausted(w + ".endpoints has too many entries");
  }
  for (const std::string& e : f.endpoints) {
    if (e.empty() || e.size() > kMaxEndpointLength || !AllCharsIn(e, ".-_:[]/%@")) {
      return InvalidArgument(w + ".endpoints entries must be 1..255 characters of "
                                 "[A-Za-z0-9.-_:[]/%@] (host:port or a URL)");
    }
  }
  return Status::Ok();
}

Status ValidatePayload(const Payload& p) {
  if (p.kind != kFleetsKind) {
    return InvalidArgument("payload.kind must be \"" + std::string(kFleetsKind) + "\"");
  }
  RETURN_IF_ERROR(ValidateNamespaceName(p.ns).WithContext("payload"));
  if (p.issued < 0 || p.expires < p.issued || p.expires > 253402300799) {
    return InvalidArgument("payload.issued must not be after payload.expires (years 1970..9999)");
  }
  if (p.fleets.empty()) return InvalidArgument("payload.fleets must name at least one fleet");
  if (p.fleets.size() > kMaxPayloadFleets) return ResourceExhausted("payload has too many fleets");
  std::set<std::string> ids;
  for (size_t i = 0; i < p.fleets.size(); ++i) {
    std::string w = "payload.fleets[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(ValidateFleet(p.fleets[i], w));
    if (!ids.insert(p.fleets[i].id).second) return InvalidArgument(w + ".id is a duplicate");
  }
  return Status::Ok();
}

Json FleetToJson(const FleetEntry& f) {
  Json o = Json::object();
  o["id"] = f.id;
  o["state"] = FleetStateName(f.state);
  o["opaque_public_key"] = Base64Encode(f.opaque_public_key);
  o["member_keys"] = f.member_keys;
  Json a = Json::object();
  a["memory_kib"] = f.argon2id.memory_kib;
  a["iterations"] = f.argon2id.iterations;
  a["parallelism"] = f.argon2id.parallelism;
  o["argon2id"] = std::move(a);
  Json ms = Json::array();
  for (const Bytes& m : f.measurements) ms.push_back(HexEncode(m));
  o["measurements"] = std::move(ms);
  o["evidence_sha256"] = HexEncode(f.evidence_sha256);
  o["endpoints"] = f.endpoints;
  return o;
}

StatusOr<uint32_t> GetUint32(const Json& obj, std::string_view key, std::string_view what) {
  ASSIGN_OR_RETURN(uint64_t v, internal::GetUint64(obj, key, what));
  if (v > UINT32_MAX) return InvalidArgument(std::string(what) + "." + std::string(key) + " is too large");
  return static_cast<uint32_t>(v);
}

StatusOr<std::vector<std::string>> GetStringArray(const Json& obj, std::string_view key,
                                                  const std::string& w, size_t max_items,
                                                  size_t max_len) {
  ASSIGN_OR_RETURN(const Json* arr, internal::GetArray(obj, key, w, max_items));
  std::vector<std::string> out;
  for (const Json& v : *arr) {
    if (!v.is_string()) return InvalidArgument(w + "." + std::string(key) + " entries must be strings");
    if (v.get_ref<const std::string&>().size() > max_len) {
      return ResourceExhausted(w + "." + std::string(key) + " has an entry that is too long");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

StatusOr<FleetEntry> FleetFromJson(const Json& o, const std::string& w, bool canonical) {
  RETURN_IF_ERROR(internal::ExpectKeys(o,
                                       {"id", "state", "opaque_public_key", "member_keys", "argon2id",
                                        "measurements", "evidence_sha256", "endpoints"},
                                       {}, w));
  if (canonical) {
    RETURN_IF_ERROR(internal::ExpectKeyOrder(o,
                                             {"id", "state", "opaque_public_key", "member_keys",
                                              "argon2id", "measurements", "evidence_sha256",
                                              "endpoints"},
                                             w));
    RETURN_IF_ERROR(internal::ExpectKeyOrder(o.at("argon2id"),
                                             {"memory_kib", "iterations", "parallelism"},
                                             w + ".argon2id"));
  }
  FleetEntry f;
  ASSIGN_OR_RETURN(f.id, internal::GetString(o, "id", w, kMaxFleetIdLength));
  ASSIGN_OR_RETURN(std::string state, internal::GetString(o, "state", w, 16));
  StatusOr<FleetState> st = ParseFleetState(state);
  if (!st.ok()) return st.status().WithContext(w + ".state");
  f.state = *st;
  ASSIGN_OR_RETURN(Bytes key, internal::GetBase64(o, "opaque_public_key", w, 32));
  if (key.size() != 32) return InvalidArgument(w + ".opaque_public_key must be 32 bytes");
  std::copy(key.begin(), key.end(), f.opaque_public_key.begin());
  ASSIGN_OR_RETURN(f.member_keys, GetStringArray(o, "member_keys", w, kMaxFleetMemberKeys, kMaxVkeyLength));
  const Json& a = o.at("argon2id");
  std::string aw = w + ".argon2id";
  RETURN_IF_ERROR(internal::ExpectKeys(a, {"memory_kib", "iterations", "parallelism"}, {}, aw));
  ASSIGN_OR_RETURN(f.argon2id.memory_kib, GetUint32(a, "memory_kib", aw));
  ASSIGN_OR_RETURN(f.argon2id.iterations, GetUint32(a, "iterations", aw));
  ASSIGN_OR_RETURN(f.argon2id.parallelism, GetUint32(a, "parallelism", aw));
  ASSIGN_OR_RETURN(std::vector<std::string> ms,
                   GetStringArray(o, "measurements", w, kMaxFleetMeasurements, 128));
  for (const std::string& m : ms) {
    ASSIGN_OR_RETURN(Bytes b, internal::DecodeLowerHex(m, 32, 64, w + ".measurements[]"));
    f.measurements.push_back(std::move(b));
  }
  ASSIGN_OR_RETURN(std::string ev, internal::GetString(o, "evidence_sha256", w, 64));
  ASSIGN_OR_RETURN(f.evidence_sha256, internal::DecodeLowerHex(ev, 32, 32, w + ".evidence_sha256"));
  ASSIGN_OR_RETURN(f.endpoints, GetStringArray(o, "endpoints", w, kMaxFleetEndpoints, kMaxEndpointLength));
  return f;
}

Json PayloadToJson(const Payload& p) {
  Json j = Json::object();
  j["kind"] = p.kind;
  j["namespace"] = p.ns;
  j["epoch"] = p.epoch;
  j["issued"] = FormatRfc3339Utc(p.issued);
  j["expires"] = FormatRfc3339Utc(p.expires);
  Json fs = Json::array();
  for (const FleetEntry& f : p.fleets) fs.push_back(FleetToJson(f));
  j["fleets"] = std::move(fs);
  return j;
}

}  // namespace

Status ValidateNamespaceName(std::string_view ns) {
  if (ns.empty() || ns.size() > kMaxNamespaceLength || !AllCharsIn(ns, "._/:-")) {
    return InvalidArgument("namespace must be 1..128 characters of [A-Za-z0-9._/:-], got \"" +
                           std::string(ns.substr(0, 140)) + "\"");
  }
  return Status::Ok();
}

bool FleetEntry::operator==(const FleetEntry& o) const {
  return id == o.id && state == o.state && opaque_public_key == o.opaque_public_key &&
         member_keys == o.member_keys && argon2id.memory_kib == o.argon2id.memory_kib &&
         argon2id.iterations == o.argon2id.iterations &&
         argon2id.parallelism == o.argon2id.parallelism && measurements == o.measurements &&
         evidence_sha256 == o.evidence_sha256 && endpoints == o.endpoints;
}

// RFC 3339 §5.6: full-date "T" full-time, here only "YYYY-MM-DDTHH:MM:SSZ" (UTC, no fraction).
StatusOr<UnixSeconds> ParseRfc3339Utc(std::string_view t) {
  auto bad = [&] {
    return InvalidArgument("time \"" + std::string(t.substr(0, 40)) +
                           "\" is not RFC 3339 UTC of the form YYYY-MM-DDTHH:MM:SSZ");
  };
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (t.size() != kShape.size()) return bad();
  for (size_t i = 0; i < t.size(); ++i) {
    if (kShape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != kShape[i]) return bad();
  }
  auto num = [&](size_t pos, size_t len) {
    int64_t v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (t[i] - '0');
    return v;
  };
  int64_t y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2),
          s = num(17, 2);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || mo < 1 || mo > 12 || d < 1) return bad();
  int64_t dim = kDays[mo - 1] + (mo == 2 && IsLeap(y) ? 1 : 0);
  if (d > dim || h > 23 || mi > 59 || s > 59) return bad();
  return DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
         mi * 60 + s;
}

std::string FormatRfc3339Utc(UnixSeconds t) {
  KW_CHECK(t >= 0 && t <= 253402300799);
  int64_t days = t / 86400, rem = t % 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  return buf;
}

const char* FleetStateName(FleetState state) {
  switch (state) {
    case FleetState::kActive: return "active";
    case FleetState::kRetiring: return "retiring";
    case FleetState::kRevoked: return "revoked";
  }
  return "unknown";
}

StatusOr<FleetState> ParseFleetState(std::string_view name) {
  if (name == "active") return FleetState::kActive;
  if (name == "retiring") return FleetState::kRetiring;
  if (name == "revoked") return FleetState::kRevoked;
  return InvalidArgument("fleet state must be active, retiring or revoked");
}

// payload = {"kind", "namespace", "epoch", "issued", "expires", "fleets": [fleet...]} (see header;
// docs/formats.md "Payload"), canonical compact JSON.
StatusOr<Payload> ParsePayload(ByteSpan json) {
  ASSIGN_OR_RETURN(Json j, internal::ParseStrictObject(json, 512 * 1024, "payload",
                                                       /*compact_unescaped=*/true));
  RETURN_IF_ERROR(internal::ExpectKeys(
      j, {"kind", "namespace", "epoch", "issued", "expires", "fleets"}, {}, "payload"));
  RETURN_IF_ERROR(internal::ExpectKeyOrder(
      j, {"kind", "namespace", "epoch", "issued", "expires", "fleets"}, "payload"));
  Payload p;
  ASSIGN_OR_RETURN(p.kind, internal::GetString(j, "kind", "payload", 64));
  if (p.kind != kFleetsKind) {
    return InvalidArgument("payload.kind must be \"" + std::string(kFleetsKind) + "\"");
  }
  ASSIGN_OR_RETURN(p.ns, internal::GetString(j, "namespace", "payload", kMaxNamespaceLength));
  ASSIGN_OR_RETURN(p.epoch, internal::GetUint64(j, "epoch", "payload"));
  ASSIGN_OR_RETURN(std::string issued, internal::GetString(j, "issued", "payload", 32));
  ASSIGN_OR_RETURN(p.issued, ParseRfc3339Utc(issued));
  ASSIGN_OR_RETURN(std::string expires, internal::GetString(j, "expires", "payload", 32));
  ASSIGN_OR_RETURN(p.expires, ParseRfc3339Utc(expires));
  ASSIGN_OR_RETURN(const Json* fleets, internal::GetArray(j, "fleets", "payload", kMaxPayloadFleets));
  for (size_t i = 0; i < fleets->size(); ++i) {
    ASSIGN_OR_RETURN(FleetEntry f,
                     FleetFromJson((*fleets)[i], "payload.fleets[" + std::to_string(i) + "]",
                                   /*canonical=*/true));
    p.fleets.push_back(std::move(f));
  }
  RETURN_IF_ERROR(ValidatePayload(p));
  // Canonical form: compact, unescaped, keys in order (checked above and per fleet), exact types
  // and encodings: SerializePayload(p) reproduces the input exactly (the fuzz target checks this).
  return p;
}

StatusOr<std::string> SerializePayload(const Payload& payload) {
  RETURN_IF_ERROR(ValidatePayload(payload));
  return internal::Dump(PayloadToJson(payload));
}

StatusOr<FleetEntry> ParseFleetEntry(ByteSpan json) {
  std::string_view s = AsChars(json);
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  ASSIGN_OR_RETURN(Json j, internal::ParseStrictObject(AsBytes(s), 64 * 1024, "fleet"));
  ASSIGN_OR_RETURN(FleetEntry f, FleetFromJson(j, "fleet", /*canonical=*/false));
  RETURN_IF_ERROR(ValidateFleet(f, "fleet"));
  return f;
}

StatusOr<std::string> SerializeFleetEntry(const FleetEntry& fleet) {
  RETURN_IF_ERROR(ValidateFleet(fleet, "fleet"));
  return internal::Dump(FleetToJson(fleet));
}

StatusOr<FleetEntry> FindFleet(const Payload& payload, ByteSpan opaque_public_key, FleetUse use) {
  for (const FleetEntry& f : payload.fleets) {
    if (opaque_public_key.size() != f.opaque_public_key.size() ||
        !std::equal(f.opaque_public_key.begin(), f.opaque_public_key.end(),
                    opaque_public_key.begin())) {
      continue;
    }
    if (f.state == FleetState::kRevoked) {
      return PermissionDenied("fleet " + f.id + " is revoked by the validation bundle (epoch " +
                              std::to_string(payload.epoch) +
                              "); do not use it: register again on an active fleet");
    }
    if (f.state == FleetState::kRetiring && use == FleetUse::kRegister) {
      return PermissionDenied("fleet " + f.id +
                              " is retiring; register on an active fleet instead");
    }
    return f;
  }
  return NotFound("the vault's fleet key " + HexEncode(opaque_public_key) +
                  " is not in the validation bundle of namespace " + payload.ns + " (epoch " +
                  std::to_string(payload.epoch) + "); refusing to talk to it");
}

}  // namespace keyward::trust
