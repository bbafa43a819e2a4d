#include "core/raft/messages.h"

#include <algorithm>
#include <string>

#include "crypto/hash.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::raft {
namespace {

Status Malformed(const std::string& what) {
  return InvalidArgument("raft message: " + what + "; the peer is buggy or the bytes were altered");
}

void PutHash(wire::Writer& w, const Hash& h) { w.Bytes(h); }

void PutEntry(wire::Writer& w, const Entry& e) {
  w.U64(e.term).U64(e.index).U8(static_cast<uint8_t>(e.type)).U32Prefixed(e.data);
  PutHash(w, e.hash);
}

// entry := u64 term ‖ u64 index ‖ u8 type∈{1,2,3} ‖ u32 len ‖ data[len ≤ 1 MiB] ‖ hash[32]
bool ReadEntry(wire::Reader& r, Entry* e) {
  uint8_t type;
  std::span<const uint8_t> data;
  if (!r.U64(&e->term) || !r.U64(&e->index) || !r.U8(&type) || !r.U32Prefixed(&data) ||
      !r.Fixed(&e->hash)) {
    return false;
  }
  if (type < 1 || type > 3 || data.size() > kMaxEntryBytes) return false;
  if (e->term > kMaxTerm || e->index > kMaxIndex) return false;
  e->type = static_cast<EntryType>(type);
  e->data.assign(data.begin(), data.end());
  return true;
}

bool ReadBool(wire::Reader& r, bool* out) {
  uint8_t b;
  if (!r.U8(&b) || b > 1) return false;
  *out = b == 1;
  return true;
}

}  // namespace

Hash ChainHash(const Hash& prev, uint64_t term, uint64_t index, EntryType type, ByteSpan data) {
  wire::Writer w(64);
  w.Bytes(prev).U64(term).U64(index).U8(static_cast<uint8_t>(type)).U32(static_cast<uint32_t>(data.size()));
  return crypto::Sha256({w.bytes(), data});
}

