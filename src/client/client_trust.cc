#include "client/client_trust.h"

#include <algorithm>
#include <chrono>

#include "trust/online_consistency.h"
#include "trust/rotation.h"

namespace keyward::client {
namespace {

trust::UnixSeconds SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TrustedFleet FromEntry(const trust::FleetEntry& f) {
  TrustedFleet t;
  t.id = f.id;
  std::copy(f.opaque_public_key.begin(), f.opaque_public_key.end(), t.key.begin());
  t.state = f.state;
  t.endpoints = f.endpoints;
  t.argon2id = f.argon2id;
  return t;
}

}  // namespace

StatusOr<std::unique_ptr<ClientTrust>> ClientTrust::Create(Options options) {
  auto trust = std::unique_ptr<ClientTrust>(new ClientTrust());
  StatusOr<trust::TrustPolicy> policy = options.policy_text.empty()
                                            ? trust::TrustPolicy::Load(options.policy_path)
                                            : trust::TrustPolicy::Parse(options.policy_text);
  if (!policy.ok()) return policy.status();
  trust->mode_ = policy->mode();
  if (trust->mode_ == trust::TrustMode::kOverTheAir) {
    if (options.state_path.empty()) {
      return InvalidArgument("an over-the-air trust policy needs a trust state file (--state FILE; SDK: Config::trust_state_path; C: "
                             "keyward_client_new_with_state): it keeps the "
                             "epoch and log high-water marks that stop rollback");
    }
    ASSIGN_OR_RETURN(trust->state_, trust::LoadState(options.state_path));
    // A stored policy update must still parse (EffectivePolicy fails loudly on a corrupt state).
    RETURN_IF_ERROR(trust::EffectivePolicy(*policy, trust->state_).status());
  } else {
    const auto& fleets = policy->pinned()->fleets();
    const bool known = options.fleet_id.empty()
                           ? fleets.size() == 1
                           : std::any_of(fleets.begin(), fleets.end(),
                                         [&](const trust::PinnedFleet& f) { return f.id == options.fleet_id; });
    if (!known) {
      return InvalidArgument(options.fleet_id.empty()
                                 ? "the trust policy pins several fleets; say which one (fleet id)"
                                 : "the trust policy pins no fleet \"" + options.fleet_id + "\"");
    }
  }
  if (trust->mode_ == trust::TrustMode::kOverTheAir && options.online_consistency) {
    trust->fetcher_ = options.fetcher ? options.fetcher : std::make_shared<trust::HttpConsistencyFetcher>();
  }
  trust->configured_ = std::make_unique<trust::TrustPolicy>(std::move(*policy));
  trust->options_ = std::move(options);
  return trust;
}

uint64_t ClientTrust::request_epoch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return payload_ ? payload_->epoch : 0;
}

uint64_t ClientTrust::request_policy_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.policy ? state_.policy->version : 0;
}

Status ClientTrust::Adopt(std::string_view validation_bundle, const std::vector<std::string_view>& policy_updates,
                          std::string* warnings) {
  if (warnings != nullptr) warnings->clear();
  if (mode_ != trust::TrustMode::kOverTheAir) return Status::Ok();  // pinned: bundles are ignored
  if (validation_bundle.empty() && policy_updates.empty()) return Status::Ok();
  const trust::UnixSeconds now = options_.now.value_or(SystemNow());
  std::vector<std::string> notes;
  auto note_consistency = [&](trust::ConsistencyCheck c, const std::string& detail, const std::string& what) {
    if (c == trust::ConsistencyCheck::kFetchFailed) notes.push_back(what + ": log consistency: " + detail);
  };
  auto joined = [&] {
    std::string out;
    for (const std::string& n : notes) out += (out.empty() ? "" : "; ") + n;
    return out;
  };
  std::lock_guard<std::mutex> lock(mu_);
  // 1. Policy updates, in the order the node sent them (oldest first). Each is checked against the
  // policy in force at that point, so a chain of rotations is followed one link at a time.
  bool policy_changed = false;
  for (std::string_view update : policy_updates) {
    ASSIGN_OR_RETURN(trust::TrustPolicy policy, trust::EffectivePolicy(*configured_, state_));
    const uint64_t held = state_.policy ? state_.policy->version : 0;
    trust::TrustState next = state_;
    auto applied = trust::ApplyPolicyUpdate(policy, AsBytes(update), next, now, fetcher_.get());
    if (!applied.ok()) {
      notes.push_back("a policy update was refused, policy version " + std::to_string(held) +
                      " stays in force: " + applied.rejection().ToString());
      continue;
    }
    note_consistency(applied->consistency, applied->consistency_detail,
                     "policy update " + std::to_string(applied->version));
    if (applied->redelivery) continue;
    RETURN_IF_ERROR(trust::SaveState(options_.state_path, next).WithContext("saving the trust state"));
    state_ = std::move(next);
    policy_changed = true;
  }
  ASSIGN_OR_RETURN(trust::TrustPolicy policy, trust::EffectivePolicy(*configured_, state_));
  // 2. Fleets adopted earlier in this process must verify under a new policy too (unless this
  // response replaces them with a bundle that does).
  auto recheck_held = [&] {
    if (!policy_changed || !payload_) return;
    trust::TrustState scratch = state_;
    auto again = trust::VerifyBundle(policy, AsBytes(payload_bytes_), scratch, now, nullptr);
    if (!again.ok()) {
      notes.push_back("the fleets adopted earlier (epoch " + std::to_string(payload_->epoch) +
                      ") are not valid under the new policy and were dropped: " + again.rejection().ToString());
      payload_.reset();
      payload_bytes_.clear();
    }
  };
  // 3. The bundle, under the policy now in force.
  if (validation_bundle.empty()) {
    recheck_held();
  } else {
    trust::TrustState next = state_;
    auto verified = trust::VerifyBundle(policy, AsBytes(validation_bundle), next, now, fetcher_.get());
    if (!verified.ok()) {
      recheck_held();
      std::string msg = verified.rejection().ToString();
      if (!notes.empty()) msg += " (also: " + joined() + ")";
      if (warnings != nullptr) *warnings = joined();
      return PermissionDenied(msg);
    }
    note_consistency(verified->consistency, verified->consistency_detail,
                     "bundle epoch " + std::to_string(verified->epoch));
    // Persist before any fleet key from this bundle can be used (a crash must not lose the mark).
    RETURN_IF_ERROR(trust::SaveState(options_.state_path, next).WithContext("saving the trust state"));
    state_ = std::move(next);
    payload_ = std::move(verified.value().payload);
    payload_bytes_ = std::string(validation_bundle);
  }
  if (warnings != nullptr) *warnings = joined();
  return Status::Ok();
}

