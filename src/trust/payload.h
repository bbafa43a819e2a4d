// Payload: the signed content of a validation bundle, `keyward.fleets/v1` (DESIGN.md §5,
// docs/formats.md): which fleets a namespace's clients may use, at which epoch, until when.
//
//   {"kind":"keyward.fleets/v1","namespace":"example.com/app","epoch":7,
//    "issued":"2026-11-23T01:00:00Z","expires":"2026-12-23T01:00:00Z",
//    "fleets":[{"id":"fleet-1","state":"active",
//               "opaque_public_key":"<base64 32-byte ristretto255>",
//               "member_keys":["core-1+1a2b3c4d+AQ..."],
//               "argon2id":{"memory_kib":65536,"iterations":3,"parallelism":4},
//               "measurements":["<hex>"],
//               "evidence_sha256":"<64 hex>",
//               "endpoints":["vault1.example.com:7443"]}]}
//
// Strict: exactly these keys (no unknown, missing or duplicate keys), `epoch` and the Argon2id
// numbers are JSON unsigned integers (no sign, fraction or exponent), times are RFC 3339 UTC in the
// one form `YYYY-MM-DDTHH:MM:SSZ` with issued <= expires, namespace and fleet ids use the pinned
// policy's grammar (trust/pinned.h), fleet ids unique, the OPAQUE key a canonical non-identity
// ristretto255 element, member keys C2SP vkeys, measurements 32..64 bytes as lowercase hex,
// evidence_sha256 32 bytes lowercase hex, Argon2id within crypto::KsfConfig::Argon2id's ranges,
// endpoints 1..255 printable ASCII characters without spaces. Limits below. Serialize is canonical
// (key order as above, compact): Parse(Serialize(p)) == p.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ksf.h"
#include "crypto/ristretto.h"

namespace keyward::trust {

// POSIX seconds (UTC). Times in payloads and policies are whole seconds.
using UnixSeconds = int64_t;

inline constexpr std::string_view kFleetsKind = "keyward.fleets/v1";
inline constexpr size_t kMaxPayloadFleets = 256;
inline constexpr size_t kMaxFleetMemberKeys = 64;
inline constexpr size_t kMaxFleetMeasurements = 64;
inline constexpr size_t kMaxFleetEndpoints = 32;
inline constexpr size_t kMaxEndpointLength = 255;

// RFC 3339 §5.6 date-time restricted to UTC with whole seconds: "YYYY-MM-DDTHH:MM:SSZ"
// (years 1970..9999, real calendar dates, no leap second 60).
StatusOr<UnixSeconds> ParseRfc3339Utc(std::string_view text);
std::string FormatRfc3339Utc(UnixSeconds t);  // REQUIRES 0 <= t < year 10000

// 1..128 characters of [A-Za-z0-9._/:-] (the namespace grammar of trust/pinned.h).
Status ValidateNamespaceName(std::string_view ns);

enum class FleetState { kActive, kRetiring, kRevoked };
const char* FleetStateName(FleetState state);  // "active", "retiring", "revoked"
StatusOr<FleetState> ParseFleetState(std::string_view name);

struct FleetEntry {
  std::string id;
  FleetState state = FleetState::kActive;
  crypto::ristretto::ElementBytes opaque_public_key{};
  std::vector<std::string> member_keys;  // C2SP vkeys of the fleet's cores
  crypto::Argon2idParams argon2id;       // what clients must use for this fleet
  std::vector<Bytes> measurements;       // accepted software measurements
  Bytes evidence_sha256;                 // SHA-256 of the fleet's deployment evidence (32 bytes)
  std::vector<std::string> endpoints;    // "host:port"
  bool operator==(const FleetEntry& o) const;
};

struct Payload {
  std::string kind = std::string(kFleetsKind);
  std::string ns;  // JSON "namespace"
  uint64_t epoch = 0;
  UnixSeconds issued = 0;
  UnixSeconds expires = 0;
  std::vector<FleetEntry> fleets;
  bool operator==(const Payload&) const = default;
};

// Strict parse (see above). InvalidArgument / ResourceExhausted naming the field.
StatusOr<Payload> ParsePayload(ByteSpan json);
// Validates every field (same rules as ParsePayload) before serializing.
StatusOr<std::string> SerializePayload(const Payload& payload);

// One fleet object on its own (a `--fleet FILE` for `keyward bundle create`): the same object and
// rules as inside a payload, but whitespace and key order are free (it is not signed as such).
StatusOr<FleetEntry> ParseFleetEntry(ByteSpan json);
// Canonical compact JSON of one fleet (validated).
StatusOr<std::string> SerializeFleetEntry(const FleetEntry& fleet);

// Why a client wants a fleet: registering a new account needs an `active` fleet; recovering an
// existing registration also accepts a `retiring` one (the client re-registers on an active fleet
// afterwards). A `revoked` fleet is never accepted.
enum class FleetUse { kRegister, kRecover };
// The fleet whose OPAQUE key equals `opaque_public_key`: NotFound if none; PermissionDenied if it is
// revoked, or retiring and use == kRegister (messages say what the app should do).
StatusOr<FleetEntry> FindFleet(const Payload& payload, ByteSpan opaque_public_key, FleetUse use);

}  // namespace keyward::trust
