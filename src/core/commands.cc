#include "core/commands.h"

#include <string>
#include <type_traits>

#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::core {
namespace {

void WriteUserId(wire::Writer& w, const Bytes& user_id) { w.U16Prefixed(user_id); }

// user_id<1..256>: u16 length prefix (docs/protocol.md "Limits").
bool ReadUserId(wire::Reader& r, Bytes* out) {
  ByteSpan s;
  if (!r.U16Prefixed(&s) || s.size() < kMinUserIdSize || s.size() > kMaxUserIdSize) return false;
  out->assign(s.begin(), s.end());
  return true;
}

bool ReadBool(wire::Reader& r, bool* out) {
  uint8_t v;
  if (!r.U8(&v) || v > 1) return false;
  *out = v == 1;
  return true;
}

bool ReadSealedSecret(wire::Reader& r, Bytes* out) {
  ByteSpan s;
  if (!r.U8Prefixed(&s) || s.size() < kSealedSecretMin || s.size() > kSealedSecretMax) return false;
  out->assign(s.begin(), s.end());
  return true;
}

void Write(wire::Writer& w, const UploadCommand& c) {
  w.U8(static_cast<uint8_t>(CommandType::kUpload));
  WriteUserId(w, c.user_id);
  w.U64(c.epoch).Bytes(c.opaque_record).U8Prefixed(c.sealed_secret).Bytes(c.activation_commitment);
  w.U8(c.max_attempts).U8(c.authority ? 1 : 0).U64(c.proof_serial);
}
void Write(wire::Writer& w, const ActivateCommand& c) {
  w.U8(static_cast<uint8_t>(CommandType::kActivate));
  WriteUserId(w, c.user_id);
  w.Bytes(c.activation_key);
}
void Write(wire::Writer& w, const BeginLoginCommand& c) {
  w.U8(static_cast<uint8_t>(CommandType::kBeginLogin));
  WriteUserId(w, c.user_id);
}
void Write(wire::Writer& w, const FinishLoginCommand& c) {
  w.U8(static_cast<uint8_t>(CommandType::kFinishLogin));
  WriteUserId(w, c.user_id);
  w.U64(c.epoch).U64(c.serial).U8(c.success ? 1 : 0);
}
void Write(wire::Writer& w, const DeleteCommand& c) {
  w.U8(static_cast<uint8_t>(CommandType::kDelete));
  WriteUserId(w, c.user_id);
  w.U8(c.authority ? 1 : 0).U64(c.epoch).U64(c.proof_serial);
}

bool ParseUpload(wire::Reader& r, UploadCommand* c) {
  return ReadUserId(r, &c->user_id) && r.U64(&c->epoch) && r.Fixed(&c->opaque_record) &&
         ReadSealedSecret(r, &c->sealed_secret) && r.Fixed(&c->activation_commitment) &&
         r.U8(&c->max_attempts) && c->max_attempts >= 1 && ReadBool(r, &c->authority) &&
         r.U64(&c->proof_serial);
}
bool ParseActivate(wire::Reader& r, ActivateCommand* c) {
  return ReadUserId(r, &c->user_id) && r.Fixed(&c->activation_key);
}
bool ParseBeginLogin(wire::Reader& r, BeginLoginCommand* c) { return ReadUserId(r, &c->user_id); }
bool ParseFinishLogin(wire::Reader& r, FinishLoginCommand* c) {
  return ReadUserId(r, &c->user_id) && r.U64(&c->epoch) && r.U64(&c->serial) &&
         ReadBool(r, &c->success);
}
bool ParseDelete(wire::Reader& r, DeleteCommand* c) {
  return ReadUserId(r, &c->user_id) && ReadBool(r, &c->authority) && r.U64(&c->epoch) &&
         r.U64(&c->proof_serial);
}

template <typename T, typename F>
StatusOr<Command> ParseBody(wire::Reader& r, F parse) {
  T c;
  if (!parse(r, &c) || !r.Finish()) {
    return InvalidArgument("malformed vault core command: a field is out of range or the bytes are "
                           "truncated or have trailing data; commands must come from a core");
  }
  return Command(std::move(c));
}

}  // namespace

