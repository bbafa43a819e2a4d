#include "node/fleet_poller.h"

#include <pthread.h>

namespace keyward::node {

FleetPoller::FleetPoller(grpc::ServerBuilder& builder) {
  std::unique_ptr<grpc::ServerCompletionQueue> cq = builder.AddCompletionQueue();
  server_cq_ = cq.get();
  cq_ = std::move(cq);
  thread_ = std::thread(&FleetPoller::Run, this);
}

FleetPoller::FleetPoller() : cq_(std::make_unique<grpc::CompletionQueue>()) {
  thread_ = std::thread(&FleetPoller::Run, this);
}

FleetPoller::~FleetPoller() { Shutdown(); }

void FleetPoller::Run() {
  pthread_setname_np(pthread_self(), "fleet_peer_io");  // by name in profiles
  void* tag = nullptr;
  bool ok = false;
  while (cq_->Next(&tag, &ok)) static_cast<Tag*>(tag)->Proceed(ok);
}

void FleetPoller::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  cq_->Shutdown();
  if (thread_.joinable()) thread_.join();
}

}  // namespace keyward::node
