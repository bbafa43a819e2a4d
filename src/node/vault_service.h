// VaultService: the UNTRUSTED host's gRPC face of one trusted vault core (keyward.v1.Vault,
// proto/keyward/v1/vault.proto). For every call it, in order: checks the account-authority
// credential (AppKey), applies the host rate limit to recoveries, then hands the RFC 9807 bytes to
// the core and maps the core's Status to a gRPC status with the core's explanation. It never looks
// inside the OPAQUE messages; the core validates them and a rejected request changes no state.
//
// Ownership: borrows the core, app key, limiter and metrics; they must outlive the service.
// Thread-safety: gRPC calls handlers concurrently; the core (not thread-safe) is serialized behind
// one mutex. The rest is thread-safe on its own.
#pragma once

#include <grpcpp/grpcpp.h>

#include <mutex>

#include "core/vault_core.h"
#include "crypto/random.h"
#include "keyward/v1/vault.grpc.pb.h"
#include "node/account_token.h"
#include "node/metrics.h"
#include "node/rate_limiter.h"

namespace keyward::node {

// Maps a Keyward Status to the gRPC status documented in vault.proto.
grpc::Status ToGrpcStatus(const Status& status);

class VaultService final : public keyward::v1::Vault::Service {
 public:
  VaultService(core::VaultCore* core, const AppKey* app_key, RateLimiter* limiter,
               NodeMetrics* metrics)
      : core_(core), app_key_(app_key), limiter_(limiter), metrics_(metrics) {}

  grpc::Status RegisterStart(grpc::ServerContext*, const v1::RegisterStartRequest*,
                             v1::RegisterStartResponse*) override;
  grpc::Status RegisterUpload(grpc::ServerContext*, const v1::RegisterUploadRequest*,
                              v1::RegisterUploadResponse*) override;
  grpc::Status RegisterActivate(grpc::ServerContext*, const v1::RegisterActivateRequest*,
                                v1::RegisterActivateResponse*) override;
  grpc::Status RecoverStart(grpc::ServerContext*, const v1::RecoverStartRequest*,
                            v1::RecoverStartResponse*) override;
  grpc::Status RecoverFinish(grpc::ServerContext*, const v1::RecoverFinishRequest*,
                             v1::RecoverFinishResponse*) override;
  grpc::Status Delete(grpc::ServerContext*, const v1::DeleteRequest*, v1::DeleteResponse*) override;

 private:
  // Checks request.account; returns the user id bytes.
  StatusOr<Bytes> Authorize(const v1::Account& account, const char* method);
  template <typename Fn>
  grpc::Status Handle(const char* method, Fn&& fn);

  core::VaultCore* const core_;
  const AppKey* const app_key_;
  RateLimiter* const limiter_;
  NodeMetrics* const metrics_;
  std::mutex core_mu_;
  crypto::SystemRng rng_;  // thread-safe
};

}  // namespace keyward::node
