#include "core/replicated_state_machine.h"

namespace keyward::core {

Bytes VaultStateMachine::Apply(uint64_t index, ByteSpan command) {
  // Raft applies each committed entry once, in order; anything else is a bug in the caller.
  KW_CHECK(index > last_applied_);
  last_applied_ = index;
  return SerializeApplyResult(core_.ApplySerialized(command));
}

}  // namespace keyward::core
