#include "node/fleet_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <future>

#include "node/vault_service.h"

namespace keyward::node {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kForwardedKey[] = "keyward-forwarded";
constexpr auto kCallTimeout = std::chrono::seconds(6);

ByteSpan Span(const std::string& s) { return AsBytes(s); }
std::string Str(ByteSpan b) { return std::string(AsChars(b)); }

// Replicates `command` and returns what `on_applied` produced from its ApplyResult (run right after
// the command was applied, under the core's exclusive lock).
template <typename T>
StatusOr<T> Replicate(FleetRuntime& rt, const core::Command& command,
                      std::function<StatusOr<T>(const core::ApplyResult&)> on_applied) {
  auto promise = std::make_shared<std::promise<StatusOr<T>>>();
  auto future = promise->get_future();
  FleetSubmission s;
  s.command = core::SerializeCommand(command);
  s.applied = [promise, on_applied = std::move(on_applied)](const core::ApplyResult& a) {
    promise->set_value(on_applied(a));
  };
  s.failed = [promise](const Status& st) { promise->set_value(st); };
  rt.replica->Submit(std::move(s));
  if (future.wait_for(kCallTimeout) != std::future_status::ready) {
    return Unavailable("the fleet did not commit the request in time; retry");
  }
  return future.get();
}

}  // namespace

