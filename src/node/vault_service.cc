#include "node/vault_service.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace keyward::node {
namespace {

using Clock = std::chrono::steady_clock;

std::string ShortUser(ByteSpan user) {
  // Logs carry a short hash of the user id, not the id itself.
  auto d = crypto::Sha256(user);
  return HexEncode(ByteSpan(d).first(6));
}

ByteSpan Span(const std::string& s) { return AsBytes(s); }

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
    default: return "INTERNAL";
  }
}

}  // namespace

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

StatusOr<Bytes> VaultService::Authorize(const v1::Account& account, const char* method) {
  Status s = app_key_->Verify(Span(account.user_id()), Span(account.credential()), NowUnixSeconds());
  if (!s.ok()) {
    metrics_->CredentialRejected();
    spdlog::warn("event=credential_rejected method={} reason=\"{}\"", method, s.message());
    return s;
  }
  return ToBytes(account.user_id());
}

template <typename Fn>
grpc::Status VaultService::Handle(const char* method, Fn&& fn) {
  auto start = Clock::now();
  Status s = fn();
  grpc::Status g = ToGrpcStatus(s);
  if (s.code() == ErrorCode::kPermissionDenied && s.message().find("account credential") == 0) {
    g = grpc::Status(grpc::UNAUTHENTICATED, s.message());
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  metrics_->ObserveCall(method, GrpcCodeName(g.error_code()), seconds);
  if (!g.ok()) {
    spdlog::info("event=call method={} code={} ms={:.3f} msg=\"{}\"", method,
                 GrpcCodeName(g.error_code()), seconds * 1e3, g.error_message());
  } else {
    spdlog::debug("event=call method={} code=OK ms={:.3f}", method, seconds * 1e3);
  }
  return g;
}

grpc::Status VaultService::RegisterStart(grpc::ServerContext*, const v1::RegisterStartRequest* req,
                                         v1::RegisterStartResponse* resp) {
  return Handle("RegisterStart", [&]() -> Status {
    ASSIGN_OR_RETURN(Bytes user, Authorize(req->account(), "RegisterStart"));
    std::lock_guard<std::mutex> lock(core_mu_);
    ASSIGN_OR_RETURN(core::RegisterStartResult r,
                     core_->RegisterStart(user, Span(req->registration_request())));
    resp->set_registration_response(std::string(AsChars(r.registration_response)));
    resp->set_registration_epoch(r.registration_epoch);
    return Status::Ok();
  });
}

grpc::Status VaultService::RegisterUpload(grpc::ServerContext*, const v1::RegisterUploadRequest* req,
                                          v1::RegisterUploadResponse* resp) {
  return Handle("RegisterUpload", [&]() -> Status {
    ASSIGN_OR_RETURN(Bytes user, Authorize(req->account(), "RegisterUpload"));
    core::UploadRequest up;
    up.user_id = user;
    up.registration_record = ToBytes(req->registration_record());
    up.encrypted_secret = ToBytes(req->encrypted_secret());
    up.activation_commitment = ToBytes(req->activation_commitment());
    up.max_attempts = req->max_attempts();
    std::lock_guard<std::mutex> lock(core_mu_);
    // The node checked the app's credential: the account authority may replace a record.
    ASSIGN_OR_RETURN(core::UploadResult r,
                     core_->RegisterUpload(up, core::Authority::kAccount, rng_));
    resp->set_already_stored(r.already_stored);
    resp->set_epoch(r.epoch);
    metrics_->SetRecords(static_cast<double>(core_->record_count()));
    spdlog::info("event=upload user={} already_stored={}", ShortUser(user), r.already_stored);
    return Status::Ok();
  });
}

grpc::Status VaultService::RegisterActivate(grpc::ServerContext*,
                                            const v1::RegisterActivateRequest* req,
                                            v1::RegisterActivateResponse* resp) {
  return Handle("RegisterActivate", [&]() -> Status {
    ASSIGN_OR_RETURN(Bytes user, Authorize(req->account(), "RegisterActivate"));
    std::lock_guard<std::mutex> lock(core_mu_);
    ASSIGN_OR_RETURN(core::ActivateResult r,
                     core_->RegisterActivate(user, Span(req->activation_key())));
    resp->set_attempts_remaining(r.attempts_remaining);
    resp->set_already_active(r.already_active);
    spdlog::info("event=activate user={} already_active={}", ShortUser(user), r.already_active);
    return Status::Ok();
  });
}

grpc::Status VaultService::RecoverStart(grpc::ServerContext*, const v1::RecoverStartRequest* req,
                                        v1::RecoverStartResponse* resp) {
  return Handle("RecoverStart", [&]() -> Status {
    ASSIGN_OR_RETURN(Bytes user, Authorize(req->account(), "RecoverStart"));
    // Cheap size check before the limiter so malformed calls do not consume the user's budget.
    if (req->ke1().size() != 96) {
      return InvalidArgument("ke1 must be 96 bytes (RFC 9807 KE1), got " +
                             std::to_string(req->ke1().size()));
    }
    auto wait = limiter_->TryAttempt(req->account().user_id(), Clock::now());
    if (wait.count() > 0) {
      metrics_->RateLimited();
      return ResourceExhausted("too many recovery attempts for this user; retry in " +
                               std::to_string(wait.count()) + " ms");
    }
    std::lock_guard<std::mutex> lock(core_mu_);
    ASSIGN_OR_RETURN(core::RecoverStartResult r, core_->RecoverStart(user, Span(req->ke1()), rng_));
    resp->set_ke2(std::string(AsChars(r.ke2)));
    resp->set_login_state(std::string(AsChars(r.login_state)));
    return Status::Ok();
  });
}

grpc::Status VaultService::RecoverFinish(grpc::ServerContext*, const v1::RecoverFinishRequest* req,
                                         v1::RecoverFinishResponse* resp) {
  return Handle("RecoverFinish", [&]() -> Status {
    ASSIGN_OR_RETURN(Bytes user, Authorize(req->account(), "RecoverFinish"));
    core::RecoverFinishResult r;
    {
      std::lock_guard<std::mutex> lock(core_mu_);
      ASSIGN_OR_RETURN(r, core_->RecoverFinish(user, Span(req->login_state()), Span(req->ke3()), rng_));
      metrics_->SetRecords(static_cast<double>(core_->record_count()));
    }
    if (r.outcome == core::RecoverOutcome::kSuccess) limiter_->Reset(req->account().user_id());
    resp->set_outcome(static_cast<v1::RecoverOutcome>(static_cast<int>(r.outcome)));
    resp->set_attempts_remaining(r.attempts_remaining);
    resp->set_encrypted_secret(std::string(AsChars(r.encrypted_secret)));
    std::string outcome = r.outcome == core::RecoverOutcome::kSuccess         ? "success"
                          : r.outcome == core::RecoverOutcome::kWrongPassword ? "wrong_password"
                                                                              : "locked";
    metrics_->ObserveOutcome(outcome);
    spdlog::info("event=recover_finish user={} outcome={} attempts_remaining={}", ShortUser(user),
                 outcome, r.attempts_remaining);
    return Status::Ok();
  });
}

grpc::Status VaultService::Delete(grpc::ServerContext*, const v1::DeleteRequest* req,
                                  v1::DeleteResponse* resp) {
  return Handle("Delete", [&]() -> Status {
    ASSIGN_OR_RETURN(Bytes user, Authorize(req->account(), "Delete"));
    core::DeleteRequest d;
    d.user_id = user;
    d.login_state = ToBytes(req->login_state());
    d.proof = ToBytes(req->proof());
    std::lock_guard<std::mutex> lock(core_mu_);
    ASSIGN_OR_RETURN(core::DeleteResult r, core_->Delete(d, core::Authority::kAccount));
    resp->set_deleted(r.deleted);
    metrics_->SetRecords(static_cast<double>(core_->record_count()));
    limiter_->Reset(req->account().user_id());
    spdlog::info("event=delete user={} deleted={}", ShortUser(user), r.deleted);
    return Status::Ok();
  });
}

}  // namespace keyward::node
