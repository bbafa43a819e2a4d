// CallRegistry: every call object alive on one completion-queue gRPC server (requested or being
// served), and RegisteredCall, the base that counts a call object for exactly its lifetime.
// Shared by VaultServer (vault_async.h) and FleetPeerServer (fleet_peer_server.h).
//
// Why: gRPC's Server::Shutdown does not wait for the objects of calls it cancelled, and a call that
// starts an operation on a completion queue already shut down aborts the process. So a server's
// Shutdown closes the registry (no successor is requested any more), waits until every call
// object is gone (their operations fail fast once the server is shut down), and only then shuts
// its queues down.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <utility>

namespace keyward::node {

class CallRegistry {
 public:
  // `waiting_event`: the log event written every 5 s while CloseAndWait still waits.
  explicit CallRegistry(std::string waiting_event) : waiting_event_(std::move(waiting_event)) {}

  // False once closing: the caller must not create the call object.
  bool Add() {
    std::lock_guard lock(mu_);
    if (closing_) return false;
    ++live_;
    return true;
  }
  void Remove() {
    std::lock_guard lock(mu_);
    if (--live_ == 0) gone_.notify_all();
  }
  // Closes the registry and waits until no call object is left.
  void CloseAndWait() {
    std::unique_lock lock(mu_);
    closing_ = true;
    while (!gone_.wait_for(lock, std::chrono::seconds(5), [&] { return live_ == 0; })) {
      spdlog::warn("event={} calls={}", waiting_event_, live_);
    }
  }

 private:
  const std::string waiting_event_;
  std::mutex mu_;
  std::condition_variable gone_;
  size_t live_ = 0;
  bool closing_ = false;
};

// Counts a call object in its CallRegistry for exactly its lifetime: as a base class it is
// destroyed after the object's members (the ServerContext among them). The creator has already
// counted it (CallRegistry::Add returned true).
class RegisteredCall {
 protected:
  explicit RegisteredCall(CallRegistry* calls) : calls_(calls) {}
  ~RegisteredCall() { calls_->Remove(); }
  CallRegistry* const calls_;
};

}  // namespace keyward::node
