// VaultService: the UNTRUSTED host's gRPC face of the trusted vault core (keyward.v1.Vault,
// proto/keyward/v1/vault.proto), on gRPC's callback API. For every call it, in order: checks the
// account credential (AppKey; its scope decides core::Authority), applies the host rate limit to
// recoveries, then hands the RFC 9807 bytes to the core through a CoreHost (core_host.h) and maps
// the core's Status to a gRPC status with the core's explanation. It never looks inside the OPAQUE
// messages; the core validates them and a rejected request changes no state.
//
// Calls finish when the CoreHost calls back: synchronously for LocalCoreHost (the KE2 is computed
// on the gRPC callback thread, outside the core lock), later for a Raft host (after commit), so
// no gRPC thread ever waits for a commit.
//
// Ownership: borrows the host, app key, limiter and metrics; they must outlive the service (and
// the gRPC server must be shut down before they are destroyed). Thread-safety: gRPC calls the
// handlers concurrently; everything the service touches is thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>

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

class VaultService final : public keyward::v1::Vault::CallbackService {
 public:
  VaultService(CoreHost* host, const AppKey* app_key, RateLimiter* limiter, NodeMetrics* metrics)
      : host_(host), app_key_(app_key), limiter_(limiter), metrics_(metrics) {}

  grpc::ServerUnaryReactor* RegisterStart(grpc::CallbackServerContext*,
                                          const v1::RegisterStartRequest*,
                                          v1::RegisterStartResponse*) override;
  grpc::ServerUnaryReactor* RegisterUpload(grpc::CallbackServerContext*,
                                           const v1::RegisterUploadRequest*,
                                           v1::RegisterUploadResponse*) override;
  grpc::ServerUnaryReactor* RegisterActivate(grpc::CallbackServerContext*,
                                             const v1::RegisterActivateRequest*,
                                             v1::RegisterActivateResponse*) override;
  grpc::ServerUnaryReactor* RecoverStart(grpc::CallbackServerContext*,
                                         const v1::RecoverStartRequest*,
                                         v1::RecoverStartResponse*) override;
  grpc::ServerUnaryReactor* RecoverFinish(grpc::CallbackServerContext*,
                                          const v1::RecoverFinishRequest*,
                                          v1::RecoverFinishResponse*) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext*, const v1::DeleteRequest*,
                                   v1::DeleteResponse*) override;
  // A whole recovery on one bidirectional stream (vault.proto RecoverStreamRequest): the same
  // checks and CoreHost calls as RecoverStart + RecoverFinish, one call instead of two.
  grpc::ServerBidiReactor<v1::RecoverStreamRequest, v1::RecoverStreamResponse>* Recover(
      grpc::CallbackServerContext*) override;

  // The longest deadline a Recover stream may carry (and so the longest it may stay open).
  static constexpr std::chrono::seconds kMaxRecoverStreamDeadline{60};

  // One call in flight: its reactor, name and start time. Finish answers it exactly once and
  // records the metrics and the log line. Copyable (captured by CoreHost callbacks).
  struct Call {
    VaultService* service;
    grpc::ServerUnaryReactor* reactor;
    const char* method;
    std::chrono::steady_clock::time_point start;
    grpc::ServerUnaryReactor* Finish(const Status& status) const;
  };
  // Maps `status` to the gRPC status of a finished call and records its metrics and log line.
  grpc::Status Settle(const char* method, std::chrono::steady_clock::time_point start,
                      const Status& status);

  // Over-the-air trust (node/bundle_source.h): every response carries `bundles`' newest delivered
  // bundle when the request's client_bundle_epoch is older, and its policy updates above the
  // request's client_policy_version. Borrowed; set before serving.
  void set_bundle_source(const BundleSource* bundles) { bundles_ = bundles; }

  // A fleet member that is not the leader relays client calls to the leader (fleet_forwarder.h).
  // Every handler first asks ShouldForward; if true, the forwarder's method of the same name serves
  // the call instead (its defaults answer UNIMPLEMENTED). Borrowed; set before serving.
  class Forwarder : public v1::Vault::CallbackService {
   public:
    virtual bool ShouldForward(grpc::CallbackServerContext* ctx) = 0;
  };
  void set_forwarder(Forwarder* forwarder) { forwarder_ = forwarder; }

 private:
  class RecoverStream;  // the Recover stream's reactor (vault_service.cc)
  struct Caller {
    Bytes user_id;
    core::Authority authority = core::Authority::kNone;
  };
  Call Begin(grpc::CallbackServerContext* ctx, const char* method);
  // Checks request.account (credential MAC, expiry, scope).
  StatusOr<Caller> Authorize(const v1::Account& account, const char* method);
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