template <typename Req, typename Resp, typename Exec>
grpc::Status FleetVaultService::Serve(const char* method, grpc::ServerContext* ctx, const Req* req, Resp* resp,
                                      grpc::Status (v1::Vault::Stub::*forward)(grpc::ClientContext*, const Req&,
                                                                               Resp*),
                                      Exec&& exec) {
  auto start = Clock::now();
  grpc::Status g;
  std::shared_ptr<FleetRuntime> rt = state_->runtime();
  // Credential scopes as in VaultService: only an ACCOUNT_AUTHORITY credential carries the account
  // authority (replace or delete an active record without a session proof).
  const v1::Account& account = req->account();
  const CredentialScope scope = account.scope() == v1::CREDENTIAL_SCOPE_ACCOUNT_AUTHORITY
                                    ? CredentialScope::kAccountAuthority
                                    : CredentialScope::kUser;
  Status auth = account.scope() != v1::CREDENTIAL_SCOPE_USER && scope == CredentialScope::kUser
                    ? PermissionDenied("account credential rejected: unknown scope " + std::to_string(account.scope()))
                    : app_key_->Verify(Span(account.user_id()), Span(account.credential()), NowUnixSeconds(), scope);
  const core::Authority authority =
      scope == CredentialScope::kAccountAuthority ? core::Authority::kAccount : core::Authority::kNone;
  if (!rt) {
    g = grpc::Status(grpc::UNAVAILABLE, "this node is not a fleet member yet; run `keyward fleet init`");
  } else if (!auth.ok()) {
    metrics_->CredentialRejected();
    g = grpc::Status(grpc::UNAUTHENTICATED, auth.message());
  } else {
    FleetInfo info = rt->replica->info();
    if (info.ready_leader) {
      g = ToGrpcStatus(exec(*rt, ToBytes(account.user_id()), authority));
    } else if (ctx->client_metadata().count(kForwardedKey) != 0 || info.leader == raft::kNoNode ||
               info.leader == rt->id) {
      g = grpc::Status(grpc::UNAVAILABLE, "the fleet has no leader right now (election in progress); retry");
    } else if (v1::Vault::Stub* stub = rt->VaultStub(info.leader); stub == nullptr) {
      g = grpc::Status(grpc::UNAVAILABLE, "the leader is not in the manifest; retry");
    } else {
      grpc::ClientContext fwd;
      auto deadline = std::chrono::system_clock::now() + kCallTimeout;
      fwd.set_deadline(std::min(deadline, ctx->deadline()));
      fwd.AddMetadata(kForwardedKey, "1");
      g = (stub->*forward)(&fwd, *req, resp);
      if (g.error_code() == grpc::DEADLINE_EXCEEDED) {
        g = grpc::Status(grpc::UNAVAILABLE, "the leader did not answer in time; retry");
      }
    }
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  metrics_->ObserveCall(method, GrpcCodeName(g.error_code()), seconds);
  if (!g.ok()) {
    spdlog::debug("event=call method={} code={} ms={:.3f} msg=\"{}\"", method, GrpcCodeName(g.error_code()),
                  seconds * 1e3, g.error_message());
  }
  return g;
}

grpc::Status FleetVaultService::RegisterStart(grpc::ServerContext* ctx, const v1::RegisterStartRequest* req,
                                              v1::RegisterStartResponse* resp) {
  return Serve("RegisterStart", ctx, req, resp, &v1::Vault::Stub::RegisterStart,
               [&](FleetRuntime& rt, Bytes user, core::Authority /*authority*/) -> Status {
                 std::shared_lock lock(rt.core_mu);
                 ASSIGN_OR_RETURN(core::RegisterStartResult r,
                                  rt.core->RegisterStart(user, Span(req->registration_request())));
                 resp->set_registration_response(Str(r.registration_response));
                 resp->set_registration_epoch(r.registration_epoch);
                 return Status::Ok();
               });
}

grpc::Status FleetVaultService::RegisterUpload(grpc::ServerContext* ctx, const v1::RegisterUploadRequest* req,
                                               v1::RegisterUploadResponse* resp) {
  return Serve("RegisterUpload", ctx, req, resp, &v1::Vault::Stub::RegisterUpload,
               [&](FleetRuntime& rt, Bytes user, core::Authority authority) -> Status {
                 core::UploadRequest up;
                 up.user_id = user;
                 up.registration_record = ToBytes(req->registration_record());
                 up.encrypted_secret = ToBytes(req->encrypted_secret());
                 up.activation_commitment = ToBytes(req->activation_commitment());
                 up.max_attempts = req->max_attempts();
                 auto prepared = std::make_shared<core::PreparedUpload>();
                 {
                   std::shared_lock lock(rt.core_mu);
                   ASSIGN_OR_RETURN(*prepared, rt.core->PrepareUpload(up, authority, rng_));
                 }
                 core::VaultCore* core = rt.core.get();
                 ASSIGN_OR_RETURN(core::UploadResult r,
                                  Replicate<core::UploadResult>(rt, prepared->command,
                                                                [core, prepared](const core::ApplyResult& a) {
                                                                  return core->CompleteUpload(*prepared, a);
                                                                }));
                 resp->set_already_stored(r.already_stored);
                 resp->set_epoch(r.epoch);
                 return Status::Ok();
               });
}

grpc::Status FleetVaultService::RegisterActivate(grpc::ServerContext* ctx, const v1::RegisterActivateRequest* req,
                                                 v1::RegisterActivateResponse* resp) {
  return Serve("RegisterActivate", ctx, req, resp, &v1::Vault::Stub::RegisterActivate,
               [&](FleetRuntime& rt, Bytes user, core::Authority /*authority*/) -> Status {
                 core::PreparedActivate prepared;
                 {
                   std::shared_lock lock(rt.core_mu);
                   ASSIGN_OR_RETURN(prepared, rt.core->PrepareActivate(user, Span(req->activation_key())));
                 }
                 core::VaultCore* core = rt.core.get();
                 ASSIGN_OR_RETURN(core::ActivateResult r,
                                  Replicate<core::ActivateResult>(rt, prepared.command,
                                                                  [core](const core::ApplyResult& a) {
                                                                    return core->CompleteActivate(a);
                                                                  }));
                 resp->set_attempts_remaining(r.attempts_remaining);
                 resp->set_already_active(r.already_active);
                 return Status::Ok();
               });
}

grpc::Status FleetVaultService::RecoverStart(grpc::ServerContext* ctx, const v1::RecoverStartRequest* req,
                                             v1::RecoverStartResponse* resp) {
  return Serve("RecoverStart", ctx, req, resp, &v1::Vault::Stub::RecoverStart,
               [&](FleetRuntime& rt, Bytes user, core::Authority /*authority*/) -> Status {
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
                 auto prepared = std::make_shared<core::PreparedRecoverStart>();
                 ASSIGN_OR_RETURN(*prepared, rt.core->PrepareRecoverStart(user, Span(req->ke1())));  // reads no state
                 core::VaultCore* core = rt.core.get();
                 // G1: the record is bound right after the BeginLogin that counted this guess was
                 // committed and applied; the KE2 is computed only then, outside the lock.
                 ASSIGN_OR_RETURN(core::BoundRecoverStart bound,
                                  Replicate<core::BoundRecoverStart>(
                                      rt, prepared->command, [core, prepared](const core::ApplyResult& a) {
                                        return StatusOr<core::BoundRecoverStart>(core->BindRecoverStart(*prepared, a));
                                      }));
                 ASSIGN_OR_RETURN(core::RecoverStartResult r, core->FinishRecoverStart(bound, rng_));
                 resp->set_ke2(Str(r.ke2));
                 resp->set_login_state(Str(r.login_state));
                 return Status::Ok();
               });
}

grpc::Status FleetVaultService::RecoverFinish(grpc::ServerContext* ctx, const v1::RecoverFinishRequest* req,
                                              v1::RecoverFinishResponse* resp) {
  return Serve("RecoverFinish", ctx, req, resp, &v1::Vault::Stub::RecoverFinish,
               [&](FleetRuntime& rt, Bytes user, core::Authority /*authority*/) -> Status {
                 auto prepared = std::make_shared<core::PreparedRecoverFinish>();
                 {
                   std::shared_lock lock(rt.core_mu);
                   ASSIGN_OR_RETURN(*prepared,
                                    rt.core->PrepareRecoverFinish(user, Span(req->login_state()), Span(req->ke3())));
                 }
                 core::VaultCore* core = rt.core.get();
                 core::RecoverFinishResult r;
                 if (prepared->command.has_value()) {
                   core::Command cmd = *prepared->command;
                   auto rng = &rng_;
                   ASSIGN_OR_RETURN(r, Replicate<core::RecoverFinishResult>(
                                           rt, cmd, [core, prepared, rng](const core::ApplyResult& a) {
                                             return core->CompleteRecoverFinish(std::move(*prepared), &a, *rng);
                                           }));
                 } else {
                   ASSIGN_OR_RETURN(r, core->CompleteRecoverFinish(std::move(*prepared), nullptr, rng_));
                 }
                 if (r.outcome == core::RecoverOutcome::kSuccess) limiter_->Reset(req->account().user_id());
                 resp->set_outcome(static_cast<v1::RecoverOutcome>(static_cast<int>(r.outcome)));
                 resp->set_attempts_remaining(r.attempts_remaining);
                 resp->set_encrypted_secret(Str(r.encrypted_secret));
                 metrics_->ObserveOutcome(r.outcome == core::RecoverOutcome::kSuccess         ? "success"
                                          : r.outcome == core::RecoverOutcome::kWrongPassword ? "wrong_password"
                                                                                              : "locked");
                 return Status::Ok();
               });
}

grpc::Status FleetVaultService::Delete(grpc::ServerContext* ctx, const v1::DeleteRequest* req,
                                       v1::DeleteResponse* resp) {
  return Serve("Delete", ctx, req, resp, &v1::Vault::Stub::Delete, [&](FleetRuntime& rt, Bytes user, core::Authority authority) -> Status {
    core::DeleteRequest d;
    d.user_id = user;
    d.login_state = ToBytes(req->login_state());
    d.proof = ToBytes(req->proof());
    auto prepared = std::make_shared<core::PreparedDelete>();
    {
      std::shared_lock lock(rt.core_mu);
      ASSIGN_OR_RETURN(*prepared, rt.core->PrepareDelete(d, authority));
    }
    core::VaultCore* core = rt.core.get();
    core::DeleteResult r;
    if (prepared->command.has_value()) {
      ASSIGN_OR_RETURN(r, Replicate<core::DeleteResult>(rt, *prepared->command,
                                                        [core, prepared](const core::ApplyResult& a) {
                                                          return core->CompleteDelete(*prepared, &a);
                                                        }));
    } else {
      ASSIGN_OR_RETURN(r, core->CompleteDelete(*prepared, nullptr));
    }
    resp->set_deleted(r.deleted);
    limiter_->Reset(req->account().user_id());
    return Status::Ok();
  });
}

}  // namespace keyward::node
