#include "node/fleet_core_host.h"

#include <optional>

namespace keyward::node {

FleetCoreHost::FleetCoreHost(FleetState* state, size_t workers) : state_(state) {
  workers = std::max<size_t>(1, workers);
  for (size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { Work(); });
}

FleetCoreHost::~FleetCoreHost() { Stop(); }

void FleetCoreHost::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

void FleetCoreHost::Post(std::function<void()> work) {
  {
    std::unique_lock lock(mu_);
    if (!stop_) {
      queue_.push_back(std::move(work));
      lock.unlock();
      cv_.notify_one();
      return;
    }
  }
  work();  // stopped: run it here so `done` still runs exactly once
}

void FleetCoreHost::Work() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ and drained
    std::function<void()> work = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    work();
    lock.lock();
  }
}

template <typename T>
void FleetCoreHost::Answer(CoreDone<T> done, StatusOr<T> result) {
  Post([done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

const crypto::ristretto::ElementBytes& FleetCoreHost::fleet_public_key() const {
  static const crypto::ristretto::ElementBytes kNone{};
  std::shared_ptr<FleetRuntime> rt = state_->runtime();
  // The core lives as long as the FleetState keeps its runtime, i.e. until shutdown.
  return rt ? rt->core->fleet_public_key() : kNone;
}

size_t FleetCoreHost::record_count() const {
  std::shared_ptr<FleetRuntime> rt = state_->runtime();
  if (!rt) return 0;
  std::shared_lock lock(rt->core_mu);
  return rt->core->record_count();
}

StatusOr<std::shared_ptr<FleetRuntime>> FleetCoreHost::Leader() const {
  std::shared_ptr<FleetRuntime> rt = state_->runtime();
  if (!rt) return Unavailable("this node is not a fleet member yet; run `keyward fleet init`");
  FleetInfo info = rt->replica->info();
  if (!info.ready_leader) {
    return Unavailable(info.leader == raft::kNoNode || info.leader == rt->id
                           ? std::string("the fleet has no leader right now (election in progress); retry")
                           : "this node is not the fleet leader (leader: member " +
                                 std::to_string(info.leader) + "); retry");
  }
  return rt;
}

template <typename B, typename T>
void FleetCoreHost::Replicate(std::shared_ptr<FleetRuntime> rt, const core::Command& command,
                              std::function<StatusOr<B>(const core::ApplyResult&)> bind,
                              std::function<StatusOr<T>(StatusOr<B>)> finish, CoreDone<T> done) {
  // Exactly one of `applied` and `failed` runs (FleetSubmission); both hand over to a worker.
  auto shared_done = std::make_shared<CoreDone<T>>(std::move(done));
  FleetSubmission s;
  s.command = core::SerializeCommand(command);
  s.applied = [this, rt, shared_done, bind = std::move(bind),
               finish = std::move(finish)](const core::ApplyResult& applied) mutable {
    // Apply loop, exclusive core lock, right after THIS command: bind to the record now.
    StatusOr<B> bound = bind(applied);
    Post([rt, shared_done, finish = std::move(finish), bound = std::move(bound)]() mutable {
      (*shared_done)(finish(std::move(bound)));
    });
  };
  s.failed = [this, shared_done](const Status& status) {
    Post([shared_done, status] { (*shared_done)(status); });
  };
  rt->replica->Submit(std::move(s));
}

template <typename T>
static StatusOr<T> Identity(StatusOr<T> r) {
  return r;
}

StatusOr<core::RegisterStartResult> FleetCoreHost::RegisterStart(ByteSpan user_id,
                                                                 ByteSpan registration_request) {
  ASSIGN_OR_RETURN(std::shared_ptr<FleetRuntime> rt, Leader());
  std::shared_lock lock(rt->core_mu);  // reads the record's epoch
  return rt->core->RegisterStart(user_id, registration_request);
}

void FleetCoreHost::Upload(core::UploadRequest request, core::Authority authority,
                           CoreDone<core::UploadResult> done) {
  StatusOr<std::shared_ptr<FleetRuntime>> rt = Leader();
  if (!rt.ok()) return Answer(std::move(done), StatusOr<core::UploadResult>(rt.status()));
  StatusOr<core::PreparedUpload> prepared = [&]() -> StatusOr<core::PreparedUpload> {
    std::shared_lock lock((*rt)->core_mu);
    return (*rt)->core->PrepareUpload(request, authority, rng_);
  }();
  if (!prepared.ok()) return Answer(std::move(done), StatusOr<core::UploadResult>(prepared.status()));
  auto p = std::make_shared<core::PreparedUpload>(std::move(*prepared));
  core::VaultCore* core = (*rt)->core.get();
  Replicate<core::UploadResult, core::UploadResult>(
      *rt, p->command,
      [core, p](const core::ApplyResult& a) { return core->CompleteUpload(*p, a); },
      Identity<core::UploadResult>, std::move(done));
}

void FleetCoreHost::Activate(Bytes user_id, Bytes activation_key, CoreDone<core::ActivateResult> done) {
  StatusOr<std::shared_ptr<FleetRuntime>> rt = Leader();
  if (!rt.ok()) return Answer(std::move(done), StatusOr<core::ActivateResult>(rt.status()));
  StatusOr<core::PreparedActivate> prepared = [&]() -> StatusOr<core::PreparedActivate> {
    std::shared_lock lock((*rt)->core_mu);
    return (*rt)->core->PrepareActivate(user_id, activation_key);
  }();
  if (!prepared.ok()) return Answer(std::move(done), StatusOr<core::ActivateResult>(prepared.status()));
  core::VaultCore* core = (*rt)->core.get();
  Replicate<core::ActivateResult, core::ActivateResult>(
      *rt, prepared->command, [core](const core::ApplyResult& a) { return core->CompleteActivate(a); },
      Identity<core::ActivateResult>, std::move(done));
}

void FleetCoreHost::RecoverStart(Bytes user_id, Bytes ke1, CoreDone<core::RecoverStartResult> done) {
  StatusOr<std::shared_ptr<FleetRuntime>> rt = Leader();
  if (!rt.ok()) return Answer(std::move(done), StatusOr<core::RecoverStartResult>(rt.status()));
  StatusOr<core::PreparedRecoverStart> prepared = [&]() -> StatusOr<core::PreparedRecoverStart> {
    std::shared_lock lock((*rt)->core_mu);
    return (*rt)->core->PrepareRecoverStart(user_id, ke1);
  }();
  if (!prepared.ok()) return Answer(std::move(done), StatusOr<core::RecoverStartResult>(prepared.status()));
  auto p = std::make_shared<core::PreparedRecoverStart>(std::move(*prepared));
  core::VaultCore* core = (*rt)->core.get();
  crypto::Rng* rng = &rng_;
  // G1: Bind only with the ApplyResult of THIS BeginLogin, committed on a majority; the KE2 (five
  // scalar multiplications) is computed afterwards on a worker, outside the core lock.
  Replicate<core::BoundRecoverStart, core::RecoverStartResult>(
      *rt, p->command,
      [core, p](const core::ApplyResult& a) -> StatusOr<core::BoundRecoverStart> {
        return core->BindRecoverStart(*p, a);
      },
      [core, rng](StatusOr<core::BoundRecoverStart> bound) -> StatusOr<core::RecoverStartResult> {
        if (!bound.ok()) return bound.status();
        return core->FinishRecoverStart(*bound, *rng);
      },
      std::move(done));
}

void FleetCoreHost::RecoverFinish(Bytes user_id, Bytes login_state, Bytes ke3,
                                  CoreDone<core::RecoverFinishResult> done) {
  StatusOr<std::shared_ptr<FleetRuntime>> rt = Leader();
  if (!rt.ok()) return Answer(std::move(done), StatusOr<core::RecoverFinishResult>(rt.status()));
  core::VaultCore* core = (*rt)->core.get();
  std::optional<StatusOr<core::RecoverFinishResult>> immediate;
  std::shared_ptr<core::PreparedRecoverFinish> p;
  {
    std::shared_lock lock((*rt)->core_mu);
    StatusOr<core::PreparedRecoverFinish> prepared = core->PrepareRecoverFinish(user_id, login_state, ke3);
    if (!prepared.ok()) {
      immediate = prepared.status();
    } else if (!prepared->command.has_value()) {
      immediate = core->CompleteRecoverFinish(std::move(*prepared), nullptr, rng_);
    } else {
      p = std::make_shared<core::PreparedRecoverFinish>(std::move(*prepared));
    }
  }
  if (immediate.has_value()) return Answer(std::move(done), std::move(*immediate));
  crypto::Rng* rng = &rng_;
  // Complete reads the sealed secret of the record just applied: in the apply loop (AEADs only).
  Replicate<core::RecoverFinishResult, core::RecoverFinishResult>(
      *rt, *p->command,
      [core, p, rng](const core::ApplyResult& a) {
        return core->CompleteRecoverFinish(std::move(*p), &a, *rng);
      },
      Identity<core::RecoverFinishResult>, std::move(done));
}

void FleetCoreHost::Delete(core::DeleteRequest request, core::Authority authority,
                           CoreDone<core::DeleteResult> done) {
  StatusOr<std::shared_ptr<FleetRuntime>> rt = Leader();
  if (!rt.ok()) return Answer(std::move(done), StatusOr<core::DeleteResult>(rt.status()));
  core::VaultCore* core = (*rt)->core.get();
  StatusOr<core::PreparedDelete> prepared = [&]() -> StatusOr<core::PreparedDelete> {
    std::shared_lock lock((*rt)->core_mu);
    return core->PrepareDelete(request, authority);
  }();
  if (!prepared.ok()) return Answer(std::move(done), StatusOr<core::DeleteResult>(prepared.status()));
  if (!prepared->command.has_value()) {
    return Answer(std::move(done), core->CompleteDelete(*prepared, nullptr));
  }
  auto p = std::make_shared<core::PreparedDelete>(std::move(*prepared));
  Replicate<core::DeleteResult, core::DeleteResult>(
      *rt, *p->command,
      [core, p](const core::ApplyResult& a) { return core->CompleteDelete(*p, &a); },
      Identity<core::DeleteResult>, std::move(done));
}

}  // namespace keyward::node
