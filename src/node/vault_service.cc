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

grpc::ServerUnaryReactor* VaultService::Call::Finish(const Status& s) const {
  reactor->Finish(service->Settle(method, start, s));
  return reactor;
}

VaultService::Call VaultService::Begin(grpc::CallbackServerContext* ctx, const char* method) {
  return Call{this, ctx->DefaultReactor(), method, Clock::now()};
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

grpc::ServerUnaryReactor* VaultService::RegisterStart(grpc::CallbackServerContext* ctx,
                                                      const v1::RegisterStartRequest* req,
                                                      v1::RegisterStartResponse* resp) {
  if (forwarder_ != nullptr && forwarder_->ShouldForward(ctx)) return forwarder_->RegisterStart(ctx, req, resp);
  const Call call = Begin(ctx, "RegisterStart");
  AttachBundle(*req, resp);
  StatusOr<Caller> caller = Authorize(req->account(), call.method);
  if (!caller.ok()) return call.Finish(caller.status());
  StatusOr<core::RegisterStartResult> r =
      host_->RegisterStart(caller->user_id, Span(req->registration_request()));
  if (r.ok()) {
    resp->set_registration_response(std::string(AsChars(r->registration_response)));
    resp->set_registration_epoch(r->registration_epoch);
  }
  return call.Finish(r.status());
}

grpc::ServerUnaryReactor* VaultService::RegisterUpload(grpc::CallbackServerContext* ctx,
                                                       const v1::RegisterUploadRequest* req,
                                                       v1::RegisterUploadResponse* resp) {
  if (forwarder_ != nullptr && forwarder_->ShouldForward(ctx)) return forwarder_->RegisterUpload(ctx, req, resp);
  const Call call = Begin(ctx, "RegisterUpload");
  AttachBundle(*req, resp);
  StatusOr<Caller> caller = Authorize(req->account(), call.method);
  if (!caller.ok()) return call.Finish(caller.status());
  core::UploadRequest up;
  up.user_id = caller->user_id;
  up.registration_record = ToBytes(req->registration_record());
  up.encrypted_secret = ToBytes(req->encrypted_secret());
  up.activation_commitment = ToBytes(req->activation_commitment());
  up.max_attempts = req->max_attempts();
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
  return call.reactor;
}

grpc::ServerUnaryReactor* VaultService::RegisterActivate(grpc::CallbackServerContext* ctx,
                                                         const v1::RegisterActivateRequest* req,
                                                         v1::RegisterActivateResponse* resp) {
  if (forwarder_ != nullptr && forwarder_->ShouldForward(ctx)) return forwarder_->RegisterActivate(ctx, req, resp);
  const Call call = Begin(ctx, "RegisterActivate");
  AttachBundle(*req, resp);
  StatusOr<Caller> caller = Authorize(req->account(), call.method);
  if (!caller.ok()) return call.Finish(caller.status());
  host_->Activate(caller->user_id, ToBytes(req->activation_key()),
                  [call, resp, user = caller->user_id](StatusOr<core::ActivateResult> r) {
                    if (r.ok()) {
                      resp->set_attempts_remaining(r->attempts_remaining);
                      resp->set_already_active(r->already_active);
                      spdlog::info("event=activate user={} already_active={}", ShortUser(user),
                                   r->already_active);
                    }
                    call.Finish(r.status());
                  });
  return call.reactor;
}

grpc::ServerUnaryReactor* VaultService::RecoverStart(grpc::CallbackServerContext* ctx,
                                                     const v1::RecoverStartRequest* req,
                                                     v1::RecoverStartResponse* resp) {
  if (forwarder_ != nullptr && forwarder_->ShouldForward(ctx)) return forwarder_->RecoverStart(ctx, req, resp);
  const Call call = Begin(ctx, "RecoverStart");
  AttachBundle(*req, resp);
  StatusOr<Caller> caller = Authorize(req->account(), call.method);
  if (!caller.ok()) return call.Finish(caller.status());
  // Cheap size check before the limiter so malformed calls do not consume the user's budget.
  if (req->ke1().size() != crypto::opaque::kKe1Size) {
    return call.Finish(InvalidArgument("ke1 must be 96 bytes (RFC 9807 KE1), got " +
                                       std::to_string(req->ke1().size())));
  }
  auto wait = limiter_->TryAttempt(req->account().user_id(), Clock::now());
  if (wait.count() > 0) {
    metrics_->RateLimited();
    return call.Finish(ResourceExhausted("too many recovery attempts for this user; retry in " +
                                         std::to_string(wait.count()) + " ms"));
  }
  host_->RecoverStart(std::move(caller->user_id), ToBytes(req->ke1()),
                      [call, resp](StatusOr<core::RecoverStartResult> r) {
                        if (r.ok()) {
                          resp->set_ke2(std::string(AsChars(r->ke2)));
                          resp->set_login_state(std::string(AsChars(r->login_state)));
                        }
                        call.Finish(r.status());
                      });
  return call.reactor;
}

grpc::ServerUnaryReactor* VaultService::RecoverFinish(grpc::CallbackServerContext* ctx,
                                                      const v1::RecoverFinishRequest* req,
                                                      v1::RecoverFinishResponse* resp) {
  if (forwarder_ != nullptr && forwarder_->ShouldForward(ctx)) return forwarder_->RecoverFinish(ctx, req, resp);
  const Call call = Begin(ctx, "RecoverFinish");
  AttachBundle(*req, resp);
  StatusOr<Caller> caller = Authorize(req->account(), call.method);
  if (!caller.ok()) return call.Finish(caller.status());
  Bytes user = caller->user_id;
  host_->RecoverFinish(
      std::move(caller->user_id), ToBytes(req->login_state()), ToBytes(req->ke3()),
      [this, call, resp, user = std::move(user)](StatusOr<core::RecoverFinishResult> r) {
        if (r.ok()) {
          if (r->outcome == core::RecoverOutcome::kSuccess) limiter_->Reset(std::string(AsChars(user)));
          resp->set_outcome(static_cast<v1::RecoverOutcome>(static_cast<int>(r->outcome)));
          resp->set_attempts_remaining(r->attempts_remaining);
          resp->set_encrypted_secret(std::string(AsChars(r->encrypted_secret)));
          metrics_->ObserveOutcome(OutcomeLabel(r->outcome));
          if (LogsInfo()) {
            spdlog::info("event=recover_finish user={} outcome={} attempts_remaining={}",
                         ShortUser(user), OutcomeLabel(r->outcome), r->attempts_remaining);
          }
        }
        call.Finish(r.status());
      });
  return call.reactor;
}

grpc::ServerUnaryReactor* VaultService::Delete(grpc::CallbackServerContext* ctx,
                                               const v1::DeleteRequest* req,
                                               v1::DeleteResponse* resp) {
  if (forwarder_ != nullptr && forwarder_->ShouldForward(ctx)) return forwarder_->Delete(ctx, req, resp);
  const Call call = Begin(ctx, "Delete");
  AttachBundle(*req, resp);
  StatusOr<Caller> caller = Authorize(req->account(), call.method);
  if (!caller.ok()) return call.Finish(caller.status());
  core::DeleteRequest d;
  d.user_id = caller->user_id;
  d.login_state = ToBytes(req->login_state());
  d.proof = ToBytes(req->proof());
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
  return call.reactor;
}

}  // namespace keyward::node

