// VaultStateMachine: the vault core seen by Raft (src/core/raft) as its raft::StateMachine.
//
// Raft calls Apply(index, bytes) for every committed command entry in index order; the bytes are
// a SerializeCommand() produced by a core's Prepare* (commands.h) and the result is the
// SerializeApplyResult() the proposing core passes to Complete*. Snapshot/Restore carry the whole
// record table for healing a restarted core (VaultCore::Snapshot; sealed secrets stay sealed).
//
// Ownership: borrows the VaultCore, which must outlive it. Thread-safety: as VaultCore (one
// thread: the Raft instance that drives it).
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "core/raft/types.h"
#include "core/vault_core.h"

namespace keyward::core {

class VaultStateMachine final : public raft::StateMachine {
 public:
  explicit VaultStateMachine(VaultCore& core) : core_(core) {}

  // REQUIRES: index > the previous index (Raft's apply order). Malformed bytes change nothing and
  // return an ApplyResult with code kInvalid.
  Bytes Apply(uint64_t index, ByteSpan command) override;
  Bytes Snapshot() const override { return core_.Snapshot(); }
  Status Restore(ByteSpan snapshot) override { return core_.Restore(snapshot); }

  uint64_t last_applied_index() const { return last_applied_; }

 private:
  VaultCore& core_;
  uint64_t last_applied_ = 0;
};

}  // namespace keyward::core