Bytes SerializeCommand(const Command& command) {
  wire::Writer w(64);
  std::visit([&w](const auto& c) { Write(w, c); }, command);
  return w.Take();
}

// Command grammar (big-endian integers; user_id<1..256> has a u16 length prefix):
//   uint8 type;
//   select (type) {
//     case 1 upload:       user_id; uint64 epoch; uint8 opaque_record[192];
//                          opaque sealed_secret<41..168> (u8 prefix); uint8 commitment[32];
//                          uint8 max_attempts (1..255); uint8 authority (0|1);
//                          uint64 proof_serial;
//     case 2 activate:     user_id; uint8 activation_key[32];
//     case 3 begin-login:  user_id;
//     case 4 finish-login: user_id; uint64 epoch; uint64 serial; uint8 success (0|1);
//     case 5 delete:       user_id; uint8 authority (0|1); uint64 epoch; uint64 proof_serial;
//   } — and nothing after it.
StatusOr<Command> ParseCommand(ByteSpan bytes) {
  wire::Reader r(bytes);
  uint8_t type;
  if (!r.U8(&type)) return InvalidArgument("empty vault core command");
  switch (static_cast<CommandType>(type)) {
    case CommandType::kUpload: return ParseBody<UploadCommand>(r, ParseUpload);
    case CommandType::kActivate: return ParseBody<ActivateCommand>(r, ParseActivate);
    case CommandType::kBeginLogin: return ParseBody<BeginLoginCommand>(r, ParseBeginLogin);
    case CommandType::kFinishLogin: return ParseBody<FinishLoginCommand>(r, ParseFinishLogin);
    case CommandType::kDelete: return ParseBody<DeleteCommand>(r, ParseDelete);
  }
  return InvalidArgument("unknown vault core command type " + std::to_string(type));
}

const char* ApplyCodeName(ApplyCode code) {
  switch (code) {
    case ApplyCode::kOk: return "ok";
    case ApplyCode::kNoRecord: return "no-record";
    case ApplyCode::kWrongState: return "wrong-state";
    case ApplyCode::kStale: return "stale";
    case ApplyCode::kLocked: return "locked";
    case ApplyCode::kTableFull: return "table-full";
    case ApplyCode::kNotAuthorized: return "not-authorized";
    case ApplyCode::kInvalid: return "invalid";
  }
  return "unknown";
}

Bytes SerializeApplyResult(const ApplyResult& a) {
  wire::Writer w(32);
  w.U8(static_cast<uint8_t>(a.code)).U8(a.changed ? 1 : 0).U8(static_cast<uint8_t>(a.state));
  w.U64(a.epoch).U64(a.login_serial).U8(a.attempts_used).U8(a.max_attempts);
  return w.Take();
}

// ApplyResult grammar: uint8 code (0..7); uint8 changed (0|1); uint8 state (1..4); uint64 epoch;
// uint64 login_serial; uint8 attempts_used; uint8 max_attempts; nothing after it.
StatusOr<ApplyResult> ParseApplyResult(ByteSpan bytes) {
  wire::Reader r(bytes);
  ApplyResult a;
  uint8_t code, state;
  if (!r.U8(&code) || code > static_cast<uint8_t>(ApplyCode::kInvalid) || !ReadBool(r, &a.changed) ||
      !r.U8(&state) || state < 1 || state > 4 || !r.U64(&a.epoch) || !r.U64(&a.login_serial) ||
      !r.U8(&a.attempts_used) || !r.U8(&a.max_attempts) || !r.Finish()) {
    return InvalidArgument("malformed apply result (expected 21 bytes with codes in range)");
  }
  a.code = static_cast<ApplyCode>(code);
  a.state = static_cast<RecordState>(state);
  return a;
}

}  // namespace keyward::core
