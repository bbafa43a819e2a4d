#include "node/core_host.h"

#include <optional>

namespace keyward::node {

const crypto::ristretto::ElementBytes& LocalCoreHost::fleet_public_key() const {
  return core_->fleet_public_key();  // immutable after creation
}

size_t LocalCoreHost::record_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return core_->record_count();
}

StatusOr<core::RegisterStartResult> LocalCoreHost::RegisterStart(ByteSpan user_id,
                                                                 ByteSpan registration_request) {
  std::lock_guard<std::mutex> lock(mu_);  // reads the record's epoch
  return core_->RegisterStart(user_id, registration_request);
}

void LocalCoreHost::Upload(core::UploadRequest request, core::Authority authority,
                           CoreDone<core::UploadResult> done) {
  StatusOr<core::UploadResult> result = [&]() -> StatusOr<core::UploadResult> {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(core::PreparedUpload prepared, core_->PrepareUpload(request, authority, rng_));
    return core_->CompleteUpload(prepared, core_->Apply(prepared.command));
  }();
  done(std::move(result));
}

void LocalCoreHost::Activate(Bytes user_id, Bytes activation_key,
                             CoreDone<core::ActivateResult> done) {
  StatusOr<core::ActivateResult> result = [&]() -> StatusOr<core::ActivateResult> {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(core::PreparedActivate prepared, core_->PrepareActivate(user_id, activation_key));
    return core_->CompleteActivate(core_->Apply(prepared.command));
  }();
  done(std::move(result));
}

void LocalCoreHost::RecoverStart(Bytes user_id, Bytes ke1, CoreDone<core::RecoverStartResult> done) {
  StatusOr<core::BoundRecoverStart> bound = [&]() -> StatusOr<core::BoundRecoverStart> {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(core::PreparedRecoverStart prepared, core_->PrepareRecoverStart(user_id, ke1));
    // G1: the guess is counted (applied) before any KE2 exists.
    const core::ApplyResult applied = core_->Apply(prepared.command);
    return core_->BindRecoverStart(prepared, applied);
  }();
  if (!bound.ok()) return done(bound.status());
  done(core_->FinishRecoverStart(*bound, rng_));  // the scalar multiplications, unlocked
}

void LocalCoreHost::RecoverFinish(Bytes user_id, Bytes login_state, Bytes ke3,
                                  CoreDone<core::RecoverFinishResult> done) {
  StatusOr<core::RecoverFinishResult> result = [&]() -> StatusOr<core::RecoverFinishResult> {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(core::PreparedRecoverFinish prepared,
                     core_->PrepareRecoverFinish(user_id, login_state, ke3));
    std::optional<core::ApplyResult> applied;
    if (prepared.command.has_value()) applied = core_->Apply(*prepared.command);
    // Reads the sealed secret of the record just applied: stays under the lock (cheap: AEADs).
    return core_->CompleteRecoverFinish(std::move(prepared), applied ? &*applied : nullptr, rng_);
  }();
  done(std::move(result));
}

void LocalCoreHost::Delete(core::DeleteRequest request, core::Authority authority,
                           CoreDone<core::DeleteResult> done) {
  StatusOr<core::DeleteResult> result = [&]() -> StatusOr<core::DeleteResult> {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(core::PreparedDelete prepared, core_->PrepareDelete(request, authority));
    std::optional<core::ApplyResult> applied;
    if (prepared.command.has_value()) applied = core_->Apply(*prepared.command);
    return core_->CompleteDelete(prepared, applied ? &*applied : nullptr);
  }();
  done(std::move(result));
}

}  // namespace keyward::node
