// Fleet gRPC services of one member (the untrusted host's faces):
//  - FleetVaultService (keyward.v1.Vault): any member accepts a client call; a ready leader executes
//    it (Prepare* → replicate the command through Raft → Bind/Complete* right after it is applied →
//    answer), a follower forwards the call unchanged to the leader's client address (the OPAQUE
//    messages are end to end, so an untrusted forwarder learns nothing it could not see anyway).
//    A forwarded call carries metadata `keyward-forwarded: 1` and is never forwarded again.
//  - FleetPeerService (keyward.v1.Peer) is in fleet_peer_service.h.
//
// Ownership: borrow the FleetState, app key, limiter and metrics (must outlive the services).
// Thread-safety: gRPC calls handlers concurrently; everything they touch is thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include "keyward/v1/peer.grpc.pb.h"
#include "keyward/v1/vault.grpc.pb.h"
#include "node/account_token.h"
#include "node/fleet_member.h"
#include "node/metrics.h"
#include "node/rate_limiter.h"

namespace keyward::node {

class FleetVaultService final : public v1::Vault::Service {
 public:
  FleetVaultService(FleetState* state, const AppKey* app_key, RateLimiter* limiter, NodeMetrics* metrics)
      : state_(state), app_key_(app_key), limiter_(limiter), metrics_(metrics) {}

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
  template <typename Req, typename Resp, typename Exec>
  grpc::Status Serve(const char* method, grpc::ServerContext* ctx, const Req* req, Resp* resp,
                     grpc::Status (v1::Vault::Stub::*forward)(grpc::ClientContext*, const Req&, Resp*),
                     Exec&& exec);

  FleetState* const state_;
  const AppKey* const app_key_;
  RateLimiter* const limiter_;
  NodeMetrics* const metrics_;
  crypto::SystemRng rng_;  // thread-safe
};

}  // namespace keyward::node
