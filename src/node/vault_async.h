// VaultServer: the gRPC server that serves a VaultService (vault_service.h) on gRPC's
// completion-queue ("async") API — every Vault method, the Recover stream included.
//
// Why not the callback API: on gRPC 1.51 with the posix poller, the callback API hands every
// completion from the thread that read the socket to one of its internal "nexting" threads (and a
// bidi stream's end to its executor), so each call cost thread wake-ups; and as soon as a server
// has ONE callback method those threads exist and take part in polling. Here each polling thread
// owns one server completion queue, calls Next() on it and runs the handler where the event
// arrived (the model of gRPC's own QPS benchmark servers): with LocalCoreHost a recovery is read,
// served (KE2 included) and written on one thread. One thread is the default: with two, gRPC's
// epoll1 poller hands the polling role from thread to thread on every event (a futex wake-up and a
// context switch each), which cost more CPU per recovery than it saved (docs/benchmarks.md).
//
// Each queue keeps kRequestsPerMethod calls of every method requested; a matched call first
// requests its successor, then is served (VaultService::Handle for unary calls, the same bodies
// for every call; VaultService::RecoverStream for the stream) and answers through gRPC's async
// responder, which a CoreHost callback may do from any thread (a Raft host's worker). Every call
// object deletes itself when gRPC reports its last operation (the answer, or Finish) done.
//
// Shutdown (graceful): Server::Shutdown(deadline) — new calls refused, calls in flight answered
// (cancelled after the deadline); it may return while call objects still have events to handle,
// and an operation started on a shut-down completion queue aborts the process, so next no call
// requests a successor any more and Shutdown waits (the queues still polled) until every call
// object has ended and freed itself (a call waiting for its CoreHost ends when the host answers)
// — then each completion queue is shut down and drained by its thread, and the threads joined.
//
// Ownership: borrows the service (must outlive the server; so must everything the service
// borrows). Thread-safety: Shutdown is called once, from one thread (the destructor calls it if
// not done); server() may be used concurrently.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "common/status.h"
#include "node/call_registry.h"
#include "node/vault_service.h"

namespace keyward::node {


class VaultServer {
 public:
  static constexpr int kDefaultThreads = 1;
  static constexpr int kRequestsPerMethod = 4;

  // Registers `service` on `builder` (already given its ports and options), adds one completion
  // queue per thread, builds and starts the server and the polling threads. Unavailable if the
  // server does not start (e.g. the port is in use).
  static StatusOr<std::unique_ptr<VaultServer>> Start(grpc::ServerBuilder& builder,
                                                       VaultService* service,
                                                       int threads = kDefaultThreads);
  ~VaultServer();  // Shutdown(now + 5 s) if not done yet
  VaultServer(const VaultServer&) = delete;
  VaultServer& operator=(const VaultServer&) = delete;

  grpc::Server* server() const { return server_.get(); }
  // Graceful shutdown (see the top of this file). Idempotent.
  void Shutdown(std::chrono::system_clock::time_point deadline);

 private:
  VaultServer() = default;
  static void Poll(grpc::ServerCompletionQueue* cq);
  // Shuts the completion queues down and drains them (on their threads, if started).
  void ShutdownQueues();

  std::unique_ptr<CallRegistry> calls_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::thread> threads_;
  bool shut_down_ = false;
};

}  // namespace keyward::node
