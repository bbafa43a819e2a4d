#include "client/client_trust.h"

#include <algorithm>
#include <chrono>

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
      return InvalidArgument("an over-the-air trust policy needs a trust state file (--state FILE): it keeps the "
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
  trust->configured_ = std::make_unique<trust::TrustPolicy>(std::move(*policy));
  trust->options_ = std::move(options);
  return trust;
}

uint64_t ClientTrust::request_epoch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return payload_ ? payload_->epoch : 0;
}

Status ClientTrust::Adopt(std::string_view validation_bundle) {
  if (validation_bundle.empty()) return Status::Ok();
  if (mode_ != trust::TrustMode::kOverTheAir) return Status::Ok();  // pinned: bundles are ignored
  const trust::UnixSeconds now = options_.now.value_or(SystemNow());
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(trust::TrustPolicy policy, trust::EffectivePolicy(*configured_, state_));
  trust::TrustState next = state_;
  ByteSpan bytes = AsBytes(validation_bundle);
  auto type = trust::DeliveredPayloadType(bytes);
  if (!type.ok()) return PermissionDenied(type.rejection().ToString());
  if (*type == trust::kPolicyPayloadType) {
    auto applied = trust::ApplyPolicyUpdate(policy, bytes, next, now);
    if (!applied.ok()) return PermissionDenied(applied.rejection().ToString());
    RETURN_IF_ERROR(trust::SaveState(options_.state_path, next));
    state_ = std::move(next);
    return Status::Ok();
  }
  auto verified = trust::VerifyBundle(policy, bytes, next, now);
  if (!verified.ok()) return PermissionDenied(verified.rejection().ToString());
  // Persist before any fleet key from this bundle can be used (a crash must not lose the mark).
  RETURN_IF_ERROR(trust::SaveState(options_.state_path, next).WithContext("saving the trust state"));
  state_ = std::move(next);
  payload_ = std::move(verified.value().payload);
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
