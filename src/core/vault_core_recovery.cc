// VaultCore: recovery (KE1 -> count -> KE2; KE3 -> reset or lock) and deletion.
#include <algorithm>

#include "core/login_token.h"
#include "core/protocol_crypto.h"
#include "core/vault_core.h"
#include "core/vault_core_impl.h"
#include "crypto/aead.h"

namespace keyward::core {

namespace opaque = crypto::opaque;
using crypto::SecretBytes;

namespace {

uint32_t Remaining(const UserRecord& r) {
  return static_cast<uint32_t>(r.max_attempts - r.attempts_used);
}

Status StaleLogin() {
  return FailedPrecondition("login_state is stale: a newer recovery started, this one already "
                            "finished, or the record was re-registered; start the recovery again");
}

}  // namespace

// ------------------------------------------------------------------ recovery: KE1 -> KE2

StatusOr<PreparedRecoverStart> VaultCore::PrepareRecoverStart(ByteSpan user_id, ByteSpan ke1) const {
  RETURN_IF_ERROR(CheckUserId(user_id));
  if (ke1.size() != opaque::kKe1Size) {
    return InvalidArgument("ke1 must be 96 bytes (RFC 9807 KE1), got " + std::to_string(ke1.size()));
  }
  if (!opaque::Ke1::Parse(ke1).ok()) {
    return InvalidArgument("ke1 holds an invalid ristretto255 element (non-canonical or identity)");
  }
  // Every KE1 — for a real, unknown, pending or locked user alike — goes through the log, so the
  // answer costs the same round trip whether or not the user exists (RFC 9807 §10.9).
  return PreparedRecoverStart{.command = BeginLoginCommand{Bytes(user_id.begin(), user_id.end())},
                              .user_id = Bytes(user_id.begin(), user_id.end()),
                              .ke1 = Bytes(ke1.begin(), ke1.end())};
}

BoundRecoverStart VaultCore::BindRecoverStart(const PreparedRecoverStart& prepared,
                                              const ApplyResult& applied) const {
  // A real KE2 only for a guess that was counted by THIS command (G1) on the same epoch.
  const UserRecord* r = impl_->table.Find(prepared.user_id);
  const bool real = applied.code == ApplyCode::kOk && applied.changed && r != nullptr &&
                    r->state == RecordState::kActive && r->epoch == applied.epoch;
  BoundRecoverStart bound{.user_id = prepared.user_id, .ke1 = prepared.ke1,
                          .epoch = applied.epoch, .login_serial = applied.login_serial};
  if (real) bound.record = r->opaque_record;
  return bound;
}

StatusOr<RecoverStartResult> VaultCore::FinishRecoverStart(const BoundRecoverStart& bound,
                                                           crypto::Rng& rng) const {
  std::optional<ByteSpan> record;
  if (bound.record.has_value()) record = ByteSpan(*bound.record);
  // The fake path runs the very same function with the RFC 9807 §10.9 fake record.
  auto started = opaque::ServerStartLogin(impl_->keys, impl_->config.opaque_options, bound.user_id,
                                          record, bound.ke1, rng);
  if (!started.ok()) return InvalidArgument("ke1 was rejected by the OPAQUE server");
  LoginToken token{.kind = record.has_value() ? LoginKind::kReal : LoginKind::kFake,
                   .epoch = bound.epoch,
                   .serial = bound.login_serial,
                   .server_state = started->state.Export()};
  return RecoverStartResult{
      .ke2 = std::move(started->ke2),
      .login_state = SealLoginToken(impl_->token_key, bound.user_id, token, rng)};
}

StatusOr<RecoverStartResult> VaultCore::CompleteRecoverStart(const PreparedRecoverStart& prepared,
                                                             const ApplyResult& applied,
                                                             crypto::Rng& rng) const {
  return FinishRecoverStart(BindRecoverStart(prepared, applied), rng);
}

StatusOr<RecoverStartResult> VaultCore::RecoverStart(ByteSpan user_id, ByteSpan ke1,
                                                     crypto::Rng& rng) {
  ASSIGN_OR_RETURN(PreparedRecoverStart prepared, PrepareRecoverStart(user_id, ke1));
  const ApplyResult applied = Apply(prepared.command);
  return CompleteRecoverStart(prepared, applied, rng);
}

// ------------------------------------------------------------------ recovery: KE3

StatusOr<PreparedRecoverFinish> VaultCore::PrepareRecoverFinish(ByteSpan user_id,
                                                                ByteSpan login_state,
                                                                ByteSpan ke3) const {
  RETURN_IF_ERROR(CheckUserId(user_id));
  if (ke3.size() != opaque::kKe3Size) {
    return InvalidArgument("ke3 must be 64 bytes (RFC 9807 KE3), got " + std::to_string(ke3.size()));
  }
  ASSIGN_OR_RETURN(LoginToken token, OpenLoginToken(impl_->token_key, user_id, login_state));
  ASSIGN_OR_RETURN(auto server_state, opaque::ServerLoginState::Import(token.server_state.Reveal()));
  // Same work for real and fake logins: the MAC check runs either way.
  auto session_key = opaque::ServerFinishLogin(std::move(server_state), ke3);

  PreparedRecoverFinish p;
  p.user_id.assign(user_id.begin(), user_id.end());
  p.result = RecoverFinishResult{.outcome = RecoverOutcome::kLocked, .attempts_remaining = 0};
  if (token.kind == LoginKind::kFake) return p;  // no usable record: the truth, learnt only now

  const UserRecord* r = impl_->table.Find(user_id);
  if (r == nullptr || r->state == RecordState::kDeleted || r->state == RecordState::kLocked) {
    return p;
  }
  // Only the newest, unfinished login of this epoch may finish (replayed or held-back KE3).
  if (r->state != RecordState::kActive || r->epoch != token.epoch ||
      r->login_serial != token.serial || token.serial <= r->success_serial) {
    return StaleLogin();
  }
  FinishLoginCommand cmd{.user_id = p.user_id, .epoch = token.epoch, .serial = token.serial,
                         .success = session_key.ok()};
  if (session_key.ok()) {
    p.session_key = std::move(session_key).value();
    p.result = RecoverFinishResult{.outcome = RecoverOutcome::kSuccess,
                                   .attempts_remaining = r->max_attempts};
    p.command = std::move(cmd);
  } else if (Remaining(*r) == 0) {
    // The last allowed guess failed: destroy the record before answering.
    p.command = std::move(cmd);
  } else {
    p.result = RecoverFinishResult{.outcome = RecoverOutcome::kWrongPassword,
                                   .attempts_remaining = Remaining(*r)};
  }
  return p;
}

StatusOr<RecoverFinishResult> VaultCore::CompleteRecoverFinish(PreparedRecoverFinish prepared,
                                                               const ApplyResult* applied,
                                                               crypto::Rng& rng) const {
  if (!prepared.command.has_value()) return std::move(prepared.result);
  KW_CHECK(applied != nullptr);
  if (prepared.result.outcome != RecoverOutcome::kSuccess) {
    // Failure at the limit: the record is now locked (or was already, by a concurrent command).
    return RecoverFinishResult{.outcome = RecoverOutcome::kLocked, .attempts_remaining = 0};
  }
  if (applied->code != ApplyCode::kOk) return StaleLogin();
  const UserRecord* r = impl_->table.Find(prepared.user_id);
  KW_CHECK(r != nullptr && r->state == RecordState::kActive);
  const ByteSpan sealed(r->sealed_secret);
  auto secret = crypto::AeadOpen(impl_->seal_key.Reveal(), sealed.first(crypto::kAeadNonceBytes),
                                 SealAd(r->user_id, r->epoch, r->opaque_record),
                                 sealed.subspan(crypto::kAeadNonceBytes));
  // The core sealed it itself: failure means memory corruption or a wrong fleet key.
  if (!secret.ok()) return Internal("the stored secret does not unseal (wrong fleet sealing key?)");
  const SessionKeys keys = DeriveSessionKeys(prepared.session_key);
  const auto nonce = rng.Array<crypto::kAeadNonceBytes>();
  prepared.result.encrypted_secret =
      Concat({nonce, crypto::AeadSeal(keys.recovery_key.Reveal(), nonce,
                                      RecoveredSecretAssociatedData(prepared.user_id),
                                      secret->Reveal())});
  prepared.result.attempts_remaining = static_cast<uint32_t>(applied->max_attempts - applied->attempts_used);
  return std::move(prepared.result);
}

StatusOr<RecoverFinishResult> VaultCore::RecoverFinish(ByteSpan user_id, ByteSpan login_state,
                                                       ByteSpan ke3, crypto::Rng& rng) {
  ASSIGN_OR_RETURN(PreparedRecoverFinish prepared, PrepareRecoverFinish(user_id, login_state, ke3));
  std::optional<ApplyResult> applied;
  if (prepared.command.has_value()) applied = Apply(*prepared.command);
  return CompleteRecoverFinish(std::move(prepared), applied ? &*applied : nullptr, rng);
}

// ------------------------------------------------------------------ delete

StatusOr<PreparedDelete> VaultCore::PrepareDelete(const DeleteRequest& req,
                                                  Authority authority) const {
  RETURN_IF_ERROR(CheckUserId(req.user_id));
  const UserRecord* r = impl_->table.Find(req.user_id);
  if (r == nullptr || r->state == RecordState::kDeleted) return PreparedDelete{};
  DeleteCommand cmd{.user_id = req.user_id, .authority = authority == Authority::kAccount};
  if (!cmd.authority) {
    if (req.proof.size() != kProofSize) {
      return PermissionDenied("delete needs the account authority or a 64-byte proof from a "
                              "successful recovery session");
    }
    ASSIGN_OR_RETURN(LoginToken token, OpenLoginToken(impl_->token_key, req.user_id, req.login_state));
    const auto keys = DeriveSessionKeys(SessionKeyOf(token));
    if (token.kind != LoginKind::kReal ||
        !SecretBytes::ConstantTimeEquals(DeleteProof(keys.delete_key, req.user_id), req.proof)) {
      return PermissionDenied("delete proof does not verify: recover the record and prove that "
                              "session");
    }
    cmd.epoch = token.epoch;
    cmd.proof_serial = token.serial;
  }
  RETURN_IF_ERROR(StatusForApply(impl_->table.Preview(cmd).code, "delete"));
  return PreparedDelete{std::move(cmd)};
}

StatusOr<DeleteResult> VaultCore::CompleteDelete(const PreparedDelete& prepared,
                                                 const ApplyResult* applied) const {
  if (!prepared.command.has_value()) return DeleteResult{.deleted = false};
  KW_CHECK(applied != nullptr);
  if (applied->code == ApplyCode::kNoRecord) return DeleteResult{.deleted = false};
  RETURN_IF_ERROR(StatusForApply(applied->code, "delete"));
  return DeleteResult{.deleted = true};
}

StatusOr<DeleteResult> VaultCore::Delete(const DeleteRequest& request, Authority authority) {
  ASSIGN_OR_RETURN(PreparedDelete prepared, PrepareDelete(request, authority));
  std::optional<ApplyResult> applied;
  if (prepared.command.has_value()) applied = Apply(*prepared.command);
  return CompleteDelete(prepared, applied ? &*applied : nullptr);
}

}  // namespace keyward::core
