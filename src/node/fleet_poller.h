// FleetPoller: the one gRPC completion queue of a fleet member's peer I/O and the one thread that
// polls it. The Peer server's calls (fleet_peer_server.h) and the peer transport's client streams
// (fleet_transport.h) all complete on this queue, and each event is handled right on the polling
// thread (no hand-off to another thread): with gRPC 1.51's epoll1 poller, every further thread
// that polls takes turns with this one as the poller, and each turn is a futex wake-up and a
// context switch (vault_async.h has the same reasoning for the Vault service).
//
// Every tag put on the queue is a FleetPoller::Tag; Proceed(ok) is called with gRPC's `ok`.
//
// Shutdown order: every user stops starting operations and waits until its outstanding ones have
// completed (FleetPeerServer::Shutdown, FleetTransport::Stop — both need this thread running), and
// only then Shutdown() here: an operation started on a shut-down completion queue aborts the
// process.
//
// Ownership: owns the queue and the thread. Thread-safety: cq() may be used from any thread;
// Shutdown is called once from one thread (the destructor calls it if not done).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <thread>

namespace keyward::node {

class FleetPoller {
 public:
  class Tag {
   public:
    virtual void Proceed(bool ok) = 0;

   protected:
    ~Tag() = default;
  };

  // The queue of a server: added to `builder` (before BuildAndStart; it can carry client calls at
  // once) and polled from now on.
  explicit FleetPoller(grpc::ServerBuilder& builder);
  // A queue for client calls only (a transport without a Peer server of its own, e.g. in tests).
  FleetPoller();
  ~FleetPoller();
  FleetPoller(const FleetPoller&) = delete;
  FleetPoller& operator=(const FleetPoller&) = delete;

  grpc::CompletionQueue* cq() const { return cq_.get(); }
  // The same queue as a server notification queue; null for a client-only poller.
  grpc::ServerCompletionQueue* server_cq() const { return server_cq_; }
  // Shuts the queue down, drains it and joins the thread. Idempotent.
  void Shutdown();

 private:
  void Run();

  std::unique_ptr<grpc::CompletionQueue> cq_;
  grpc::ServerCompletionQueue* server_cq_ = nullptr;
  std::thread thread_;
  bool shut_down_ = false;
};

}  // namespace keyward::node