StatusOr<TrustedFleet> ClientTrust::Select(trust::FleetUse use,
                                           const std::optional<std::array<uint8_t, 32>>& key) const {
  if (mode_ == trust::TrustMode::kPinned) {
    const trust::PinnedPolicy& pinned = *configured_->pinned();
    const trust::PinnedFleet* chosen = nullptr;
    if (key) {
      ASSIGN_OR_RETURN(trust::PinnedFleet f, pinned.ValidateFleetKey(*key));
      if (!options_.fleet_id.empty() && f.id != options_.fleet_id) {
        return PermissionDenied("the vault's fleet key belongs to pinned fleet \"" + f.id + "\", not \"" +
                                options_.fleet_id + "\"");
      }
      for (const auto& p : pinned.fleets()) {
        if (p.id == f.id) chosen = &p;
      }
    } else {
      for (const auto& p : pinned.fleets()) {
        if (options_.fleet_id.empty() ? pinned.fleets().size() == 1 : p.id == options_.fleet_id) chosen = &p;
      }
    }
    if (chosen == nullptr) return PermissionDenied("no pinned fleet for this vault");
    TrustedFleet t;
    t.id = chosen->id;
    std::copy(chosen->public_key.begin(), chosen->public_key.end(), t.key.begin());
    return t;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!payload_) {
    return PermissionDenied("no validation bundle adopted yet: the vault sent none, so no fleet key can be "
                            "trusted (the node needs --bundle-dir with a delivered bundle)");
  }
  if (key) {
    auto found = trust::FindFleet(*payload_, *key, use);
    if (!found.ok()) {
      return PermissionDenied(found.status().code() == ErrorCode::kNotFound
                                  ? "the vault's fleet key is in no fleet of the adopted bundle (epoch " +
                                        std::to_string(payload_->epoch) + "): do not use this vault"
                                  : found.status().message());
    }
    if (!options_.fleet_id.empty() && found->id != options_.fleet_id) {
      return PermissionDenied("the vault's fleet key belongs to fleet \"" + found->id + "\", not \"" +
                              options_.fleet_id + "\"");
    }
    return FromEntry(*found);
  }
  const trust::FleetEntry* chosen = nullptr;
  if (!options_.fleet_id.empty()) {
    for (const auto& f : payload_->fleets) {
      if (f.id == options_.fleet_id) chosen = &f;
    }
  } else {
    for (const auto& f : payload_->fleets) {
      if (std::find(f.endpoints.begin(), f.endpoints.end(), options_.vault_address) != f.endpoints.end()) chosen = &f;
    }
    if (chosen == nullptr) {
      size_t usable = 0;
      for (const auto& f : payload_->fleets) {
        if (f.state != trust::FleetState::kRevoked) {
          ++usable;
          chosen = &f;
        }
      }
      if (usable != 1) chosen = nullptr;
    }
  }
  if (chosen == nullptr) {
    return PermissionDenied("cannot tell which fleet serves " + options_.vault_address +
                            ": no fleet of the adopted bundle lists it as an endpoint; give the fleet id");
  }
  if (chosen->state == trust::FleetState::kRevoked) {
    return PermissionDenied("rejected: revoked: fleet \"" + chosen->id + "\" is revoked: do not use it");
  }
  if (use == trust::FleetUse::kRegister && chosen->state != trust::FleetState::kActive) {
    return PermissionDenied("fleet \"" + chosen->id + "\" is retiring: register on an active fleet");
  }
  return FromEntry(*chosen);
}

StatusOr<TrustedFleet> ClientTrust::FleetForRegistration(ByteSpan server_public_key) const {
  if (server_public_key.size() != 32) return PermissionDenied("the vault's fleet key is not 32 bytes");
  std::array<uint8_t, 32> key;
  std::copy(server_public_key.begin(), server_public_key.end(), key.begin());
  return Select(trust::FleetUse::kRegister, key);
}

StatusOr<TrustedFleet> ClientTrust::FleetForRecovery() const { return Select(trust::FleetUse::kRecover, std::nullopt); }

std::optional<TrustedFleet> ClientTrust::ActiveFleet() const {
  if (mode_ != trust::TrustMode::kOverTheAir) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  if (!payload_) return std::nullopt;
  const trust::FleetEntry* first = nullptr;
  for (const auto& f : payload_->fleets) {
    if (f.state != trust::FleetState::kActive) continue;
    if (std::find(f.endpoints.begin(), f.endpoints.end(), options_.vault_address) != f.endpoints.end()) {
      return FromEntry(f);
    }
    if (first == nullptr) first = &f;
  }
  if (first == nullptr) return std::nullopt;
  return FromEntry(*first);
}

}  // namespace keyward::client
