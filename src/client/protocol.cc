#include "client/protocol.h"

#include <algorithm>

#include "core/protocol_crypto.h"
#include "crypto/aead.h"

namespace keyward::client {

namespace opaque = crypto::opaque;
using crypto::SecretBytes;

namespace {

Status WrongFleet() {
  return PermissionDenied("the vault answered with a fleet public key that your trust policy did "
                          "not validate: refusing to talk to it (check the trust policy / fleet)");
}

Status CheckParams(const RegistrationParams& params) {
  if (params.user_id.size() < core::kMinUserIdSize || params.user_id.size() > core::kMaxUserIdSize) {
    return InvalidArgument("user id must be 1..256 bytes");
  }
  if (params.secret == nullptr || params.secret->size() < core::kMinSecretSize ||
      params.secret->size() > core::kMaxSecretSize) {
    return InvalidArgument("the secret must be 1..128 bytes");
  }
  if (params.max_attempts == 0) return InvalidArgument("max attempts must be 1..255");
  return Status::Ok();
}

struct BuiltUpload {
  RegistrationUpload upload;
  core::UploadEnvelope envelope;
  Bytes associated_data;
};

// Encrypts the secret to the fleet key (core/protocol_crypto.h) and builds the activation key.
StatusOr<BuiltUpload> BuildUpload(opaque::ClientRegistrationState state,
                                  ByteSpan registration_response, uint64_t registration_epoch,
                                  const RegistrationParams& params, crypto::Rng& rng) {
  RETURN_IF_ERROR(CheckParams(params));
  ASSIGN_OR_RETURN(auto parsed, opaque::RegistrationResponse::Parse(registration_response));
  if (parsed.server_public_key.bytes() != params.validated_fleet_key) return WrongFleet();
  ASSIGN_OR_RETURN(auto finished, opaque::ClientFinishRegistration(
                                      std::move(state), registration_response, params.options, rng));
  if (finished.server_public_key != params.validated_fleet_key) return WrongFleet();
  if (registration_epoch == UINT64_MAX) return InvalidArgument("registration epoch exhausted");

  BuiltUpload b;
  b.upload.activation_key = SecretBytes(core::kActivationKeySize);
  rng.Fill(b.upload.activation_key.RevealMutable());
  const auto commitment = core::ActivationCommitment(b.upload.activation_key.Reveal());
  b.envelope.epoch = registration_epoch + 1;
  b.associated_data = core::UploadAssociatedData(params.user_id, finished.record, b.envelope.epoch,
                                                 commitment, params.max_attempts);
  // Ephemeral-static DH: dh = e · pk_S (the core computes sk_S · E).
  const auto e = crypto::ristretto::Scalar::Random(rng);
  b.envelope.ephemeral_public_key = crypto::ristretto::Element::MultiplyBase(e).bytes();
  ASSIGN_OR_RETURN(auto fleet, crypto::ristretto::Element::Deserialize(params.validated_fleet_key));
  ASSIGN_OR_RETURN(auto dh, fleet.Multiply(e));
  SecretBytes km =
      core::UploadKeyMaterial(dh.bytes(), b.envelope.ephemeral_public_key, params.validated_fleet_key);
  b.envelope.ciphertext = crypto::AeadSeal(km.Reveal().first(32), km.Reveal().subspan(32, 24),
                                           b.associated_data, params.secret->Reveal());
  b.upload.upload.user_id = params.user_id;
  b.upload.upload.registration_record = std::move(finished.record);
  b.upload.upload.activation_commitment.assign(commitment.begin(), commitment.end());
  b.upload.upload.max_attempts = params.max_attempts;
  b.upload.export_key = std::move(finished.export_key);
  return b;
}

}  // namespace

StatusOr<RegistrationStart> StartRegistration(ByteSpan password, crypto::Rng& rng) {
  ASSIGN_OR_RETURN(auto started, opaque::ClientStartRegistration(password, rng));
  return RegistrationStart{std::move(started.request), std::move(started.state)};
}

StatusOr<RegistrationUpload> FinishRegistration(opaque::ClientRegistrationState state,
                                                ByteSpan registration_response,
                                                uint64_t registration_epoch,
                                                const RegistrationParams& params, crypto::Rng& rng) {
  ASSIGN_OR_RETURN(BuiltUpload b, BuildUpload(std::move(state), registration_response,
                                              registration_epoch, params, rng));
  b.upload.upload.encrypted_secret = b.envelope.Serialize();
  return std::move(b.upload);
}

StatusOr<RegistrationUpload> ReregisterUpload(const RecoverySession& session,
                                              opaque::ClientRegistrationState state,
                                              ByteSpan registration_response,
                                              uint64_t registration_epoch,
                                              const RegistrationParams& params, crypto::Rng& rng) {
  if (!session.verified() || session.login_state.size() != core::kLoginStateSize) {
    return FailedPrecondition("re-registering needs a successfully finished recovery session");
  }
  if (session.user_id != params.user_id) {
    return InvalidArgument("the recovery session is for another user id");
  }
  ASSIGN_OR_RETURN(BuiltUpload b, BuildUpload(std::move(state), registration_response,
                                              registration_epoch, params, rng));
  const auto keys = core::DeriveSessionKeys(session.session_key);
  b.envelope.login_state = session.login_state;
  b.envelope.proof = core::ReregisterProof(keys.reregister_key, b.associated_data,
                                           b.envelope.ephemeral_public_key, b.envelope.ciphertext);
  b.upload.upload.encrypted_secret = b.envelope.Serialize();
  return std::move(b.upload);
}

StatusOr<RecoveryStart> StartRecovery(ByteSpan password, crypto::Rng& rng) {
  ASSIGN_OR_RETURN(auto started, opaque::ClientStartLogin(password, rng));
  return RecoveryStart{std::move(started.ke1), std::move(started.state)};
}

StatusOr<RecoveryContinue> ContinueRecovery(opaque::ClientLoginState state, ByteSpan ke2,
                                            ByteSpan login_state, ByteSpan user_id,
                                            const crypto::ristretto::ElementBytes& validated_fleet_key,
                                            const opaque::Options& options, crypto::Rng& rng) {
  if (user_id.size() < core::kMinUserIdSize || user_id.size() > core::kMaxUserIdSize) {
    return InvalidArgument("user id must be 1..256 bytes");
  }
  if (ke2.size() != opaque::kKe2Size) {
    return InvalidArgument("the vault's KE2 must be 320 bytes, got " + std::to_string(ke2.size()));
  }
  if (login_state.size() != core::kLoginStateSize) {
    return InvalidArgument("the vault's login_state must be 185 bytes");
  }
  RecoveryContinue out;
  out.session.user_id.assign(user_id.begin(), user_id.end());
  out.session.login_state.assign(login_state.begin(), login_state.end());
  auto finished = opaque::ClientFinishLogin(std::move(state), ke2, options);
  if (finished.ok()) {
    // The server key only verifies (is unmasked correctly) with the right password; a verified
    // login with an unvalidated key is a wrong fleet.
    if (finished->server_public_key != validated_fleet_key) return WrongFleet();
    out.ke3 = std::move(finished->ke3);
    out.session.session_key = std::move(finished->session_key);
    out.session.export_key = std::move(finished->export_key);
  } else {
    // Wrong password, unusable record, or wrong server: a decoy KE3 lets the vault say which.
    out.ke3.resize(opaque::kKe3Size);
    rng.Fill(out.ke3);
  }
  return out;
}

StatusOr<RecoveryResult> FinishRecovery(const RecoverySession& session, core::RecoverOutcome outcome,
                                        uint32_t attempts_remaining, ByteSpan encrypted_secret) {
  RecoveryResult result;
  result.outcome = outcome;
  result.attempts_remaining = attempts_remaining;
  if (outcome != core::RecoverOutcome::kSuccess) {
    if (outcome != core::RecoverOutcome::kWrongPassword && outcome != core::RecoverOutcome::kLocked) {
      return InvalidArgument("unknown recovery outcome from the vault");
    }
    return result;
  }
  if (!session.verified() || encrypted_secret.size() < core::kRecoveredSecretMin ||
      encrypted_secret.size() > core::kRecoveredSecretMax) {
    return AuthenticationFailed("the vault claimed success but sent no secret this session can open");
  }
  const auto keys = core::DeriveSessionKeys(session.session_key);
  auto secret = crypto::AeadOpen(keys.recovery_key.Reveal(),
                                 encrypted_secret.first(crypto::kAeadNonceBytes),
                                 core::RecoveredSecretAssociatedData(session.user_id),
                                 encrypted_secret.subspan(crypto::kAeadNonceBytes));
  if (!secret.ok()) {
    return AuthenticationFailed("the vault claimed success but sent no secret this session can open");
  }
  result.secret = std::move(secret).value();
  return result;
}

StatusOr<core::DeleteRequest> BuildDeleteRequest(const RecoverySession& session) {
  if (!session.verified()) {
    return FailedPrecondition("deleting with a proof needs a successfully finished recovery session");
  }
  const auto keys = core::DeriveSessionKeys(session.session_key);
  const auto proof = core::DeleteProof(keys.delete_key, session.user_id);
  return core::DeleteRequest{.user_id = session.user_id,
                             .login_state = session.login_state,
                             .proof = Bytes(proof.begin(), proof.end())};
}

}  // namespace keyward::client
