// PinnedPolicy: the client's trust policy in pinned mode (DESIGN.md §2 "Pinned"): the fleet public
// keys the app accepts, compiled in or shipped as a small text file.
//
// File format (line-oriented, in the spirit of C2SP tlog-policy, so later issues can add `log`,
// `witness`, `signer` and `group` lines without breaking it):
//
//   # comment (a line whose first non-blank character is '#'); blank lines are ignored
//   namespace <NS>                 exactly once; NS = 1..128 chars of [A-Za-z0-9._/:-]
//   fleet <ID> <KEY>               once or more; ID = 1..64 chars of [A-Za-z0-9._-], unique;
//                                  KEY = the fleet's OPAQUE server public key (ristretto255,
//                                  32 bytes), 64 hex digits or standard base64 (44 chars)
//
// Tokens are separated by spaces or tabs. An unknown keyword, a wrong number of arguments, a
// duplicate, or a key that is not a canonical non-identity ristretto255 encoding is rejected with
// its line number. Parse(Serialize(p)) == p.
//
// Thread-safety: an immutable value after construction.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ristretto.h"

namespace keyward::trust {

struct PinnedFleet {
  std::string id;
  crypto::ristretto::ElementBytes public_key;
  bool operator==(const PinnedFleet&) const = default;
};

class PinnedPolicy {
 public:
  // REQUIRES nothing; validates every field (see the grammar above).
  static StatusOr<PinnedPolicy> Create(std::string ns, std::vector<PinnedFleet> fleets);
  static StatusOr<PinnedPolicy> Parse(std::string_view text);
  // Reads and parses a file; errors name the path.
  static StatusOr<PinnedPolicy> Load(const std::filesystem::path& path);

  // Canonical text form (hex keys), ending in a newline.
  std::string Serialize() const;

  const std::string& ns() const { return ns_; }
  const std::vector<PinnedFleet>& fleets() const { return fleets_; }

  // The fleet whose pinned key equals `server_public_key` exactly, or kPermissionDenied saying the
  // key is not pinned (the client must refuse to register or recover with that server).
  StatusOr<PinnedFleet> ValidateFleetKey(ByteSpan server_public_key) const;

  bool operator==(const PinnedPolicy&) const = default;

 private:
  PinnedPolicy(std::string ns, std::vector<PinnedFleet> fleets)
      : ns_(std::move(ns)), fleets_(std::move(fleets)) {}
  std::string ns_;
  std::vector<PinnedFleet> fleets_;
};

}  // namespace keyward::trust
