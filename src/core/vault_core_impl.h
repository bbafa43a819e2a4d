// VaultCore's private state and helpers shared by its translation units (vault_core.cc:
// registration and the state machine; vault_core_recovery.cc: recovery and delete). Internal.
#pragma once

#include "common/status.h"
#include "core/login_token.h"
#include "core/state_machine.h"
#include "core/vault_core.h"
#include "crypto/secret.h"

namespace keyward::core {

struct VaultCore::Impl {
  Impl(const crypto::opaque::ServerKeys& k, CoreConfig c)
      : keys(k), config(std::move(c)), table(config.max_records) {}
  const crypto::opaque::ServerKeys& keys;
  CoreConfig config;
  crypto::SecretBytes seal_key;   // seals secrets at rest (record.sealed_secret)
  crypto::SecretBytes token_key;  // seals login tokens (login_token.h)
  RecordTable table;
};

Status CheckUserId(ByteSpan user_id);
// The OPAQUE session key: the second half of the exported server login state.
crypto::SecretBytes SessionKeyOf(const LoginToken& token);
// Maps a non-kOk apply/preview code to the Status a host call returns ("<what>: ...").
Status StatusForApply(ApplyCode code, std::string_view what);
// AD of the sealed secret at rest: "keyward sealed secret v1" || u16 len(user_id) || user_id ||
// u64 epoch || SHA-512(opaque_record).
Bytes SealAd(ByteSpan user_id, uint64_t epoch, ByteSpan opaque_record);

}  // namespace keyward::core
