// FleetPeerService (keyward.v1.Peer): the host-to-host face of a fleet member: sealed core
// envelopes in (Deliver), the member's identity, fleet creation (Init), status, and the operator's
// membership calls (UpdateManifest for `keyward fleet add`, RemoveMember for `keyward fleet remove`).
//
// A node serves it on the completion-queue API through FleetPeerServer (fleet_peer_server.h), which
// calls these handlers; it is still a sync grpc::Service too (tests may register it directly).
//
// Ownership: borrows the FleetState (must outlive the service).
// Thread-safety: handlers may run concurrently; FleetState is thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include "keyward/v1/peer.grpc.pb.h"
#include "node/fleet_member.h"

namespace keyward::node {

class FleetPeerService final : public v1::Peer::Service {
 public:
  explicit FleetPeerService(FleetState* state) : state_(state) {}
  grpc::Status Deliver(grpc::ServerContext*, const v1::PeerFrames*, v1::PeerAck*) override;
  // Deliver's frames on one long-lived stream per sending member (fleet_transport.h).
  grpc::Status Stream(grpc::ServerContext*, grpc::ServerReader<v1::PeerFrames>*, v1::PeerAck*) override;
  grpc::Status Identity(grpc::ServerContext*, const v1::IdentityRequest*, v1::IdentityResponse*) override;
  grpc::Status Init(grpc::ServerContext*, const v1::InitRequest*, v1::InitResponse*) override;
  grpc::Status Status(grpc::ServerContext*, const v1::FleetStatusRequest*, v1::FleetStatusResponse*) override;
  grpc::Status UpdateManifest(grpc::ServerContext*, const v1::UpdateManifestRequest*,
                              v1::UpdateManifestResponse*) override;
  grpc::Status RemoveMember(grpc::ServerContext*, const v1::RemoveMemberRequest*, v1::RemoveMemberResponse*) override;
  // One Stream message: its frames to FleetReplica::Deliver (one lock and one wake-up of the
  // replica loop); kUnavailable before the node has joined a fleet. Never blocks.
  grpc::Status Accept(const v1::PeerFrames& frames);

 private:
  FleetState* const state_;
};

}  // namespace keyward::node
