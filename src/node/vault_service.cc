#include "node/vault_service.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "crypto/hash.h"

namespace keyward::node {
namespace {

using Clock = std::chrono::steady_clock;

std::string ShortUser(ByteSpan user) {
  // Logs carry a short hash of the user id, not the id itself.
  auto d = crypto::Sha256(user);
  return HexEncode(ByteSpan(d).first(6));
}

bool LogsInfo() { return spdlog::should_log(spdlog::level::info); }

ByteSpan Span(const std::string& s) { return AsBytes(s); }

const char* OutcomeLabel(core::RecoverOutcome outcome) {
  switch (outcome) {
    case core::RecoverOutcome::kSuccess: return "success";
    case core::RecoverOutcome::kWrongPassword: return "wrong_password";
    case core::RecoverOutcome::kLocked: return "locked";
  }
  return "locked";
}

// Authorize's errors carry this prefix; Finish maps them to UNAUTHENTICATED.
constexpr std::string_view kCredentialError = "account credential";

}  // namespace

const char* GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK: return "OK";
    case grpc::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::NOT_FOUND: return "NOT_FOUND";
    case grpc::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    default: return "INTERNAL";
  }
}

grpc::Status ToGrpcStatus(const Status& status) {
  grpc::StatusCode code = grpc::INTERNAL;
  switch (status.code()) {
    case ErrorCode::kOk: return grpc::Status::OK;
    case ErrorCode::kInvalidArgument: code = grpc::INVALID_ARGUMENT; break;
    // An upload that does not decrypt is a malformed request from the node's point of view.
    case ErrorCode::kAuthenticationFailed: code = grpc::INVALID_ARGUMENT; break;
    case ErrorCode::kNotFound: code = grpc::NOT_FOUND; break;
    case ErrorCode::kAlreadyExists: code = grpc::ALREADY_EXISTS; break;
    case ErrorCode::kPermissionDenied: code = grpc::PERMISSION_DENIED; break;
    case ErrorCode::kFailedPrecondition: code = grpc::FAILED_PRECONDITION; break;
    case ErrorCode::kResourceExhausted: code = grpc::RESOURCE_EXHAUSTED; break;
    case ErrorCode::kUnavailable: code = grpc::UNAVAILABLE; break;
    case ErrorCode::kDeadlineExceeded: code = grpc::DEADLINE_EXCEEDED; break;
    default: code = grpc::INTERNAL; break;
  }
  return grpc::Status(code, status.message());
}

