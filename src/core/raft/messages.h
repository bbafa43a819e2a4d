// Raft peer messages and their strict wire encoding (wire::Writer / wire::Reader).
//
// Messages arrive from the untrusted host already authenticated by PeerChannel (peer_channel.h),
// but Decode still treats them as untrusted bytes: bounded counts and sizes, no trailing bytes.
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "core/raft/types.h"

namespace keyward::raft {

enum class MessageType : uint8_t {
  kPreVote = 1,        // "would you vote for me in term+1?" (Raft thesis §9.6); changes no state
  kPreVoteReply = 2,
  kVote = 3,
  kVoteReply = 4,
  kAppend = 5,         // AppendEntries; empty = heartbeat
  kAppendReply = 6,
  kSnapshot = 7,       // InstallSnapshot (whole state machine + membership at `snap_index`)
  kSnapshotReply = 8,
  kJoin = 9,           // a booted core announcing its incarnation to the fleet
};

inline constexpr size_t kMaxEntriesPerMessage = 4096;
// Terms and log indices on the wire are bounded far below 2^64 so that no message can push a node
// to a term or index whose successor overflows (a fuzzer found term 2^64-1 wrapping to 0 at the
// next election). A real fleet advances a term by one per election: 2^62 is never reached.
inline constexpr uint64_t kMaxTerm = uint64_t{1} << 62;
inline constexpr uint64_t kMaxIndex = uint64_t{1} << 62;
inline constexpr size_t kMaxEntryBytes = 1 << 20;
inline constexpr size_t kMaxSnapshotBytes = 64 << 20;

struct Message {
  MessageType type = MessageType::kJoin;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  uint64_t from_incarnation = 0;
  uint64_t term = 0;
  // kPreVote, kVote
  uint64_t last_log_index = 0;
  uint64_t last_log_term = 0;
  // kPreVoteReply, kVoteReply, kAppendReply
  bool granted = false;  // also "success" for kAppendReply
  // kAppend
  uint64_t prev_index = 0;
  Hash prev_hash{};
  uint64_t commit = 0;
  uint64_t seq = 0;  // leader's heartbeat round (read-index); echoed in kAppendReply
  std::vector<Entry> entries;
  // kAppendReply, kSnapshotReply: highest index known to match the leader (success) or a hint
  uint64_t match_index = 0;
  // kSnapshot
  uint64_t snap_index = 0;
  uint64_t snap_term = 0;
  Hash snap_hash{};        // chain hash of entry snap_index
  Hash snap_digest{};      // SHA-256 of snap_data
  Membership snap_config;  // configuration in effect at snap_index
  Bytes snap_data;

  bool operator==(const Message&) const = default;
};

Bytes EncodeMessage(const Message& m);
StatusOr<Message> DecodeMessage(ByteSpan bytes);
const char* MessageTypeName(MessageType t);

}  // namespace keyward::raft
