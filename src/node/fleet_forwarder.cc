#include "node/fleet_forwarder.h"

#include <spdlog/spdlog.h>

namespace keyward::node {

bool FleetForwarder::ShouldForward(grpc::CallbackServerContext* ctx) {
  std::shared_ptr<FleetRuntime> rt = state_->runtime();
  if (!rt) return false;  // not a member: VaultService's host answers UNAVAILABLE
  const FleetInfo info = rt->replica->info();
  if (info.ready_leader || info.leader == raft::kNoNode || info.leader == rt->id) return false;
  // Forwarded at most once: a second hop would only chase a leadership change.
  return ctx->client_metadata().count(kForwardedKey) == 0;
}

template <typename Req, typename Resp>
grpc::ServerUnaryReactor* FleetForwarder::Relay(grpc::CallbackServerContext* ctx, const Req* req, Resp* resp,
                                                AsyncMethod<Req, Resp> method) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  std::shared_ptr<FleetRuntime> rt = state_->runtime();
  const FleetInfo info = rt ? rt->replica->info() : FleetInfo{};
  std::string leader_address;
  v1::Vault::Stub* stub = rt && info.leader != raft::kNoNode && info.leader != rt->id
                              ? rt->VaultStub(info.leader, &leader_address)
                              : nullptr;
  if (stub == nullptr) {
    reactor->Finish(grpc::Status(grpc::UNAVAILABLE, "the fleet has no leader right now (election in progress); retry"));
    return reactor;
  }
  ctx->AddTrailingMetadata(kLeaderKey, leader_address);
  // The client context must outlive the call; the runtime keeps the stub's channel alive.
  auto fwd = std::make_shared<grpc::ClientContext>();
  fwd->set_deadline(std::min(std::chrono::system_clock::now() + kForwardTimeout, ctx->deadline()));
  fwd->AddMetadata(kForwardedKey, "1");
  (stub->async()->*method)(fwd.get(), req, resp, [reactor, fwd, rt](grpc::Status s) {
    if (s.error_code() == grpc::DEADLINE_EXCEEDED) {
      s = grpc::Status(grpc::UNAVAILABLE, "the leader did not answer in time; retry");
    }
    reactor->Finish(std::move(s));
  });
  return reactor;
}

grpc::ServerUnaryReactor* FleetForwarder::RegisterStart(grpc::CallbackServerContext* ctx,
                                                        const v1::RegisterStartRequest* req,
                                                        v1::RegisterStartResponse* resp) {
  return Relay(ctx, req, resp, &v1::Vault::Stub::async::RegisterStart);
}
grpc::ServerUnaryReactor* FleetForwarder::RegisterUpload(grpc::CallbackServerContext* ctx,
                                                         const v1::RegisterUploadRequest* req,
                                                         v1::RegisterUploadResponse* resp) {
  return Relay(ctx, req, resp, &v1::Vault::Stub::async::RegisterUpload);
}
grpc::ServerUnaryReactor* FleetForwarder::RegisterActivate(grpc::CallbackServerContext* ctx,
                                                           const v1::RegisterActivateRequest* req,
                                                           v1::RegisterActivateResponse* resp) {
  return Relay(ctx, req, resp, &v1::Vault::Stub::async::RegisterActivate);
}
grpc::ServerUnaryReactor* FleetForwarder::RecoverStart(grpc::CallbackServerContext* ctx,
                                                       const v1::RecoverStartRequest* req,
                                                       v1::RecoverStartResponse* resp) {
  return Relay(ctx, req, resp, &v1::Vault::Stub::async::RecoverStart);
}
grpc::ServerUnaryReactor* FleetForwarder::RecoverFinish(grpc::CallbackServerContext* ctx,
                                                        const v1::RecoverFinishRequest* req,
                                                        v1::RecoverFinishResponse* resp) {
  return Relay(ctx, req, resp, &v1::Vault::Stub::async::RecoverFinish);
}
grpc::ServerUnaryReactor* FleetForwarder::Delete(grpc::CallbackServerContext* ctx, const v1::DeleteRequest* req,
                                                 v1::DeleteResponse* resp) {
  return Relay(ctx, req, resp, &v1::Vault::Stub::async::Delete);
}

namespace {

// The Recover stream on a member that is not the leader: finished at once (nothing is read, so
// nothing reaches a core) with UNIMPLEMENTED and, if a leader is known, its hint.
class TurnAway final : public grpc::ServerBidiReactor<v1::RecoverStreamRequest, v1::RecoverStreamResponse> {
 public:
  explicit TurnAway(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerBidiReactor<v1::RecoverStreamRequest, v1::RecoverStreamResponse>* FleetForwarder::Recover(
    grpc::CallbackServerContext* ctx) {
  std::shared_ptr<FleetRuntime> rt = state_->runtime();
  const FleetInfo info = rt ? rt->replica->info() : FleetInfo{};
  std::string leader_address;
  if (rt && info.leader != raft::kNoNode && info.leader != rt->id &&
      rt->VaultStub(info.leader, &leader_address) != nullptr) {
    ctx->AddTrailingMetadata(kLeaderKey, leader_address);
  }
  return new TurnAway(grpc::Status(grpc::UNIMPLEMENTED,
                                   "this fleet member is not the leader and does not relay the Recover stream; "
                                   "send it to the leader (trailing metadata keyward-leader: " +
                                       (leader_address.empty() ? std::string("unknown") : leader_address) +
                                       ") or use RecoverStart + RecoverFinish"));
}

}  // namespace keyward::node