grpc::Status VaultService::Settle(const char* method, Clock::time_point start, const Status& s) {
  grpc::Status g = ToGrpcStatus(s);
  if (s.code() == ErrorCode::kPermissionDenied &&
      std::string_view(s.message()).substr(0, kCredentialError.size()) == kCredentialError) {
    g = grpc::Status(grpc::UNAUTHENTICATED, s.message());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  metrics_->ObserveCall(method, GrpcCodeName(g.error_code()), seconds);
  if (!g.ok()) {
    spdlog::info("event=call method={} code={} ms={:.3f} msg=\"{}\"", method,
                 GrpcCodeName(g.error_code()), seconds * 1e3, g.error_message());
  } else {
    spdlog::debug("event=call method={} code=OK ms={:.3f}", method, seconds * 1e3);
  }
  return g;
}

void VaultService::Call::Finish(const Status& s) const {
  reply->Reply(service->Settle(method, start, s));
}

StatusOr<VaultService::Caller> VaultService::Authorize(const v1::Account& account,
                                                       const char* method) {
  const CredentialScope scope = account.scope() == v1::CREDENTIAL_SCOPE_ACCOUNT_AUTHORITY
                                    ? CredentialScope::kAccountAuthority
                                    : CredentialScope::kUser;
  if (account.scope() != v1::CREDENTIAL_SCOPE_USER && scope == CredentialScope::kUser) {
    return PermissionDenied(std::string(kCredentialError) + " rejected: unknown scope " +
                            std::to_string(account.scope()));
  }
  Status s = app_key_->Verify(Span(account.user_id()), Span(account.credential()),
                              NowUnixSeconds(), scope);
  if (!s.ok()) {
    metrics_->CredentialRejected();
    spdlog::warn("event=credential_rejected method={} reason=\"{}\"", method, s.message());
    return s;
  }
  return Caller{.user_id = ToBytes(account.user_id()),
                .authority = scope == CredentialScope::kAccountAuthority ? core::Authority::kAccount
                                                                         : core::Authority::kNone};
}

void VaultService::Serve(const Call& call, const v1::RegisterStartRequest& req,
                         v1::RegisterStartResponse* resp) {
  AttachBundle(req, resp);
  StatusOr<Caller> caller = Authorize(req.account(), call.method);
  if (!caller.ok()) return call.Finish(caller.status());
  StatusOr<core::RegisterStartResult> r =
      host_->RegisterStart(caller->user_id, Span(req.registration_request()));
  if (r.ok()) {
    resp->set_registration_response(std::string(AsChars(r->registration_response)));
    resp->set_registration_epoch(r->registration_epoch);
  }
  return call.Finish(r.status());
}

void VaultService::Serve(const Call& call, const v1::RegisterUploadRequest& req,
                         v1::RegisterUploadResponse* resp) {
  AttachBundle(req, resp);
  StatusOr<Caller> caller = Authorize(req.account(), call.method);
  if (!caller.ok()) return call.Finish(caller.status());
  core::UploadRequest up;
  up.user_id = caller->user_id;
  up.registration_record = ToBytes(req.registration_record());
  up.encrypted_secret = ToBytes(req.encrypted_secret());
  up.activation_commitment = ToBytes(req.activation_commitment());
  up.max_attempts = req.max_attempts();
  // Only an account-authority credential may replace an active record without a session proof.
  host_->Upload(std::move(up), caller->authority,
                [this, call, resp, user = caller->user_id](StatusOr<core::UploadResult> r) {
                  if (r.ok()) {
                    resp->set_already_stored(r->already_stored);
                    resp->set_epoch(r->epoch);
                    metrics_->SetRecords(static_cast<double>(host_->record_count()));
                    spdlog::info("event=upload user={} already_stored={}", ShortUser(user),
                                 r->already_stored);
                  }
                  call.Finish(r.status());
                });
}

void VaultService::Serve(const Call& call, const v1::RegisterActivateRequest& req,
                         v1::RegisterActivateResponse* resp) {
  AttachBundle(req, resp);
  StatusOr<Caller> caller = Authorize(req.account(), call.method);
  if (!caller.ok()) return call.Finish(caller.status());
  host_->Activate(caller->user_id, ToBytes(req.activation_key()),
                  [call, resp, user = caller->user_id](StatusOr<core::ActivateResult> r) {
                    if (r.ok()) {
                      resp->set_attempts_remaining(r->attempts_remaining);
                      resp->set_already_active(r->already_active);
                      spdlog::info("event=activate user={} already_active={}", ShortUser(user),
                                   r->already_active);
                    }
                    call.Finish(r.status());
                  });
}

StatusOr<VaultService::Caller> VaultService::CheckRecoverStart(const v1::RecoverStartRequest& req,
                                                               const char* method) {
  StatusOr<Caller> caller = Authorize(req.account(), method);
  if (!caller.ok()) return caller.status();
  // Cheap size check before the limiter so malformed calls do not consume the user's budget.
  if (req.ke1().size() != crypto::opaque::kKe1Size) {
    return InvalidArgument("ke1 must be 96 bytes (RFC 9807 KE1), got " +
                           std::to_string(req.ke1().size()));
  }
  auto wait = limiter_->TryAttempt(req.account().user_id(), Clock::now());
  if (wait.count() > 0) {
    metrics_->RateLimited();
    return ResourceExhausted("too many recovery attempts for this user; retry in " +
                             std::to_string(wait.count()) + " ms");
  }
  return caller;
}

void VaultService::AnswerRecoverFinish(ByteSpan user, const core::RecoverFinishResult& r,
                                       v1::RecoverFinishResponse* resp) {
  if (r.outcome == core::RecoverOutcome::kSuccess) limiter_->Reset(std::string(AsChars(user)));
  resp->set_outcome(static_cast<v1::RecoverOutcome>(static_cast<int>(r.outcome)));
  resp->set_attempts_remaining(r.attempts_remaining);
  resp->set_encrypted_secret(std::string(AsChars(r.encrypted_secret)));
  metrics_->ObserveOutcome(OutcomeLabel(r.outcome));
  if (LogsInfo()) {
    spdlog::info("event=recover_finish user={} outcome={} attempts_remaining={}", ShortUser(user),
                 OutcomeLabel(r.outcome), r.attempts_remaining);
  }
}

void VaultService::Serve(const Call& call, const v1::RecoverStartRequest& req,
                         v1::RecoverStartResponse* resp) {
  AttachBundle(req, resp);
  StatusOr<Caller> caller = CheckRecoverStart(req, call.method);
  if (!caller.ok()) return call.Finish(caller.status());
  host_->RecoverStart(std::move(caller->user_id), ToBytes(req.ke1()),
                      [call, resp](StatusOr<core::RecoverStartResult> r) {
                        if (r.ok()) {
                          resp->set_ke2(std::string(AsChars(r->ke2)));
                          resp->set_login_state(std::string(AsChars(r->login_state)));
                        }
                        call.Finish(r.status());
                      });
}

void VaultService::Serve(const Call& call, const v1::RecoverFinishRequest& req,
                         v1::RecoverFinishResponse* resp) {
  AttachBundle(req, resp);
  StatusOr<Caller> caller = Authorize(req.account(), call.method);
  if (!caller.ok()) return call.Finish(caller.status());
  Bytes user = caller->user_id;
  host_->RecoverFinish(
      std::move(caller->user_id), ToBytes(req.login_state()), ToBytes(req.ke3()),
      [this, call, resp, user = std::move(user)](StatusOr<core::RecoverFinishResult> r) {
        if (r.ok()) AnswerRecoverFinish(user, *r, resp);
        call.Finish(r.status());
      });
}

void VaultService::Serve(const Call& call, const v1::DeleteRequest& req, v1::DeleteResponse* resp) {
  AttachBundle(req, resp);
  StatusOr<Caller> caller = Authorize(req.account(), call.method);
  if (!caller.ok()) return call.Finish(caller.status());
  core::DeleteRequest d;
  d.user_id = caller->user_id;
  d.login_state = ToBytes(req.login_state());
  d.proof = ToBytes(req.proof());
  // A user credential deletes only with the proof of a finished recovery session; the account
  // authority may delete without one.
  host_->Delete(std::move(d), caller->authority,
                [this, call, resp, user = caller->user_id](StatusOr<core::DeleteResult> r) {
                  if (r.ok()) {
                    resp->set_deleted(r->deleted);
                    metrics_->SetRecords(static_cast<double>(host_->record_count()));
                    limiter_->Reset(std::string(AsChars(user)));
                    spdlog::info("event=delete user={} deleted={}", ShortUser(user), r->deleted);
                  }
                  call.Finish(r.status());
                });
}

}  // namespace keyward::node
