// ClientTrust: the vault client's trust decisions (issue 5, docs/trust.md "Trust modes"): which
// fleet keys it may use, in pinned mode (the policy lists the fleet keys) or over-the-air mode (the
// policy pins signers, logs and witnesses; fleet keys arrive in validation bundles inline with
// ordinary vault responses and are verified and adopted before any fleet key is used).
//
// Over-the-air flow, per call: the request carries request_epoch() (the epoch adopted in THIS
// process; 0 at start, so the first response of a process always brings the node's bundle — the
// client keeps no fleet list on disk, only the state file's high-water marks, which is what stops
// rollback); a non-empty validation_bundle in the response goes through Adopt() (trust::VerifyBundle
// against the effective policy and the state file, which is saved atomically BEFORE the fleets are
// used); then the server's key is checked against the adopted payload with trust::FindFleet:
// registering needs an `active` fleet, recovering also accepts `retiring` (the app then re-registers
// on an active fleet: ActiveFleet()), `revoked` is refused.
//
// Ownership: owns the policy and (in memory) the state. Thread-safety: all methods are thread-safe
// (one mutex; VerifyBundle and SaveState run under it, so concurrent calls adopt one at a time).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ksf.h"
#include "trust/payload.h"
#include "trust/policy.h"
#include "trust/verify.h"

namespace keyward::client {

struct TrustedFleet {
  std::string id;
  std::array<uint8_t, 32> key{};
  trust::FleetState state = trust::FleetState::kActive;
  std::vector<std::string> endpoints;
  std::optional<crypto::Argon2idParams> argon2id;  // over-the-air: what the bundle says to use
};

class ClientTrust {
 public:
  struct Options {
    std::string policy_path;  // or policy_text
    std::string policy_text;
    std::filesystem::path state_path;  // over-the-air: required (high-water marks survive restarts)
    std::string fleet_id;              // optional: the fleet the vault address belongs to
    std::string vault_address;         // matched against fleets' endpoints when fleet_id is empty
    // Fixed verification time for tests; unset: the system clock at each Adopt().
    std::optional<trust::UnixSeconds> now;
  };
  static StatusOr<std::unique_ptr<ClientTrust>> Create(Options options);

  trust::TrustMode mode() const { return mode_; }
  // The epoch to put in requests' client_bundle_epoch.
  uint64_t request_epoch() const;
  // Verifies and adopts an inline bundle; empty input is a no-op. A rejection is kPermissionDenied
  // with "rejected: <code>: <message>"; the state is then unchanged and no fleet key is usable
  // that was not usable before. The state file is saved before this returns OK.
  Status Adopt(std::string_view validation_bundle);

  // The fleet whose key the vault presented at registration (RFC 9807 RegistrationResponse).
  StatusOr<TrustedFleet> FleetForRegistration(ByteSpan server_public_key) const;
  // The fleet to expect at recovery, before KE2 is checked: Options::fleet_id, else the fleet
  // whose endpoints include the vault address, else the only usable fleet. Revoked: refused.
  StatusOr<TrustedFleet> FleetForRecovery() const;
  // Over-the-air: an `active` fleet (the one serving this vault address if it is active, else the
  // first active one), for re-registering a registration found on a `retiring` fleet.
  std::optional<TrustedFleet> ActiveFleet() const;

 private:
  ClientTrust() = default;
  StatusOr<TrustedFleet> Select(trust::FleetUse use, const std::optional<std::array<uint8_t, 32>>& key) const;

  Options options_;
  trust::TrustMode mode_ = trust::TrustMode::kPinned;
  std::unique_ptr<trust::TrustPolicy> configured_;
  mutable std::mutex mu_;
  trust::TrustState state_;                  // guarded by mu_
  std::optional<trust::Payload> payload_;    // guarded by mu_: adopted in this process
};

}  // namespace keyward::client
