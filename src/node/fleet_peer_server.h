// FleetPeerServer: serves a FleetPeerService (keyward.v1.Peer) on gRPC's completion-queue API, on
// the one queue and thread of a FleetPoller (fleet_poller.h) that also carries this node's
// FleetTransport streams — no sync-server or callback threads, which in gRPC 1.51 would take part
// in polling.
//
// Stream (the hot path: every peer envelope): each message read is handed to
// FleetReplica::Deliver right on the polling thread, then the next Read is started. The control
// methods answer through the async responder: Identity, Status and Deliver on the polling thread
// (cheap, never block); Init (key generation, keystore), UpdateManifest and RemoveMember (wait up
// to 5 s for the replica loop) on one worker thread of this server, so the polling thread never
// blocks.
//
// Each method keeps a few calls requested; a matched call requests its successor, is served, and
// deletes itself when gRPC reports its last operation done. Shutdown (graceful):
// Server::Shutdown(deadline) (calls in flight answered, cancelled after the deadline); it may return
// while call objects still have events queued, so no successor is requested any more and Shutdown
// waits — the poller still running — until every call object has freed itself; then the worker is
// joined. The poller is shut down by its owner afterwards.
//
// Ownership: borrows the service and the poller (both must outlive the server's Shutdown).
// Thread-safety: Shutdown is called once from one thread (the destructor calls it if not done).
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "common/status.h"
#include "keyward/v1/peer.grpc.pb.h"
#include "node/call_registry.h"
#include "node/fleet_peer_service.h"
#include "node/fleet_poller.h"

namespace keyward::node {

class FleetPeerServer {
 public:
  static constexpr int kStreamsRequested = 4;

  // Registers the Peer service on `builder` (already given its ports and options and the queue of
  // `poller`, i.e. FleetPoller(builder)), builds and starts the server. Unavailable if it does not
  // start (e.g. the port is in use).
  static StatusOr<std::unique_ptr<FleetPeerServer>> Start(grpc::ServerBuilder& builder, FleetPoller* poller,
                                                          FleetPeerService* service);
  ~FleetPeerServer();  // Shutdown(now + 5 s) if not done yet
  FleetPeerServer(const FleetPeerServer&) = delete;
  FleetPeerServer& operator=(const FleetPeerServer&) = delete;

  void Shutdown(std::chrono::system_clock::time_point deadline);

  // Internal (the call objects of fleet_peer_server.cc).
  v1::Peer::AsyncService* async() { return &async_; }
  FleetPeerService* service() const { return service_; }
  grpc::ServerCompletionQueue* cq() const { return poller_->server_cq(); }
  CallRegistry* calls() const { return calls_.get(); }
  // Runs `job` on the worker thread (handlers that may block).
  void Post(std::function<void()> job);

 private:
  FleetPeerServer() = default;
  void Work();

  FleetPeerService* service_ = nullptr;
  FleetPoller* poller_ = nullptr;
  v1::Peer::AsyncService async_;
  std::unique_ptr<CallRegistry> calls_;
  std::unique_ptr<grpc::Server> server_;
  std::mutex work_mu_;
  std::condition_variable work_cv_;
  std::deque<std::function<void()>> jobs_;
  bool work_stop_ = false;
  std::thread worker_;
  bool shut_down_ = false;
};

}  // namespace keyward::node
