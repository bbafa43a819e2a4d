// VaultService: the UNTRUSTED host's gRPC face of the trusted vault core (keyward.v1.Vault,
// proto/keyward/v1/vault.proto), on gRPC's completion-queue ("async") API: VaultServer
// (vault_async.h) owns the server and the polling threads that run these handlers. For every call
// it, in order: checks the account credential (AppKey; its scope decides core::Authority), applies
// the host rate limit to recoveries, then hands the RFC 9807 bytes to the core through a CoreHost
// (core_host.h) and maps the core's Status to a gRPC status with the core's explanation. It
// never looks inside the OPAQUE messages; the core validates them and a rejected request changes
// no state.
//
// Calls finish when the CoreHost calls back: synchronously for LocalCoreHost (the KE2 is computed
// on the polling thread that read the request, outside the core lock), later for a Raft host
// (after commit), so no gRPC thread ever waits for a commit.
//
// Ownership: borrows the host, app key, limiter and metrics; they must outlive the service (and
// the gRPC server must be shut down before they are destroyed). Thread-safety: the polling threads
// and the host's callbacks call into the service concurrently; everything it touches is
// thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>

#include "keyward/v1/vault.grpc.pb.h"
#include "node/account_token.h"
#include "node/bundle_source.h"
#include "node/core_host.h"
#include "node/metrics.h"
#include "node/rate_limiter.h"

namespace keyward::node {

// Maps a Keyward Status to the gRPC status documented in vault.proto.
grpc::Status ToGrpcStatus(const Status& status);
// The gRPC code's name as used in metrics labels and logs ("OK", "INVALID_ARGUMENT", ...).
const char* GrpcCodeName(grpc::StatusCode code);

class VaultService final : public v1::Vault::AsyncService {
 public:
  VaultService(CoreHost* host, const AppKey* app_key, RateLimiter* limiter, NodeMetrics* metrics)
      : host_(host), app_key_(app_key), limiter_(limiter), metrics_(metrics) {}

  // The longest deadline a Recover stream may carry (and so the longest it may stay open).
  static constexpr std::chrono::seconds kMaxRecoverStreamDeadline{60};

  // How a unary call's answer goes back (vault_async.cc): Reply sends the response the call was
  // served into, with `status`. Called exactly once, from any thread.
  class AsyncReply {
   public:
    virtual void Reply(const grpc::Status& status) = 0;

   protected:
    ~AsyncReply() = default;
  };

  // One unary call in flight: how it is answered, its name and start time. Finish answers it
  // exactly once and records the metrics and the log line. Copyable (captured by CoreHost
  // callbacks).
  struct Call {
    VaultService* service;
    AsyncReply* reply;
    const char* method;
    std::chrono::steady_clock::time_point start;
    void Finish(const Status& status) const;
  };
  // A matched unary call (vault_async.cc): relayed by the forwarder when it says so, else served.
  template <typename Req, typename Resp>
  void Handle(grpc::ServerContext* ctx, AsyncReply* reply, const char* method, const Req& req,
              Resp* resp) {
    if (forwarder_ != nullptr && forwarder_->ShouldForward(ctx)) {
      forwarder_->Relay(ctx, req, resp, [reply](grpc::Status s) { reply->Reply(s); });
      return;
    }
    Serve(Call{this, reply, method, std::chrono::steady_clock::now()}, req, resp);
  }
  // The unary methods' bodies: check, call the host, fill `resp` and answer through `call` (now
  // or when the host calls back).
  void Serve(const Call& call, const v1::RegisterStartRequest& req,
             v1::RegisterStartResponse* resp);
  void Serve(const Call& call, const v1::RegisterUploadRequest& req,
             v1::RegisterUploadResponse* resp);
  void Serve(const Call& call, const v1::RegisterActivateRequest& req,
             v1::RegisterActivateResponse* resp);
  void Serve(const Call& call, const v1::RecoverStartRequest& req, v1::RecoverStartResponse* resp);
  void Serve(const Call& call, const v1::RecoverFinishRequest& req,
             v1::RecoverFinishResponse* resp);
  void Serve(const Call& call, const v1::DeleteRequest& req, v1::DeleteResponse* resp);
  // Maps `status` to the gRPC status of a finished call and records its metrics and log line.
  grpc::Status Settle(const char* method, std::chrono::steady_clock::time_point start,
                      const Status& status);

