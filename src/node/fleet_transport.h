// FleetTransport: the untrusted host's peer links (keyward.v1.Peer.Stream over gRPC, host to host),
// on gRPC's completion-queue API: no thread of its own. Each link keeps one long-lived client
// stream to its peer (no call set-up per batch; renewed every 30 s, deadline 35 s) with at most
// one operation outstanding; everything queued while a write is in flight goes out as the next
// message (batching, up to 8 MiB a message). The operations complete on a FleetPoller's queue —
// on a node the Peer server's, so one thread receives the peers' envelopes and sends this node's.
//
// Send (the replica loop) only queues the envelope; if the link is idle (no operation in flight
// and no wake-up pending) it wakes the polling thread with a grpc::Alarm set to a past deadline,
// which then starts the stream if needed and writes. Envelopes are sealed by the core
// (PeerChannel); the transport may lose them (queue over 64 MiB, a broken stream: its frames are
// dropped and the next batch opens a new stream) — Raft retransmits.
//
// Ownership: borrows the poller (must outlive the transport's Stop), or owns one of its own.
// Thread-safety: Send and AddPeer are called from one thread (the replica loop); Stop from any
// thread once that one no longer calls (the replica stopped): it cancels the streams and waits
// until every link is idle and every call is freed, which needs the poller's thread running.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>

#include "common/bytes.h"
#include "core/raft/types.h"
#include "keyward/v1/peer.grpc.pb.h"
#include "node/fleet_poller.h"

namespace keyward::node {

class FleetTransport {
 public:
  // `peers`: id -> peer address (HOST:PORT) of every other member. `poller`: the queue the calls
  // complete on (a node's Peer server poller); null: the transport makes a client-only one.
  explicit FleetTransport(const std::map<raft::NodeId, std::string>& peers, FleetPoller* poller = nullptr);
  ~FleetTransport();  // Stop()
  FleetTransport(const FleetTransport&) = delete;
  FleetTransport& operator=(const FleetTransport&) = delete;

  void Send(raft::NodeId to, Bytes envelope);
  // A member added to the manifest later (`keyward fleet add`); no-op for a known id. Must be called
  // from the thread that calls Send (the replica loop), before Stop.
  void AddPeer(raft::NodeId id, const std::string& address);
  // Refuses further sends, cancels the open streams (pending writes fail; their frames are lost)
  // and waits until no link has an operation in flight. Idempotent.
  void Stop();

 private:
  class Link;  // fleet_transport.cc
  std::unique_ptr<FleetPoller> own_poller_;
  FleetPoller* poller_;
  std::map<raft::NodeId, std::unique_ptr<Link>> links_;
};

}  // namespace keyward::node
