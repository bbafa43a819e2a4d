#include "node/fleet_peer_server.h"

#include <spdlog/spdlog.h>

namespace keyward::node {

namespace {

// A call object of this server, counted in its CallRegistry for exactly its lifetime.
class Counted : public RegisteredCall {
 protected:
  explicit Counted(FleetPeerServer* server) : RegisteredCall(server->calls()), server_(server) {}
  FleetPeerServer* const server_;
};

// One requested (then served) call of a unary method: requests its successor when matched, runs
// the FleetPeerService handler (here or on the worker), answers and deletes itself once the answer
// is sent (or the request was cancelled at shutdown).
template <typename Req, typename Resp>
class UnaryCall final : public Counted, public FleetPoller::Tag {
 public:
  using RequestFn = void (v1::Peer::AsyncService::*)(grpc::ServerContext*, Req*, grpc::ServerAsyncResponseWriter<Resp>*,
                                                     grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*);
  using HandleFn = grpc::Status (FleetPeerService::*)(grpc::ServerContext*, const Req*, Resp*);

  static void Request(FleetPeerServer* server, RequestFn request, HandleFn handle, bool blocking) {
    if (server->calls()->Add()) new UnaryCall(server, request, handle, blocking);
  }

  void Proceed(bool ok) override {
    if (matched_ || !ok) {  // answered (or failed), or the request was cancelled
      delete this;
      return;
    }
    matched_ = true;
    Request(server_, request_, handle_, blocking_);
    if (blocking_) {
      server_->Post([this] { Serve(); });
    } else {
      Serve();
    }
  }

 private:
  UnaryCall(FleetPeerServer* server, RequestFn request, HandleFn handle, bool blocking)
      : Counted(server), request_(request), handle_(handle), blocking_(blocking) {
    (server_->async()->*request_)(&ctx_, &req_, &responder_, server_->cq(), server_->cq(), this);
  }
  void Serve() {
    grpc::Status status = (server_->service()->*handle_)(&ctx_, &req_, &resp_);
    responder_.Finish(resp_, status, this);
  }

  const RequestFn request_;
  const HandleFn handle_;
  const bool blocking_;
  bool matched_ = false;
  grpc::ServerContext ctx_;
  Req req_;
  Resp resp_;
  grpc::ServerAsyncResponseWriter<Resp> responder_{&ctx_};
};

// One Peer.Stream call: Read → FleetReplica::Deliver → Read ... until the sender ends the stream
// (or it breaks), then Finish; deletes itself when Finish completes.
class StreamCall final : public Counted, public FleetPoller::Tag {
 public:
  static void Request(FleetPeerServer* server) {
    if (server->calls()->Add()) new StreamCall(server);
  }

  void Proceed(bool ok) override {
    switch (step_) {
      case Step::kRequested:
        if (!ok) {  // cancelled at shutdown
          delete this;
          return;
        }
        Request(server_);
        step_ = Step::kReading;
        reader_.Read(&frames_, this);
        return;
      case Step::kReading: {
        if (!ok) {  // the sender closed the stream (renewal) or it broke
          step_ = Step::kDone;
          reader_.Finish(ack_, grpc::Status::OK, this);
          return;
        }
        grpc::Status delivered = server_->service()->Accept(frames_);
        if (!delivered.ok()) {
          step_ = Step::kDone;
          reader_.FinishWithError(delivered, this);
          return;
        }
        reader_.Read(&frames_, this);
        return;
      }
      case Step::kDone:
        delete this;
        return;
    }
  }

 private:
  enum class Step { kRequested, kReading, kDone };
  explicit StreamCall(FleetPeerServer* server) : Counted(server) {
    server_->async()->RequestStream(&ctx_, &reader_, server_->cq(), server_->cq(), this);
  }

  Step step_ = Step::kRequested;
  grpc::ServerContext ctx_;
  grpc::ServerAsyncReader<v1::PeerAck, v1::PeerFrames> reader_{&ctx_};
  v1::PeerFrames frames_;
  v1::PeerAck ack_;
};

template <typename Req, typename Resp>
void RequestUnary(FleetPeerServer* server, typename UnaryCall<Req, Resp>::RequestFn request,
                  typename UnaryCall<Req, Resp>::HandleFn handle, bool blocking) {
  for (int i = 0; i < 2; ++i) UnaryCall<Req, Resp>::Request(server, request, handle, blocking);
}

}  // namespace

StatusOr<std::unique_ptr<FleetPeerServer>> FleetPeerServer::Start(grpc::ServerBuilder& builder, FleetPoller* poller,
                                                                  FleetPeerService* service) {
  std::unique_ptr<FleetPeerServer> s(new FleetPeerServer);
  s->service_ = service;
  s->poller_ = poller;
  s->calls_ = std::make_unique<CallRegistry>("peer_shutdown_waiting");
  builder.RegisterService(&s->async_);
  s->server_ = builder.BuildAndStart();
  if (!s->server_) {
    s->shut_down_ = true;
    return Unavailable("the gRPC peer server did not start (is the port in use? pick another --peer-listen)");
  }
  s->worker_ = std::thread(&FleetPeerServer::Work, s.get());
  FleetPeerServer* p = s.get();
  using A = v1::Peer::AsyncService;
  using S = FleetPeerService;
  for (int i = 0; i < kStreamsRequested; ++i) StreamCall::Request(p);
  RequestUnary<v1::PeerFrames, v1::PeerAck>(p, &A::RequestDeliver, &S::Deliver, false);
  RequestUnary<v1::IdentityRequest, v1::IdentityResponse>(p, &A::RequestIdentity, &S::Identity, false);
  RequestUnary<v1::FleetStatusRequest, v1::FleetStatusResponse>(p, &A::RequestStatus, &S::Status, false);
  RequestUnary<v1::InitRequest, v1::InitResponse>(p, &A::RequestInit, &S::Init, true);
  RequestUnary<v1::UpdateManifestRequest, v1::UpdateManifestResponse>(p, &A::RequestUpdateManifest,
                                                                      &S::UpdateManifest, true);
  RequestUnary<v1::RemoveMemberRequest, v1::RemoveMemberResponse>(p, &A::RequestRemoveMember, &S::RemoveMember,
                                                                  true);
  return s;
}

void FleetPeerServer::Post(std::function<void()> job) {
  {
    std::lock_guard lock(work_mu_);
    jobs_.push_back(std::move(job));
  }
  work_cv_.notify_one();
}

void FleetPeerServer::Work() {
  std::unique_lock lock(work_mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return work_stop_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, nothing left
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

void FleetPeerServer::Shutdown(std::chrono::system_clock::time_point deadline) {
  if (shut_down_) return;
  shut_down_ = true;
  server_->Shutdown(deadline);
  calls_->CloseAndWait();  // the poller still runs: every call ends and frees itself (jobs answered)
  {
    std::lock_guard lock(work_mu_);
    work_stop_ = true;
  }
  work_cv_.notify_all();
  worker_.join();
}

FleetPeerServer::~FleetPeerServer() { Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5)); }

}  // namespace keyward::node
