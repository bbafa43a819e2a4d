#include "node/core_host.h"

#include <pthread.h>
#include <sodium.h>

#include <array>
#include <atomic>
#include <cstring>
#include <optional>

namespace keyward::node {
namespace {

// Bumped in every forked child, so a child never hands out bytes its parent may also hand out.
std::atomic<uint64_t> g_fork_generation{0};
void OnForkChild() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

struct RandomBlock {
  std::array<uint8_t, BlockRng::kBlockBytes> bytes{};
  size_t used = BlockRng::kBlockBytes;  // everything used: refill before the first use
  uint64_t generation = 0;
  ~RandomBlock() { sodium_memzero(bytes.data(), bytes.size()); }
};

}  // namespace

void BlockRng::Fill(std::span<uint8_t> out) {
  static const bool registered = pthread_atfork(nullptr, nullptr, &OnForkChild) == 0;
  if (!registered || out.size() > kBlockBytes / 2) {
    crypto::SystemRng().Fill(out);
    return;
  }
  thread_local RandomBlock block;
  const uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
  if (block.generation != generation || kBlockBytes - block.used < out.size()) {
    crypto::SystemRng().Fill(block.bytes);  // overwrites whatever was left
    block.used = 0;
    block.generation = generation;
  }
  std::memcpy(out.data(), block.bytes.data() + block.used, out.size());
  sodium_memzero(block.bytes.data() + block.used, out.size());
  block.used += out.size();
}

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