  // Over-the-air trust (node/bundle_source.h): every response carries `bundles`' newest delivered
  // bundle when the request's client_bundle_epoch is older, and its policy updates above the
  // request's client_policy_version. Borrowed; set before serving.
  void set_bundle_source(const BundleSource* bundles) { bundles_ = bundles; }

  // A fleet member that is not the leader relays client calls to the leader (fleet_forwarder.h).
  // Every call first asks ShouldForward; if true, Relay serves a unary call instead (it may add
  // trailing metadata to `ctx`, fills `resp` and calls `relayed` once, from any thread; ctx, req
  // and resp stay valid until then), and a Recover stream is finished at once, before anything is
  // read, with TurnAwayStream's status (which may add trailing metadata to `ctx`). The interface
  // does not depend on gRPC's serving model. Borrowed; set before serving.
  class Forwarder {
   public:
    using Relayed = std::function<void(grpc::Status)>;
    virtual ~Forwarder() = default;
    virtual bool ShouldForward(grpc::ServerContextBase* ctx) = 0;
    virtual void Relay(grpc::ServerContextBase* ctx, const v1::RegisterStartRequest& req,
                       v1::RegisterStartResponse* resp, Relayed relayed) = 0;
    virtual void Relay(grpc::ServerContextBase* ctx, const v1::RegisterUploadRequest& req,
                       v1::RegisterUploadResponse* resp, Relayed relayed) = 0;
    virtual void Relay(grpc::ServerContextBase* ctx, const v1::RegisterActivateRequest& req,
                       v1::RegisterActivateResponse* resp, Relayed relayed) = 0;
    virtual void Relay(grpc::ServerContextBase* ctx, const v1::RecoverStartRequest& req,
                       v1::RecoverStartResponse* resp, Relayed relayed) = 0;
    virtual void Relay(grpc::ServerContextBase* ctx, const v1::RecoverFinishRequest& req,
                       v1::RecoverFinishResponse* resp, Relayed relayed) = 0;
    virtual void Relay(grpc::ServerContextBase* ctx, const v1::DeleteRequest& req,
                       v1::DeleteResponse* resp, Relayed relayed) = 0;
    virtual grpc::Status TurnAwayStream(grpc::ServerContextBase* ctx) = 0;
  };
  void set_forwarder(Forwarder* forwarder) { forwarder_ = forwarder; }

 private:
  friend class VaultServer;
  class RecoverStream;  // one Recover stream's state machine (vault_async.cc)
  struct Caller {
    Bytes user_id;
    core::Authority authority = core::Authority::kNone;
  };
  // Checks request.account (credential MAC, expiry, scope).
  StatusOr<Caller> Authorize(const v1::Account& account, const char* method);
  // RecoverStart's checks (unary call and stream): credential, KE1 size, host rate limit.
  StatusOr<Caller> CheckRecoverStart(const v1::RecoverStartRequest& req, const char* method);
  // RecoverFinish's answer (unary call and stream): limiter reset on success, the response
  // fields, the outcome metric and the log line.
  void AnswerRecoverFinish(ByteSpan user, const core::RecoverFinishResult& r,
                           v1::RecoverFinishResponse* resp);
  template <typename Req, typename Resp>
  void AttachBundle(const Req& req, Resp* resp) const {
    if (bundles_ != nullptr) bundles_->AttachTo(req, resp);  // bundle + policy updates
  }

  CoreHost* const host_;
  const AppKey* const app_key_;
  RateLimiter* const limiter_;
  NodeMetrics* const metrics_;
  const BundleSource* bundles_ = nullptr;
  Forwarder* forwarder_ = nullptr;
};

}  // namespace keyward::node
