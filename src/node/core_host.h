// CoreHost: how the untrusted node reaches its trusted vault core. VaultService (the gRPC face)
// talks only to this interface, never to core::VaultCore directly, so the same service runs on a
// single node (LocalCoreHost, below) or in a Raft fleet (FleetCoreHost, src/node/fleet_*), where a
// state change must be committed on a majority before the client gets an answer (DESIGN.md §4).
//
// Every state-changing call follows the core's replication API (src/core/vault_core.h):
//   1. Prepare*   validate the request against the current state (cheap; reads state)
//   2. replicate  get the Prepared*'s Command applied: LocalCoreHost applies it at once; a Raft host
//                 proposes SerializeCommand(command), and every replica runs Apply in log order
//   3. Bind/Complete* on the PROPOSING core with the ApplyResult of that very command
// All of 1–3 that touch the record table must be serialized with Apply (one mutex, or the Raft
// apply thread). The expensive part of a recovery — the KE2 (five ristretto255 scalar
// multiplications) — is core::VaultCore::FinishRecoverStart, which reads no state and runs
// OUTSIDE that serialization, on the caller's (gRPC) thread.
//
// G1 (the guess limit) depends on this order: a KE2 is released only after the BeginLogin command
// that counted the guess was applied (on a majority, for a fleet). A host must never call
// FinishRecoverStart with an ApplyResult it did not get from applying that recovery's command.
//
// How a Raft-backed host implements it (FleetCoreHost):
//   - Prepare* under the core lock on the leader; if the Prepared* has no command, answer at once.
//   - Propose SerializeCommand(prepared.command) to Raft and remember (log index → pending call).
//   - Raft's apply loop (core::VaultStateMachine::Apply) applies every committed entry in order;
//     for an entry this node proposed it runs the matching Bind*/Complete* step IN THE APPLY LOOP,
//     right after Apply and before the next entry (later entries may change the record), then
//     hands the bound result to a worker / the callback, which runs FinishRecoverStart off the
//     apply thread and calls `done`.
//   - Not the leader, leadership lost before commit, or shutting down: `done(Unavailable(...))`
//     (the client retries; a lost BeginLogin that was in fact committed only used one guess).
//
// Callbacks: `done` is called exactly once, either synchronously inside the call (LocalCoreHost)
// or later from another thread (a Raft host). It must not block for long and must not call back
// into the host while holding its own locks.
//
// Ownership: LocalCoreHost borrows the core, which must outlive it. Thread-safety: every method
// may be called concurrently from many threads.
#pragma once

#include <functional>
#include <mutex>

#include "common/bytes.h"
#include "common/status.h"
#include "core/vault_core.h"
#include "crypto/random.h"

namespace keyward::node {

template <typename T>
using CoreDone = std::function<void(StatusOr<T>)>;

class CoreHost {
 public:
  virtual ~CoreHost() = default;

  // The fleet's OPAQUE server public key (what clients pin).
  virtual const crypto::ristretto::ElementBytes& fleet_public_key() const = 0;
  // Records in the table (tombstones included), for the metrics gauge.
  virtual size_t record_count() const = 0;

  // Read-only: the OPRF evaluation of registration phase 1 (no command).
  virtual StatusOr<core::RegisterStartResult> RegisterStart(ByteSpan user_id,
                                                            ByteSpan registration_request) = 0;
  // `authority` is kAccount only when the caller presented an account-authority credential
  // (docs/protocol.md "Account credentials"); an ordinary user credential is kNone.
  virtual void Upload(core::UploadRequest request, core::Authority authority,
                      CoreDone<core::UploadResult> done) = 0;
  virtual void Activate(Bytes user_id, Bytes activation_key,
                        CoreDone<core::ActivateResult> done) = 0;
  // Counts the guess (command applied) BEFORE the KE2 is computed and released.
  virtual void RecoverStart(Bytes user_id, Bytes ke1, CoreDone<core::RecoverStartResult> done) = 0;
  virtual void RecoverFinish(Bytes user_id, Bytes login_state, Bytes ke3,
                             CoreDone<core::RecoverFinishResult> done) = 0;
  virtual void Delete(core::DeleteRequest request, core::Authority authority,
                      CoreDone<core::DeleteResult> done) = 0;
};

// One node, one core: Prepare, Apply and Bind under one mutex; FinishRecoverStart (the KE2's
// scalar multiplications) outside it, so recoveries of different users run in parallel.
// Every call completes synchronously (done runs before the method returns).
class LocalCoreHost final : public CoreHost {
 public:
  explicit LocalCoreHost(core::VaultCore* core) : core_(core) {}

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

 private:
  core::VaultCore* const core_;
  mutable std::mutex mu_;  // serializes every access to core_'s record table
  crypto::BlockRng rng_;  // thread-safe
};

}  // namespace keyward::node
