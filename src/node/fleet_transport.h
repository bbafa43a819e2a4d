// FleetTransport: the untrusted host's peer links (keyward.v1.Peer.Stream over gRPC, host to host).
// One sender thread per peer drains that peer's queue and writes everything queued as one message
// on a long-lived client stream (no call set-up per batch; renewed every 30 s), so envelopes that
// pile up during a write travel together (batching). Envelopes are sealed by
// the core (PeerChannel); the transport may lose them (full queue, failed call) — Raft retransmits.
//
// Thread-safety: Send may be called from any thread; Stop joins the sender threads.
#pragma once

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/bytes.h"
#include "core/raft/types.h"
#include "keyward/v1/peer.grpc.pb.h"

namespace keyward::node {

class FleetTransport {
 public:
  // `peers`: id -> peer address (HOST:PORT) of every other member.
  explicit FleetTransport(const std::map<raft::NodeId, std::string>& peers);
  ~FleetTransport();
  FleetTransport(const FleetTransport&) = delete;
  FleetTransport& operator=(const FleetTransport&) = delete;

  void Send(raft::NodeId to, Bytes envelope);
  // A member added to the manifest later (`keyward fleet add`); no-op for a known id. Must be called
  // from the thread that calls Send (the replica loop), before Stop.
  void AddPeer(raft::NodeId id, const std::string& address);
  void Stop();

 private:
  struct Link {
    std::unique_ptr<v1::Peer::Stub> stub;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Bytes> queue;
    size_t queued_bytes = 0;
    bool stop = false;
    grpc::ClientContext* stream_ctx = nullptr;  // the open stream's, for Stop's TryCancel
    std::thread thread;
  };
  void Run(Link& link);
  std::map<raft::NodeId, std::unique_ptr<Link>> links_;
};

}  // namespace keyward::node
