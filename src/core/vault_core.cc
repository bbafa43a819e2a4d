#include "core/vault_core.h"

#include <algorithm>

#include "core/login_token.h"
#include "core/protocol_crypto.h"
#include "core/state_machine.h"
#include "core/vault_core_impl.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "wire/writer.h"

namespace keyward::core {

namespace opaque = crypto::opaque;
using crypto::SecretBytes;

namespace {

Status UploadDoesNotDecrypt() {
  return AuthenticationFailed("encrypted_secret does not decrypt for this user, record and policy: "
                              "rebuild the upload against this fleet's public key");
}

}  // namespace

Status CheckUserId(ByteSpan user_id) {
  if (user_id.size() < kMinUserIdSize || user_id.size() > kMaxUserIdSize) {
    return InvalidArgument("user_id must be 1..256 bytes, got " + std::to_string(user_id.size()));
  }
  return Status::Ok();
}

// The session key is the second half of the exported server login state.
SecretBytes SessionKeyOf(const LoginToken& token) {
  return SecretBytes(token.server_state.Reveal().subspan(opaque::kMacSize, opaque::kSessionKeySize));
}

Status StatusForApply(ApplyCode code, std::string_view what) {
  std::string w(what);
  switch (code) {
    case ApplyCode::kOk: return Status::Ok();
    case ApplyCode::kNoRecord:
      return FailedPrecondition(w + ": there is no record in a state that allows this");
    case ApplyCode::kWrongState:
      return FailedPrecondition(w + ": the record's state does not allow this (locked?)");
    case ApplyCode::kStale:
      return FailedPrecondition(w + ": the request is stale (overtaken by a newer registration or "
                                    "login, or replayed); start again");
    case ApplyCode::kLocked:
      return FailedPrecondition(w + ": the record is locked (no guesses left); register again");
    case ApplyCode::kTableFull:
      return ResourceExhausted(w + ": the vault's record table is full; contact the operator");
    case ApplyCode::kNotAuthorized:
      return Status(ErrorCode::kAlreadyExists,
                    w + ": an active record exists; recover it first (and attach the session proof) "
                        "or use the account authority");
    case ApplyCode::kInvalid: return InvalidArgument(w + ": malformed command");
  }
  return Internal(w + ": unknown apply code");
}

Bytes SealAd(ByteSpan user_id, uint64_t epoch, ByteSpan opaque_record) {
  wire::Writer w(340);
  w.Text("keyward sealed secret v1").U16Prefixed(user_id).U64(epoch);
  w.Bytes(crypto::Sha512(opaque_record));
  return w.Take();
}

const char* RecoverOutcomeName(RecoverOutcome outcome) {
  switch (outcome) {
    case RecoverOutcome::kSuccess: return "success";
    case RecoverOutcome::kWrongPassword: return "wrong-password";
    case RecoverOutcome::kLocked: return "locked";
  }
  return "unknown";
}

VaultCore::VaultCore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VaultCore::~VaultCore() = default;

StatusOr<std::unique_ptr<VaultCore>> VaultCore::Create(const opaque::ServerKeys& keys,
                                                       SecretBytes sealing_key, CoreConfig config) {
  if (sealing_key.size() != kSealingKeySize) {
    return InvalidArgument("the fleet sealing key must be 32 bytes, got " +
                           std::to_string(sealing_key.size()));
  }
  if (config.max_records == 0) return InvalidArgument("max_records must be at least 1");
  auto impl = std::make_unique<Impl>(keys, std::move(config));
  SecretBytes prk = crypto::HkdfSha512Extract(AsBytes("keyward/core/v1"), sealing_key.Reveal());
  impl->seal_key = crypto::HkdfSha512Expand(prk.Reveal(), AsBytes("keyward core seal secret"), 32);
  impl->token_key = crypto::HkdfSha512Expand(prk.Reveal(), AsBytes("keyward core login state"), 32);
  return std::unique_ptr<VaultCore>(new VaultCore(std::move(impl)));
}

const crypto::ristretto::ElementBytes& VaultCore::fleet_public_key() const {
  return impl_->keys.public_key();
}

// ------------------------------------------------------------------ registration

StatusOr<RegisterStartResult> VaultCore::RegisterStart(ByteSpan user_id,
                                                       ByteSpan registration_request) const {
  RETURN_IF_ERROR(CheckUserId(user_id));
  if (registration_request.size() != opaque::kRegistrationRequestSize) {
    return InvalidArgument("registration_request must be 32 bytes, got " +
                           std::to_string(registration_request.size()));
  }
  auto response = opaque::ServerRegistrationResponse(impl_->keys, user_id, registration_request);
  if (!response.ok()) {
    return InvalidArgument("registration_request is not a valid ristretto255 element");
  }
  const UserRecord* r = impl_->table.Find(user_id);
  return RegisterStartResult{std::move(response).value(), r == nullptr ? 0 : r->epoch};
}

StatusOr<PreparedUpload> VaultCore::PrepareUpload(const UploadRequest& req, Authority authority,
                                                  crypto::Rng& rng) const {
  RETURN_IF_ERROR(CheckUserId(req.user_id));
  if (req.registration_record.size() != opaque::kRegistrationRecordSize ||
      !opaque::RegistrationRecord::Parse(req.registration_record).ok()) {
    return InvalidArgument("registration_record must be an RFC 9807 RegistrationRecord: 192 bytes "
                           "starting with a valid client public key");
  }
  if (req.activation_commitment.size() != kActivationCommitmentSize) {
    return InvalidArgument("activation_commitment must be 32 bytes");
  }
  if (req.max_attempts > 255) return InvalidArgument("max_attempts must be 1..255 (0: default 10)");
  const uint8_t max_attempts =
      req.max_attempts == 0 ? kDefaultMaxAttempts : static_cast<uint8_t>(req.max_attempts);
  ASSIGN_OR_RETURN(UploadEnvelope env, UploadEnvelope::Parse(req.encrypted_secret));

  // Decrypt the secret sent to the fleet key (ephemeral-static DH; protocol_crypto.h).
  std::array<uint8_t, 32> dh{};
  if (!impl_->keys.StaticDh(env.ephemeral_public_key, dh).ok()) return UploadDoesNotDecrypt();
  SecretBytes dh_secret(dh);
  std::fill(dh.begin(), dh.end(), 0);
  SecretBytes km = UploadKeyMaterial(dh_secret.Reveal(), env.ephemeral_public_key,
                                     impl_->keys.public_key());
  const Bytes ad = UploadAssociatedData(req.user_id, req.registration_record, env.epoch,
                                        req.activation_commitment, max_attempts);
  auto secret = crypto::AeadOpen(km.Reveal().first(32), km.Reveal().subspan(32, 24), ad,
                                 env.ciphertext);
  if (!secret.ok()) return UploadDoesNotDecrypt();

  UploadCommand cmd;
  cmd.user_id = req.user_id;
  cmd.epoch = env.epoch;
  std::copy(req.registration_record.begin(), req.registration_record.end(), cmd.opaque_record.begin());
  std::copy(req.activation_commitment.begin(), req.activation_commitment.end(),
            cmd.activation_commitment.begin());
  cmd.max_attempts = max_attempts;
  cmd.authority = authority == Authority::kAccount;
  if (!env.login_state.empty()) {
    // A finished recovery session proves the password: it may replace the active record.
    ASSIGN_OR_RETURN(LoginToken token,
                     OpenLoginToken(impl_->token_key, req.user_id, env.login_state));
    const auto keys = DeriveSessionKeys(SessionKeyOf(token));
    const auto proof = ReregisterProof(keys.reregister_key, ad, env.ephemeral_public_key,
                                       env.ciphertext);
    if (token.kind != LoginKind::kReal ||
        !SecretBytes::ConstantTimeEquals(proof, env.proof)) {
      return PermissionDenied("re-registration proof does not verify: recover the record again "
                              "and build the upload from that session");
    }
    cmd.proof_serial = token.serial;
  }
  const auto nonce = rng.Array<crypto::kAeadNonceBytes>();
  cmd.sealed_secret = Concat(
      {nonce, crypto::AeadSeal(impl_->seal_key.Reveal(), nonce,
                               SealAd(req.user_id, env.epoch, req.registration_record),
                               secret->Reveal())});

  const ApplyResult preview = impl_->table.Preview(cmd);
  RETURN_IF_ERROR(StatusForApply(preview.code, "upload"));
  PreparedUpload prepared{.command = std::move(cmd), .already_stored = !preview.changed,
                          .epoch = env.epoch};
  return prepared;
}

StatusOr<UploadResult> VaultCore::CompleteUpload(const PreparedUpload& prepared,
                                                 const ApplyResult& applied) const {
  RETURN_IF_ERROR(StatusForApply(applied.code, "upload"));
  return UploadResult{.already_stored = !applied.changed, .epoch = applied.epoch};
}

StatusOr<UploadResult> VaultCore::RegisterUpload(const UploadRequest& request, Authority authority,
                                                 crypto::Rng& rng) {
  ASSIGN_OR_RETURN(PreparedUpload prepared, PrepareUpload(request, authority, rng));
  const ApplyResult applied = Apply(prepared.command);
  return CompleteUpload(prepared, applied);
}

StatusOr<PreparedActivate> VaultCore::PrepareActivate(ByteSpan user_id,
                                                      ByteSpan activation_key) const {
  RETURN_IF_ERROR(CheckUserId(user_id));
  if (activation_key.size() != kActivationKeySize) {
    return InvalidArgument("activation_key must be 32 bytes, got " +
                           std::to_string(activation_key.size()));
  }
  ActivateCommand cmd;
  cmd.user_id.assign(user_id.begin(), user_id.end());
  std::copy(activation_key.begin(), activation_key.end(), cmd.activation_key.begin());
  const ApplyResult preview = impl_->table.Preview(cmd);
  if (preview.code == ApplyCode::kStale) {
    return PermissionDenied("activation_key does not match the stored upload: another upload "
                            "replaced yours (treat as an attack signal) — register again");
  }
  RETURN_IF_ERROR(StatusForApply(preview.code, "activate"));
  return PreparedActivate{std::move(cmd)};
}

StatusOr<ActivateResult> VaultCore::CompleteActivate(const ApplyResult& applied) const {
  RETURN_IF_ERROR(StatusForApply(applied.code, "activate"));
  return ActivateResult{
      .attempts_remaining = static_cast<uint32_t>(applied.max_attempts - applied.attempts_used),
      .already_active = !applied.changed};
}

StatusOr<ActivateResult> VaultCore::RegisterActivate(ByteSpan user_id, ByteSpan activation_key) {
  ASSIGN_OR_RETURN(PreparedActivate prepared, PrepareActivate(user_id, activation_key));
  return CompleteActivate(Apply(prepared.command));
}

// ------------------------------------------------------------------ state machine

ApplyResult VaultCore::Apply(const Command& command) { return impl_->table.Apply(command); }

ApplyResult VaultCore::ApplySerialized(ByteSpan command_bytes) {
  auto command = ParseCommand(command_bytes);
  if (!command.ok()) return ApplyResult{};  // code kInvalid, nothing changed
  return Apply(*command);
}

std::array<uint8_t, 32> VaultCore::StateDigest() const { return impl_->table.Digest(); }
Bytes VaultCore::Snapshot() const { return impl_->table.Snapshot(); }
Status VaultCore::Restore(ByteSpan snapshot) { return impl_->table.Restore(snapshot); }
const UserRecord* VaultCore::Find(ByteSpan user_id) const { return impl_->table.Find(user_id); }
size_t VaultCore::record_count() const { return impl_->table.size(); }
void VaultCore::CheckInvariants() const { impl_->table.CheckInvariants(); }

}  // namespace keyward::core
