#include "node/fleet_forwarder.h"

#include <spdlog/spdlog.h>

namespace keyward::node {
namespace {

// One relayed unary call: completes on the peer I/O queue, hands the leader's status to the
// server call (whose response object the answer was read into) and deletes itself. Keeps the
// runtime, and so the stub's channel, alive until then.
template <typename Resp>
class RelayCall final : public FleetPoller::Tag {
 public:
  RelayCall(VaultService::Forwarder::Relayed relayed, std::shared_ptr<FleetRuntime> rt)
      : relayed_(std::move(relayed)), rt_(std::move(rt)) {}

  void Proceed(bool ok) override {
    grpc::Status s = ok ? status : grpc::Status(grpc::UNAVAILABLE, "the relay to the leader failed; retry");
    if (s.error_code() == grpc::DEADLINE_EXCEEDED) {
      s = grpc::Status(grpc::UNAVAILABLE, "the leader did not answer in time; retry");
    }
    relayed_(std::move(s));
    delete this;
  }

  grpc::ClientContext ctx;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Resp>> reader;

 private:
  VaultService::Forwarder::Relayed relayed_;
  std::shared_ptr<FleetRuntime> rt_;
};

}  // namespace

bool FleetForwarder::ShouldForward(grpc::ServerContextBase* ctx) {
  std::shared_ptr<FleetRuntime> rt = state_->runtime();
  if (!rt) return false;  // not a member: VaultService's host answers UNAVAILABLE
  const FleetInfo info = rt->replica->info();
  if (info.ready_leader || info.leader == raft::kNoNode || info.leader == rt->id) return false;
  // Forwarded at most once: a second hop would only chase a leadership change.
  return ctx->client_metadata().count(kForwardedKey) == 0;
}

template <typename Req, typename Resp>
void FleetForwarder::Forward(grpc::ServerContextBase* ctx, const Req& req, Resp* resp,
                             AsyncMethod<Req, Resp> method, Relayed relayed) {
  std::shared_ptr<FleetRuntime> rt = state_->runtime();
  const FleetInfo info = rt ? rt->replica->info() : FleetInfo{};
  std::string leader_address;
  v1::Vault::Stub* stub = rt && info.leader != raft::kNoNode && info.leader != rt->id
                              ? rt->VaultStub(info.leader, &leader_address)
                              : nullptr;
  if (stub == nullptr) {
    relayed(grpc::Status(grpc::UNAVAILABLE, "the fleet has no leader right now (election in progress); retry"));
    return;
  }
  ctx->AddTrailingMetadata(kLeaderKey, leader_address);
  auto* call = new RelayCall<Resp>(std::move(relayed), std::move(rt));
  call->ctx.set_deadline(std::min(std::chrono::system_clock::now() + kForwardTimeout, ctx->deadline()));
  call->ctx.AddMetadata(kForwardedKey, "1");
  call->reader = (stub->*method)(&call->ctx, req, poller_->cq());
  call->reader->Finish(resp, &call->status, call);
}

void FleetForwarder::Relay(grpc::ServerContextBase* ctx, const v1::RegisterStartRequest& req,
                           v1::RegisterStartResponse* resp, Relayed relayed) {
  Forward(ctx, req, resp, &v1::Vault::Stub::AsyncRegisterStart, std::move(relayed));
}
void FleetForwarder::Relay(grpc::ServerContextBase* ctx, const v1::RegisterUploadRequest& req,
                           v1::RegisterUploadResponse* resp, Relayed relayed) {
  Forward(ctx, req, resp, &v1::Vault::Stub::AsyncRegisterUpload, std::move(relayed));
}
void FleetForwarder::Relay(grpc::ServerContextBase* ctx, const v1::RegisterActivateRequest& req,
                           v1::RegisterActivateResponse* resp, Relayed relayed) {
  Forward(ctx, req, resp, &v1::Vault::Stub::AsyncRegisterActivate, std::move(relayed));
}
void FleetForwarder::Relay(grpc::ServerContextBase* ctx, const v1::RecoverStartRequest& req,
                           v1::RecoverStartResponse* resp, Relayed relayed) {
  Forward(ctx, req, resp, &v1::Vault::Stub::AsyncRecoverStart, std::move(relayed));
}
void FleetForwarder::Relay(grpc::ServerContextBase* ctx, const v1::RecoverFinishRequest& req,
                           v1::RecoverFinishResponse* resp, Relayed relayed) {
  Forward(ctx, req, resp, &v1::Vault::Stub::AsyncRecoverFinish, std::move(relayed));
}
void FleetForwarder::Relay(grpc::ServerContextBase* ctx, const v1::DeleteRequest& req,
                           v1::DeleteResponse* resp, Relayed relayed) {
  Forward(ctx, req, resp, &v1::Vault::Stub::AsyncDelete, std::move(relayed));
}

// The Recover stream on a member that is not the leader: finished at once (nothing is read, so
// nothing reaches a core) with UNIMPLEMENTED and, if a leader is known, its hint.
grpc::Status FleetForwarder::TurnAwayStream(grpc::ServerContextBase* ctx) {
  std::shared_ptr<FleetRuntime> rt = state_->runtime();
  const FleetInfo info = rt ? rt->replica->info() : FleetInfo{};
  std::string leader_address;
  if (rt && info.leader != raft::kNoNode && info.leader != rt->id &&
      rt->VaultStub(info.leader, &leader_address) != nullptr) {
    ctx->AddTrailingMetadata(kLeaderKey, leader_address);
  }
  return grpc::Status(grpc::UNIMPLEMENTED,
                      "this fleet member is not the leader and does not relay the Recover stream; "
                      "send it to the leader (trailing metadata keyward-leader: " +
                          (leader_address.empty() ? std::string("unknown") : leader_address) +
                          ") or use RecoverStart + RecoverFinish");
}

}  // namespace keyward::node