const Member* Membership::Find(NodeId id) const {
  for (const Member& m : members) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

bool Membership::IsVoter(NodeId id, uint64_t incarnation) const {
  const Member* m = Find(id);
  return m != nullptr && m->voter && m->incarnation == incarnation;
}

size_t Membership::VoterCount() const {
  return static_cast<size_t>(std::count_if(members.begin(), members.end(), [](const Member& m) { return m.voter; }));
}

Bytes Membership::Encode() const {
  wire::Writer w;
  w.U16(static_cast<uint16_t>(members.size()));
  for (const Member& m : members) w.U32(m.id).U64(m.incarnation).U8(m.voter ? 1 : 0);
  return w.Take();
}

namespace {
bool ReadMembership(wire::Reader& r, Membership* out) {
  uint16_t n;
  if (!r.U16(&n)) return false;
  out->members.clear();
  for (uint16_t i = 0; i < n; ++i) {
    Member m;
    if (!r.U32(&m.id) || !r.U64(&m.incarnation) || !ReadBool(r, &m.voter)) return false;
    if (m.id == kNoNode) return false;
    if (!out->members.empty() && out->members.back().id >= m.id) return false;  // sorted, unique
    out->members.push_back(m);
  }
  return true;
}
}  // namespace

StatusOr<Membership> Membership::Decode(ByteSpan bytes) {
  wire::Reader r(bytes);
  Membership m;
  if (!ReadMembership(r, &m) || !r.Finish()) return Malformed("bad membership encoding");
  return m;
}

const char* MessageTypeName(MessageType t) {
  switch (t) {
    case MessageType::kPreVote: return "PreVote";
    case MessageType::kPreVoteReply: return "PreVoteReply";
    case MessageType::kVote: return "Vote";
    case MessageType::kVoteReply: return "VoteReply";
    case MessageType::kAppend: return "Append";
    case MessageType::kAppendReply: return "AppendReply";
    case MessageType::kSnapshot: return "Snapshot";
    case MessageType::kSnapshotReply: return "SnapshotReply";
    case MessageType::kJoin: return "Join";
  }
  return "?";
}

Bytes EncodeMessage(const Message& m) {
  wire::Writer w(128);
  w.U8(static_cast<uint8_t>(m.type)).U32(m.from).U32(m.to).U64(m.from_incarnation).U64(m.term);
  switch (m.type) {
    case MessageType::kPreVote:
    case MessageType::kVote:
      w.U64(m.last_log_index).U64(m.last_log_term);
      break;
    case MessageType::kPreVoteReply:
    case MessageType::kVoteReply:
      w.U8(m.granted ? 1 : 0);
      break;
    case MessageType::kAppend:
      w.U64(m.prev_index);
      PutHash(w, m.prev_hash);
      w.U64(m.commit).U64(m.seq).U32(static_cast<uint32_t>(m.entries.size()));
      for (const Entry& e : m.entries) PutEntry(w, e);
      break;
    case MessageType::kAppendReply:
      w.U8(m.granted ? 1 : 0).U64(m.match_index).U64(m.seq);
      break;
    case MessageType::kSnapshot:
      w.U64(m.snap_index).U64(m.snap_term);
      PutHash(w, m.snap_hash);
      PutHash(w, m.snap_digest);
      w.Bytes(m.snap_config.Encode()).U32Prefixed(m.snap_data);
      break;
    case MessageType::kSnapshotReply:
      w.U64(m.match_index);
      break;
    case MessageType::kJoin:
      break;
  }
  return w.Take();
}

// message   := u8 type ‖ u32 from ‖ u32 to ‖ u64 from_incarnation ‖ u64 term ‖ body
// body      := PreVote|Vote:           u64 last_log_index ‖ u64 last_log_term
//            | PreVoteReply|VoteReply: u8 granted∈{0,1}
//            | Append:        u64 prev_index ‖ hash prev_hash ‖ u64 commit ‖ u64 seq ‖
//                             u32 n (≤ 4096) ‖ n × entry
//            | AppendReply:   u8 success∈{0,1} ‖ u64 match_index ‖ u64 seq
//            | Snapshot:      u64 index ‖ u64 term ‖ hash chain ‖ hash digest ‖ config ‖
//                             u32 len (≤ 64 MiB) ‖ data
//            | SnapshotReply: u64 match_index
//            | Join:          (empty)
// Nothing may follow the body. Entries must be consecutive from prev_index+1 (Raft §5.3 shape);
// the hash chain itself is checked by the receiving node against its own log.
StatusOr<Message> DecodeMessage(ByteSpan bytes) {
  wire::Reader r(bytes);
  Message m;
  uint8_t type;
  if (!r.U8(&type) || !r.U32(&m.from) || !r.U32(&m.to) || !r.U64(&m.from_incarnation) || !r.U64(&m.term)) {
    return Malformed("truncated header");
  }
  if (type < 1 || type > 9) return Malformed("unknown type " + std::to_string(type));
  m.type = static_cast<MessageType>(type);
  bool ok = true;
  switch (m.type) {
    case MessageType::kPreVote:
    case MessageType::kVote:
      ok = r.U64(&m.last_log_index) && r.U64(&m.last_log_term);
      break;
    case MessageType::kPreVoteReply:
    case MessageType::kVoteReply:
      ok = ReadBool(r, &m.granted);
      break;
    case MessageType::kAppend: {
      uint32_t n = 0;
      ok = r.U64(&m.prev_index) && r.Fixed(&m.prev_hash) && r.U64(&m.commit) && r.U64(&m.seq) && r.U32(&n);
      if (ok && n > kMaxEntriesPerMessage) return Malformed("too many entries");
      for (uint32_t i = 0; ok && i < n; ++i) {
        Entry e;
        ok = ReadEntry(r, &e) && e.index == m.prev_index + 1 + i;
        if (ok) m.entries.push_back(std::move(e));
      }
      break;
    }
    case MessageType::kAppendReply:
      ok = ReadBool(r, &m.granted) && r.U64(&m.match_index) && r.U64(&m.seq);
      break;
    case MessageType::kSnapshot: {
      std::span<const uint8_t> data;
      ok = r.U64(&m.snap_index) && r.U64(&m.snap_term) && r.Fixed(&m.snap_hash) && r.Fixed(&m.snap_digest) &&
           ReadMembership(r, &m.snap_config) && r.U32Prefixed(&data) && data.size() <= kMaxSnapshotBytes;
      if (ok) m.snap_data.assign(data.begin(), data.end());
      break;
    }
    case MessageType::kSnapshotReply:
      ok = r.U64(&m.match_index);
      break;
    case MessageType::kJoin:
      break;
  }
  if (!ok) return Malformed(std::string("bad ") + MessageTypeName(m.type) + " body");
  if (!r.Finish()) return Malformed("trailing bytes");
  if (m.term > kMaxTerm || m.last_log_term > kMaxTerm || m.snap_term > kMaxTerm) {
    return Malformed("term out of range");
  }
  if (m.last_log_index > kMaxIndex || m.prev_index > kMaxIndex || m.commit > kMaxIndex ||
      m.match_index > kMaxIndex || m.snap_index > kMaxIndex) {
    return Malformed("log index out of range");
  }
  return m;
}

}  // namespace keyward::raft
