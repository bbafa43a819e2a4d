// VaultModel: a model of the vault's replicated guess counters, used by the simulator as the Raft
// StateMachine until the real core (src/core/) plugs in. It keeps exactly the state the safety
// properties are about (per user: max attempts, attempts used, locked) plus a client session table
// so that a retried request is applied once (exactly-once for retries; stale replays refused).
//
// command := u32 client ‖ u64 seq ‖ u8 op (1 register | 2 attempt | 3 success) ‖ u32 user ‖ u8 max
// result  := u8 code ‖ u8 attempts_used (after the command)
// An `attempt` result of kAllowed is the model of "a KE2 may be released": only when the
// increment is committed and attempts before it were < max.
//
// Thread-safety: not thread-safe (one per simulated node).
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "common/bytes.h"
#include "core/raft/types.h"

namespace keyward::sim {

enum class Op : uint8_t { kRegister = 1, kAttempt = 2, kSuccess = 3 };
enum class Code : uint8_t {
  kOk = 0,        // register / success done
  kAllowed = 1,   // attempt counted: a KE2 may be released
  kDenied = 2,    // attempts used up (now locked) or success on a locked record
  kNotFound = 3,
  kExists = 4,
  kStale = 5,     // an old (client, seq) replayed: refused, nothing applied
  kMalformed = 6,
};

struct Command {
  uint32_t client = 0;
  uint64_t seq = 0;
  Op op = Op::kAttempt;
  uint32_t user = 0;
  uint8_t max_attempts = 0;
  Bytes Encode() const;
  static std::optional<Command> Decode(ByteSpan b);
};

struct Result {
  Code code = Code::kMalformed;
  uint8_t attempts = 0;
  Bytes Encode() const { return {static_cast<uint8_t>(code), attempts}; }
  static Result Decode(ByteSpan b);
  bool operator==(const Result&) const = default;
};

struct UserRecord {
  uint8_t max_attempts = 0;
  uint8_t attempts = 0;
  bool locked = false;
  bool operator==(const UserRecord&) const = default;
};

class VaultModel final : public raft::StateMachine {
 public:
  Bytes Apply(uint64_t index, ByteSpan command) override;
  Bytes Snapshot() const override;
  Status Restore(ByteSpan snapshot) override;

  std::optional<UserRecord> Read(uint32_t user) const;
  const std::map<uint32_t, UserRecord>& users() const { return users_; }

 private:
  Result Execute(const Command& c);
  struct Session {
    uint64_t seq = 0;
    Result result;
  };
  std::map<uint32_t, UserRecord> users_;
  std::map<uint32_t, Session> sessions_;
};

}  // namespace keyward::sim
