#include "node/fleet_peer_service.h"

#include <spdlog/spdlog.h>

#include "node/vault_service.h"

namespace keyward::node {
namespace {

std::string Str(ByteSpan b) { return std::string(AsChars(b)); }

}  // namespace

grpc::Status FleetPeerService::Deliver(grpc::ServerContext*, const v1::PeerFrames* req, v1::PeerAck*) {
  return Accept(*req);
}

grpc::Status FleetPeerService::Accept(const v1::PeerFrames& frames) {
  std::shared_ptr<FleetRuntime> rt = state_->runtime();
  if (!rt) return grpc::Status(grpc::UNAVAILABLE, "not a fleet member yet");
  std::vector<Bytes> batch;
  batch.reserve(static_cast<size_t>(frames.frames_size()));
  for (const std::string& f : frames.frames()) batch.push_back(ToBytes(f));
  rt->replica->Deliver(std::move(batch));  // one wake-up of the replica loop per message
  return grpc::Status::OK;
}

grpc::Status FleetPeerService::Stream(grpc::ServerContext*, grpc::ServerReader<v1::PeerFrames>* reader, v1::PeerAck*) {
  v1::PeerFrames frames;
  while (reader->Read(&frames)) {
    if (grpc::Status s = Accept(frames); !s.ok()) return s;
  }
  return grpc::Status::OK;
}

grpc::Status FleetPeerService::Identity(grpc::ServerContext*, const v1::IdentityRequest*,
                                        v1::IdentityResponse* resp) {
  resp->set_kx_public_key(Str(state_->kx_public_key()));
  resp->set_sign_public_key(Str(state_->sign_public_key()));
  resp->set_initialized(state_->runtime() != nullptr);
  resp->set_client_address(state_->client_address());
  resp->set_peer_address(state_->peer_address());
  return grpc::Status::OK;
}

grpc::Status FleetPeerService::Init(grpc::ServerContext*, const v1::InitRequest* req, v1::InitResponse* resp) {
  keyward::Status s = state_->Join(*req, resp);
  if (!s.ok()) spdlog::warn("event=fleet_init_refused reason=\"{}\"", s.message());
  return ToGrpcStatus(s);
}

grpc::Status FleetPeerService::Status(grpc::ServerContext*, const v1::FleetStatusRequest*,
                                      v1::FleetStatusResponse* resp) {
  std::shared_ptr<FleetRuntime> rt = state_->runtime();
  if (!rt) {
    resp->set_role("uninitialized");
    return grpc::Status::OK;
  }
  FleetInfo i = rt->replica->info();
  resp->set_id(rt->id);
  resp->set_role(raft::RoleName(i.role));
  resp->set_term(i.term);
  resp->set_leader(i.leader);
  resp->set_commit_index(i.commit_index);
  resp->set_applied_index(i.applied_index);
  resp->set_voters(i.voters);
  resp->set_self_voter(i.self_voter);
  resp->set_incarnation(i.incarnation);
  resp->set_ready_leader(i.ready_leader);
  resp->set_entries_proposed(i.entries_proposed);
  resp->set_commands_proposed(i.commands_proposed);
  resp->set_fleet_public_key(Str(rt->core->fleet_public_key()));
  resp->set_manifest(Str(rt->Manifest().Encode()));
  return grpc::Status::OK;
}

grpc::Status FleetPeerService::UpdateManifest(grpc::ServerContext*, const v1::UpdateManifestRequest* req,
                                              v1::UpdateManifestResponse* resp) {
  keyward::Status s = state_->UpdateManifest(*req, resp);
  if (!s.ok()) spdlog::warn("event=fleet_manifest_update_refused reason=\"{}\"", s.message());
  return ToGrpcStatus(s);
}

grpc::Status FleetPeerService::RemoveMember(grpc::ServerContext*, const v1::RemoveMemberRequest* req,
                                            v1::RemoveMemberResponse* resp) {
  std::shared_ptr<FleetRuntime> rt = state_->runtime();
  if (!rt) return grpc::Status(grpc::FAILED_PRECONDITION, "not a fleet member yet");
  uint32_t target = req->member_id();
  if (target == rt->id) {
    return grpc::Status(grpc::INVALID_ARGUMENT, "a member cannot remove itself; ask another member's host");
  }
  FleetManifest manifest = rt->Manifest();
  uint32_t voters = 0;
  keyward::Status s = rt->replica->RunOnLoop(
      [&](raft::Raft& r, raft::PeerChannel&) -> keyward::Status {
        if (r.role() != raft::Role::kLeader) {
          const FleetMember* l = manifest.Find(r.leader());
          return FailedPrecondition("not the leader; the leader is member " + std::to_string(r.leader()) +
                                    (l != nullptr ? " at " + l->peer_address : std::string(" (unknown)")));
        }
        if (keyward::Status removed = r.Remove(target); !removed.ok()) return removed;
        voters = static_cast<uint32_t>(r.config().VoterCount());
        return keyward::Status::Ok();
      },
      std::chrono::seconds(5));
  if (!s.ok()) return ToGrpcStatus(s);
  spdlog::info("event=fleet_member_removed member={} voters={}", target, voters);
  resp->set_voters(voters);
  return grpc::Status::OK;
}

}  // namespace keyward::node