namespace keyward::node {

// The Recover stream (vault.proto RecoverStreamRequest): read `start` → RecoverStart through the
// host → write KE2 → read `finish` → RecoverFinish through the host → write the result and
// finish. At most one operation (a read, a write, or a host call) is outstanding at any time, so
// the steps never overlap; the host's `done` may run on any thread (a Raft host's apply thread or
// worker) and only starts the next gRPC operation. The reactor deletes itself in OnDone, which
// gRPC calls only after Finish and after every started operation completed, so a `done` that
// arrives after the client cancelled still finds it alive (its write then fails and the stream
// finishes).
class VaultService::RecoverStream final
    : public grpc::ServerBidiReactor<v1::RecoverStreamRequest, v1::RecoverStreamResponse> {
 public:
  RecoverStream(VaultService* service, grpc::CallbackServerContext* ctx)
      : service_(service), start_(Clock::now()) {
    // The deadline is what bounds the stream's life (gRPC cancels it on the server when it
    // passes), so an unbounded one is refused before anything is read.
    if (ctx->deadline() - std::chrono::system_clock::now() > kMaxRecoverStreamDeadline) {
      End(InvalidArgument("the Recover stream needs a deadline of at most " +
                          std::to_string(kMaxRecoverStreamDeadline.count()) +
                          " s (set one on the call)"));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      return End(InvalidArgument(step_ == Step::kReadStart
                                     ? "the Recover stream ended before its start message (KE1)"
                                     : "the Recover stream ended before its finish message (KE3)"));
    }
    if (step_ == Step::kReadStart) return OnStart();
    if (step_ == Step::kReadFinish) return OnFinish();
    End(Internal("Recover stream: read in an unexpected step"));
  }

  void OnWriteDone(bool ok) override {
    // Only the KE2 write reaches here (the last write is StartWriteAndFinish).
    if (!ok) return End(Unavailable("the Recover stream broke while sending KE2"));
    step_ = Step::kReadFinish;
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  enum class Step { kReadStart, kStarting, kWritingKe2, kReadFinish, kFinishing, kDone };
  static constexpr const char* kMethod = "Recover";

  void OnStart() {
    if (request_.step_case() != v1::RecoverStreamRequest::kStart) {
      return End(InvalidArgument(
          "the first Recover stream message must be `start` (RecoverStartRequest with KE1)"));
    }
    const v1::RecoverStartRequest& req = request_.start();
    service_->AttachBundle(req, response_.mutable_start());
    StatusOr<Caller> caller = service_->Authorize(req.account(), kMethod);
    if (!caller.ok()) return End(caller.status());
    // As on the unary path: a cheap size check before the limiter, so malformed calls do not
    // consume the user's budget.
    if (req.ke1().size() != crypto::opaque::kKe1Size) {
      return End(InvalidArgument("ke1 must be 96 bytes (RFC 9807 KE1), got " +
                                 std::to_string(req.ke1().size())));
    }
    auto wait = service_->limiter_->TryAttempt(req.account().user_id(), Clock::now());
    if (wait.count() > 0) {
      service_->metrics_->RateLimited();
      return End(ResourceExhausted("too many recovery attempts for this user; retry in " +
                                   std::to_string(wait.count()) + " ms"));
    }
    user_id_ = std::move(caller->user_id);
    step_ = Step::kStarting;
    service_->host_->RecoverStart(user_id_, ToBytes(req.ke1()),
                                  [this](StatusOr<core::RecoverStartResult> r) {
                                    if (!r.ok()) return End(r.status());
                                    v1::RecoverStartResponse* resp = response_.mutable_start();
                                    resp->set_ke2(std::string(AsChars(r->ke2)));
                                    resp->set_login_state(std::string(AsChars(r->login_state)));
                                    login_state_ = std::move(r->login_state);
                                    step_ = Step::kWritingKe2;
                                    StartWrite(&response_);
                                  });
  }

  void OnFinish() {
    if (request_.step_case() != v1::RecoverStreamRequest::kFinish) {
      return End(InvalidArgument(
          "the second Recover stream message must be `finish` (RecoverStreamFinish with KE3)"));
    }
    step_ = Step::kFinishing;
    service_->host_->RecoverFinish(
        user_id_, std::move(login_state_), ToBytes(request_.finish().ke3()),
        [this](StatusOr<core::RecoverFinishResult> r) {
          if (!r.ok()) return End(r.status());
          if (r->outcome == core::RecoverOutcome::kSuccess) {
            service_->limiter_->Reset(std::string(AsChars(user_id_)));
          }
          response_.Clear();
          v1::RecoverFinishResponse* resp = response_.mutable_finish();
          resp->set_outcome(static_cast<v1::RecoverOutcome>(static_cast<int>(r->outcome)));
          resp->set_attempts_remaining(r->attempts_remaining);
          resp->set_encrypted_secret(std::string(AsChars(r->encrypted_secret)));
          service_->metrics_->ObserveOutcome(OutcomeLabel(r->outcome));
          if (LogsInfo()) {
            spdlog::info("event=recover_finish user={} outcome={} attempts_remaining={}",
                         ShortUser(user_id_), OutcomeLabel(r->outcome), r->attempts_remaining);
          }
          step_ = Step::kDone;
          StartWriteAndFinish(&response_, grpc::WriteOptions(),
                              service_->Settle(kMethod, start_, Status::Ok()));
        });
  }

  // Ends the stream with `status` (nothing more is read or written).
  void End(const Status& status) {
    step_ = Step::kDone;
    Finish(service_->Settle(kMethod, start_, status));
  }

  VaultService* const service_;
  const Clock::time_point start_;
  Step step_ = Step::kReadStart;
  v1::RecoverStreamRequest request_;
  v1::RecoverStreamResponse response_;
  Bytes user_id_;
  Bytes login_state_;
};

grpc::ServerBidiReactor<v1::RecoverStreamRequest, v1::RecoverStreamResponse>* VaultService::Recover(
    grpc::CallbackServerContext* ctx) {
  // A fleet member's forwarder may not have the stream (its default answers UNIMPLEMENTED, and
  // the SDK then falls back to RecoverStart + RecoverFinish, which it relays).
  if (forwarder_ != nullptr && forwarder_->ShouldForward(ctx)) return forwarder_->Recover(ctx);
  return new RecoverStream(this, ctx);
}

}  // namespace keyward::node
