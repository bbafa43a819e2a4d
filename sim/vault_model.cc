#include "sim/vault_model.h"

#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::sim {

Bytes Command::Encode() const {
  wire::Writer w(18);
  w.U32(client).U64(seq).U8(static_cast<uint8_t>(op)).U32(user).U8(max_attempts);
  return w.Take();
}

// command := u32 client ‖ u64 seq ‖ u8 op∈{1,2,3} ‖ u32 user ‖ u8 max_attempts; nothing after.
std::optional<Command> Command::Decode(ByteSpan b) {
  wire::Reader r(b);
  Command c;
  uint8_t op;
  if (!r.U32(&c.client) || !r.U64(&c.seq) || !r.U8(&op) || !r.U32(&c.user) || !r.U8(&c.max_attempts) ||
      !r.Finish() || op < 1 || op > 3) {
    return std::nullopt;
  }
  c.op = static_cast<Op>(op);
  return c;
}

Result Result::Decode(ByteSpan b) {
  if (b.size() != 2 || b[0] > 6) return Result{};
  return Result{static_cast<Code>(b[0]), b[1]};
}

Result VaultModel::Execute(const Command& c) {
  auto it = users_.find(c.user);
  switch (c.op) {
    case Op::kRegister:
      if (it != users_.end()) return {Code::kExists, it->second.attempts};
      if (c.max_attempts == 0) return {Code::kMalformed, 0};
      users_[c.user] = UserRecord{c.max_attempts, 0, false};
      return {Code::kOk, 0};
    case Op::kAttempt: {
      if (it == users_.end()) return {Code::kNotFound, 0};
      UserRecord& u = it->second;
      // The increment is the commit point of a guess: a KE2 is released only for an attempt that
      // was counted while attempts < max.
      if (u.locked || u.attempts >= u.max_attempts) {
        u.locked = true;
        return {Code::kDenied, u.attempts};
      }
      ++u.attempts;
      return {Code::kAllowed, u.attempts};
    }
    case Op::kSuccess: {
      if (it == users_.end()) return {Code::kNotFound, 0};
      UserRecord& u = it->second;
      if (u.locked || u.attempts == 0) return {Code::kDenied, u.attempts};
      u.attempts = 0;
      return {Code::kOk, 0};
    }
  }
  return {Code::kMalformed, 0};
}

Bytes VaultModel::Apply(uint64_t index, ByteSpan command) {
  std::optional<Command> c = Command::Decode(command);
  if (!c) return Result{Code::kMalformed, 0}.Encode();
  Session& s = sessions_[c->client];
  if (c->seq < s.seq) return Result{Code::kStale, 0}.Encode();
  if (c->seq == s.seq && s.seq != 0) return s.result.Encode();  // a retry: same answer, applied once
  s.seq = c->seq;
  s.result = Execute(*c);
  return s.result.Encode();
}

std::optional<UserRecord> VaultModel::Read(uint32_t user) const {
  auto it = users_.find(user);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

Bytes VaultModel::Snapshot() const {
  wire::Writer w;
  w.U32(static_cast<uint32_t>(users_.size()));
  for (const auto& [id, u] : users_) w.U32(id).U8(u.max_attempts).U8(u.attempts).U8(u.locked ? 1 : 0);
  w.U32(static_cast<uint32_t>(sessions_.size()));
  for (const auto& [id, s] : sessions_) w.U32(id).U64(s.seq).Bytes(s.result.Encode());
  return w.Take();
}

// snapshot := u32 n ‖ n × (u32 user ‖ u8 max ‖ u8 attempts ‖ u8 locked) ‖
//             u32 m ‖ m × (u32 client ‖ u64 seq ‖ u8 code ‖ u8 attempts); nothing after.
Status VaultModel::Restore(ByteSpan snapshot) {
  wire::Reader r(snapshot);
  std::map<uint32_t, UserRecord> users;
  std::map<uint32_t, Session> sessions;
  uint32_t n;
  if (!r.U32(&n)) return InvalidArgument("vault model snapshot truncated");
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t id;
    UserRecord u;
    uint8_t locked;
    if (!r.U32(&id) || !r.U8(&u.max_attempts) || !r.U8(&u.attempts) || !r.U8(&locked) || locked > 1) {
      return InvalidArgument("vault model snapshot: bad user record");
    }
    u.locked = locked == 1;
    users[id] = u;
  }
  if (!r.U32(&n)) return InvalidArgument("vault model snapshot truncated");
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t id;
    Session s;
    std::span<const uint8_t> res;
    if (!r.U32(&id) || !r.U64(&s.seq) || !r.Bytes(2, &res)) return InvalidArgument("vault model snapshot: bad session");
    s.result = Result::Decode(res);
    sessions[id] = s;
  }
  if (!r.Finish()) return InvalidArgument("vault model snapshot has trailing bytes");
  users_ = std::move(users);
  sessions_ = std::move(sessions);
  return Status::Ok();
}

}  // namespace keyward::sim
