// FleetCoreHost: the CoreHost (core_host.h) of a fleet member — VaultService's way to its Raft-
// replicated vault core (FleetState's runtime: VaultCore + FleetReplica). It follows core_host.h's
// recipe for a Raft host:
//   - only a ready leader serves (anything else answers kUnavailable; VaultService's forwarder,
//     fleet_forwarder.h, normally hands such calls to the leader before they get here);
//   - Prepare* under the core's shared lock; the Prepared*'s command is submitted to the replica,
//     which group-commits it (many commands per log entry);
//   - Bind*/Complete* run in the replica's apply loop right after THAT command is applied (under
//     the core's exclusive lock, before the next command), so they see the record as the command
//     left it; a KE2 is computed only from a BoundRecoverStart whose BeginLogin was committed on a
//     majority and applied here (G1);
//   - `done`, and the KE2's scalar multiplications (FinishRecoverStart), run on this host's worker
//     threads, never on the apply thread nor under the core lock.
// Every state-changing call's `done` is called exactly once and always asynchronously (on a
// worker), also for errors found before anything was submitted.
//
// Ownership: borrows the FleetState (must outlive the host). Each call keeps the runtime it used
// alive until its `done` ran. Thread-safety: every method may be called concurrently. Stop() (or
// the destructor) runs the queued work and joins the workers; call it after the gRPC server that
// uses the host has shut down and after FleetState::Shutdown (which fails pending commits).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "node/core_host.h"
#include "node/fleet_member.h"

namespace keyward::node {

class FleetCoreHost final : public CoreHost {
 public:
  // `workers`: threads that compute KE2s and call `done` (the machine's cores is a good choice).
  explicit FleetCoreHost(FleetState* state, size_t workers = 2);
  ~FleetCoreHost() override;
  FleetCoreHost(const FleetCoreHost&) = delete;
  FleetCoreHost& operator=(const FleetCoreHost&) = delete;

  // The fleet key once the node is a member (all zero before `keyward fleet init`).
  const crypto::ristretto::ElementBytes& fleet_public_key() const override;
  size_t record_count() const override;
  StatusOr<core::RegisterStartResult> RegisterStart(ByteSpan user_id,
                                                    ByteSpan registration_request) override;
  void Upload(core::UploadRequest request, core::Authority authority,
              CoreDone<core::UploadResult> done) override;
  void Activate(Bytes user_id, Bytes activation_key, CoreDone<core::ActivateResult> done) override;
  void RecoverStart(Bytes user_id, Bytes ke1, CoreDone<core::RecoverStartResult> done) override;
  void RecoverFinish(Bytes user_id, Bytes login_state, Bytes ke3,
                     CoreDone<core::RecoverFinishResult> done) override;
  void Delete(core::DeleteRequest request, core::Authority authority,
              CoreDone<core::DeleteResult> done) override;

  // Runs the queued work and joins the workers; later `done`s run on the caller's thread.
  void Stop();

 private:
  // The runtime of a ready leader, or the reason this node cannot serve.
  StatusOr<std::shared_ptr<FleetRuntime>> Leader() const;
  // Replicates `command`; `bind` runs in the apply loop right after it was applied (cheap; under
  // the exclusive core lock), then `finish` (may be expensive) and `done` on a worker.
  template <typename B, typename T>
  void Replicate(std::shared_ptr<FleetRuntime> rt, const core::Command& command,
                 std::function<StatusOr<B>(const core::ApplyResult&)> bind,
                 std::function<StatusOr<T>(StatusOr<B>)> finish, CoreDone<T> done);
  template <typename T>
  void Answer(CoreDone<T> done, StatusOr<T> result);
  void Post(std::function<void()> work);
  void Work();

  FleetState* const state_;
  crypto::BlockRng rng_;  // thread-safe

  std::mutex mu_;  // guards queue_ and stop_
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace keyward::node
