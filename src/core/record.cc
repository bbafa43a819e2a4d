#include "core/record.h"

namespace keyward::core {

const char* RecordStateName(RecordState state) {
  switch (state) {
    case RecordState::kPending: return "pending";
    case RecordState::kActive: return "active";
    case RecordState::kLocked: return "locked";
    case RecordState::kDeleted: return "deleted";
  }
  return "invalid";
}

}  // namespace keyward::core
