// ClientTrust: the vault client's trust decisions (issue 5, docs/trust.md "Trust modes"): which
// fleet keys it may use, in pinned mode (the policy lists the fleet keys) or over-the-air mode (the
// policy pins signers, logs and witnesses; fleet keys arrive in validation bundles inline with
// ordinary vault responses and are verified and adopted before any fleet key is used).
//
// Over-the-air flow, per call: Stamp() puts request_epoch() (the epoch adopted in THIS process; 0 at
// start, so the first response of a process always brings the node's bundle — the client keeps no
// fleet list on disk, only the state file's high-water marks, which is what stops rollback) and
// request_policy_version() (the adopted policy-update version from the state file) into the
// request; AdoptFrom() takes the response's policy_updates and validation_bundle:
//   1. each policy update, in the order sent, goes through trust::ApplyPolicyUpdate against the
//      policy in force (the current bundle quorum AND the new one, logged under a witnessed
//      checkpoint of a current log, version increasing); an accepted one is saved to the state file
//      atomically before the next step and changes only the policy (epochs and checkpoints stay).
//      A refused update changes nothing: the client keeps working on the policy it has and the
//      refusal is returned as a warning (the app should surface it: Outcome::trust_warning);
//   2. after a policy change, the fleets adopted earlier in this process must verify under the new
//      policy too, else they are dropped (TUF: after a root rotation nothing signed under the old
//      root alone stays trusted);
//   3. the bundle goes through trust::VerifyBundle against the policy now in force and the state
//      file, which is saved atomically BEFORE the fleets are used;
// then the server's key is checked against the adopted payload with trust::FindFleet: registering
// needs an `active` fleet, recovering also accepts `retiring` (the app then re-registers on an
// active fleet: ActiveFleet()), `revoked` is refused. With Options::online_consistency (default),
// a checkpoint of another size than the stored one is checked with a consistency proof fetched from
// the log's tiles (trust/online_consistency.h); a failed fetch falls back to the offline rule and
// is reported as a warning.
//
// Ownership: owns the policy and (in memory) the state. Thread-safety: all methods are thread-safe
// (one mutex; verification, the consistency fetch (bounded, trust/online_consistency.h) and
// SaveState run under it, so concurrent calls adopt one at a time).
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
    // Over-the-air: check log consistency online (fetch consistency proofs from the policy's log
    // URL); false: the offline rule only (the witness quorum vouches for a new checkpoint).
    bool online_consistency = true;
    // Replaces the HTTP fetcher (tests); used only with online_consistency.
    std::shared_ptr<trust::ConsistencyFetcher> fetcher;
  };
  static StatusOr<std::unique_ptr<ClientTrust>> Create(Options options);

  trust::TrustMode mode() const { return mode_; }
  // The epoch to put in requests' client_bundle_epoch.
  uint64_t request_epoch() const;
  // The policy version to put in requests' client_policy_version (0: the configured policy).
  uint64_t request_policy_version() const;
  // Sets both fields of a Vault request.
  template <typename Req>
  void Stamp(Req* req) const {
    req->set_client_bundle_epoch(request_epoch());
    req->set_client_policy_version(request_policy_version());
  }

  // Verifies and adopts what a response carried inline (see the flow above); empty input is a
  // no-op. The bundle's rejection is kPermissionDenied with "rejected: <code>: <message>"; the
  // state is then unchanged apart from policy updates accepted before it, and no fleet key is
  // usable that was not usable before. The state file is saved before this returns OK. Refused
  // policy updates and consistency checks that fell back to the offline rule do not fail the call:
  // they are described in *warnings (may be null; "" if none).
  Status Adopt(std::string_view validation_bundle, const std::vector<std::string_view>& policy_updates,
               std::string* warnings);
  Status Adopt(std::string_view validation_bundle) { return Adopt(validation_bundle, {}, nullptr); }
  // Adopt() with a Vault response's validation_bundle and policy_updates.
  template <typename Resp>
  Status AdoptFrom(const Resp& resp, std::string* warnings) {
    std::vector<std::string_view> updates(resp.policy_updates().begin(), resp.policy_updates().end());
    return Adopt(resp.validation_bundle(), updates, warnings);
  }

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
  std::shared_ptr<trust::ConsistencyFetcher> fetcher_;  // null: offline
  trust::TrustState state_;                  // guarded by mu_
  std::optional<trust::Payload> payload_;    // guarded by mu_: adopted in this process
  std::string payload_bytes_;                // guarded by mu_: the delivered bundle of payload_
};

}  // namespace keyward::client
