// FleetForwarder: how a fleet member that is not the leader serves a client ("any node accepts
// requests and forwards them to the leader", docs/replication.md). VaultService asks
// ShouldForward for every call; when true, the call is relayed unchanged to the leader's client
// address on gRPC's completion-queue client API — the relay completes on the member's peer I/O
// queue (FleetPoller), so no thread waits for the leader and no callback-API threads exist (gRPC
// 1.51 starts its "nexting" threads on the first callback call, and they then take part in polling
// for the life of the process: vault_async.h) — and the leader's answer (status, response, and so
// its inline bundle) goes back to the client. The OPAQUE messages are end
// to end, so the untrusted forwarder learns nothing it could not see anyway, and the leader
// checks the credential and applies its rate limit itself.
//
// A relayed call carries metadata `keyward-forwarded: 1` and is never forwarded again (a follower
// that gets one serves it, i.e. answers UNAVAILABLE: leadership moved meanwhile, the client
// retries); it has a deadline of at most kForwardTimeout (less if the client's is shorter).
//
// Leader hint: every call a member relays, and every Recover stream it turns away, carries the
// trailing metadata `keyward-leader: HOST:PORT`, the leader's client address from the fleet
// manifest. The SDK (include/keyward/client.h) then sends later calls straight to the leader,
// which saves the relay hop and its CPU; clients that ignore the hint keep being relayed. The
// hint is not trusted for anything but routing: the OPAQUE messages are end to end and the fleet
// key is checked against the client's trust policy wherever the call lands.
//
// The Recover stream (vault.proto) is not relayed: a member that is not the leader answers it
// UNIMPLEMENTED (before reading anything, so no guess was counted) with the hint; the SDK re-opens
// the stream at the leader, and clients without hint support fall back to RecoverStart +
// RecoverFinish, which are relayed.
//
// Ownership: borrows the FleetState and the poller (both must outlive the forwarder; shut the Vault
// server down first: it waits for every call, so for every relay, before it returns).
// Thread-safety: gRPC calls every method concurrently.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>

#include "keyward/v1/vault.grpc.pb.h"
#include "node/fleet_member.h"
#include "node/fleet_poller.h"
#include "node/vault_service.h"

namespace keyward::node {

class FleetForwarder final : public VaultService::Forwarder {
 public:
  static constexpr char kForwardedKey[] = "keyward-forwarded";
  static constexpr char kLeaderKey[] = "keyward-leader";
  static constexpr std::chrono::seconds kForwardTimeout{6};

  FleetForwarder(FleetState* state, FleetPoller* poller) : state_(state), poller_(poller) {}

  bool ShouldForward(grpc::ServerContextBase* ctx) override;

  void Relay(grpc::ServerContextBase* ctx, const v1::RegisterStartRequest& req,
             v1::RegisterStartResponse* resp, Relayed relayed) override;
  void Relay(grpc::ServerContextBase* ctx, const v1::RegisterUploadRequest& req,
             v1::RegisterUploadResponse* resp, Relayed relayed) override;
  void Relay(grpc::ServerContextBase* ctx, const v1::RegisterActivateRequest& req,
             v1::RegisterActivateResponse* resp, Relayed relayed) override;
  void Relay(grpc::ServerContextBase* ctx, const v1::RecoverStartRequest& req,
             v1::RecoverStartResponse* resp, Relayed relayed) override;
  void Relay(grpc::ServerContextBase* ctx, const v1::RecoverFinishRequest& req,
             v1::RecoverFinishResponse* resp, Relayed relayed) override;
  void Relay(grpc::ServerContextBase* ctx, const v1::DeleteRequest& req, v1::DeleteResponse* resp,
             Relayed relayed) override;
  // Turned away: UNIMPLEMENTED with the leader hint (see above).
  grpc::Status TurnAwayStream(grpc::ServerContextBase* ctx) override;

 private:
  template <typename Req, typename Resp>
  using AsyncMethod = std::unique_ptr<grpc::ClientAsyncResponseReader<Resp>> (v1::Vault::Stub::*)(
      grpc::ClientContext*, const Req&, grpc::CompletionQueue*);
  template <typename Req, typename Resp>
  void Forward(grpc::ServerContextBase* ctx, const Req& req, Resp* resp,
               AsyncMethod<Req, Resp> method, Relayed relayed);

  FleetState* const state_;
  FleetPoller* const poller_;
};

}  // namespace keyward::node
