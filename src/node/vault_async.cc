#include "node/vault_async.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace keyward::node {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

// What a completion-queue tag is: VaultServer's threads hand every event to its Proceed.
class AsyncTag {
 public:
  virtual void Proceed(bool ok) = 0;

 protected:
  ~AsyncTag() = default;
};

namespace {

// One requested (then served) call of a unary method: requests its successor when matched, is
// served through VaultService::Handle, answers through Reply and deletes itself once gRPC reports
// the answer sent (or the request cancelled at shutdown).
template <typename Req, typename Resp>
class AsyncUnary final : public RegisteredCall, public AsyncTag, public VaultService::AsyncReply {
 public:
  using RequestFn = void (VaultService::*)(grpc::ServerContext*, Req*,
                                           grpc::ServerAsyncResponseWriter<Resp>*,
                                           grpc::CompletionQueue*, grpc::ServerCompletionQueue*,
                                           void*);

  // Requests the next call of `request`'s method on `cq`, if the registry still takes calls.
  static void Request(VaultService* service, CallRegistry* calls, grpc::ServerCompletionQueue* cq,
                      RequestFn request, const char* method) {
    if (calls->Add()) new AsyncUnary(service, calls, cq, request, method);
  }

  void Proceed(bool ok) override {
    if (matched_ || !ok) {  // the answer is sent (or failed), or the request was cancelled
      delete this;
      return;
    }
    matched_ = true;
    Request(service_, calls_, cq_, request_, method_);  // keeps the method requested on this queue
    service_->Handle(&ctx_, this, method_, req_, &resp_);
  }

  void Reply(const grpc::Status& status) override { responder_.Finish(resp_, status, this); }

 private:
  AsyncUnary(VaultService* service, CallRegistry* calls, grpc::ServerCompletionQueue* cq,
             RequestFn request, const char* method)
      : RegisteredCall(calls), service_(service), cq_(cq), request_(request), method_(method) {
    (service_->*request_)(&ctx_, &req_, &responder_, cq_, cq_, this);
  }

  VaultService* const service_;
  grpc::ServerCompletionQueue* const cq_;
  const RequestFn request_;
  const char* const method_;
  bool matched_ = false;
  grpc::ServerContext ctx_;
  Req req_;
  Resp resp_;
  grpc::ServerAsyncResponseWriter<Resp> responder_{&ctx_};
};

}  // namespace

// The Recover stream (vault.proto RecoverStreamRequest): read `start` → RecoverStart through the
// host → write KE2 → read `finish` → RecoverFinish through the host → write the result and
// finish. At most one operation (a read, a write, or a host call) is outstanding at any time, so
// the steps never overlap and one tag (the object) serves them all; the host's `done` may run on
// any thread (a Raft host's apply thread or worker) and only starts the next gRPC operation. The
// object deletes itself when its Finish completes, which is always its last operation, so a
// `done` that arrives after the client cancelled still finds it alive (its write then fails and
// the stream finishes).
class VaultService::RecoverStream final : public RegisteredCall, public AsyncTag {
 public:
  // Requests the next Recover stream on `cq`, if the registry still takes calls.
  static void Request(VaultService* service, CallRegistry* calls, grpc::ServerCompletionQueue* cq) {
    if (calls->Add()) new RecoverStream(service, calls, cq);
  }

  void Proceed(bool ok) override {
    switch (step_) {
      case Step::kRequested:
        if (!ok) {  // cancelled at shutdown
          delete this;
          return;
        }
        Request(service_, calls_, cq_);  // keeps the method requested on this queue
        return OnCall();
      case Step::kReadStart:
        if (!ok) {
          return End(InvalidArgument("the Recover stream ended before its start message (KE1)"));
        }
        return OnStart();
      case Step::kWritingKe2:
        if (!ok) return End(Unavailable("the Recover stream broke while sending KE2"));
        step_ = Step::kReadFinish;
        stream_.Read(&request_, this);
        return;
      case Step::kReadFinish:
        if (!ok) {
          return End(InvalidArgument("the Recover stream ended before its finish message (KE3)"));
        }
        return OnFinish();
      case Step::kDone:  // Finish completed: nothing of this stream is outstanding any more
        delete this;
        return;
      case Step::kStarting:
      case Step::kFinishing:
        break;  // no gRPC operation is outstanding in these steps
    }
    spdlog::error("event=recover_stream_bug step={}", static_cast<int>(step_));
  }

 private:
  enum class Step {
    kRequested,
    kReadStart,
    kStarting,
    kWritingKe2,
    kReadFinish,
    kFinishing,
    kDone
  };
  static constexpr const char* kMethod = "Recover";

  void OnCall() {
    start_ = Clock::now();
    // A fleet member's forwarder does not relay the stream: it is turned away before anything is
    // read (no guess counted), and the SDK re-opens it at the leader or falls back to unary calls.
    if (service_->forwarder_ != nullptr && service_->forwarder_->ShouldForward(&ctx_)) {
      step_ = Step::kDone;
      stream_.Finish(service_->forwarder_->TurnAwayStream(&ctx_), this);
      return;
    }
    // The deadline is what bounds the stream's life (gRPC cancels it on the server when it
    // passes), so an unbounded one is refused before anything is read.
    if (ctx_.deadline() - std::chrono::system_clock::now() > kMaxRecoverStreamDeadline) {
      return End(InvalidArgument("the Recover stream needs a deadline of at most " +
                                 std::to_string(kMaxRecoverStreamDeadline.count()) +
                                 " s (set one on the call)"));
    }
    step_ = Step::kReadStart;
    stream_.Read(&request_, this);
  }

  void OnStart() {
    if (request_.step_case() != v1::RecoverStreamRequest::kStart) {
      return End(InvalidArgument(
          "the first Recover stream message must be `start` (RecoverStartRequest with KE1)"));
    }
    const v1::RecoverStartRequest& req = request_.start();
    service_->AttachBundle(req, response_.mutable_start());
    StatusOr<Caller> caller = service_->CheckRecoverStart(req, kMethod);
    if (!caller.ok()) return End(caller.status());
    user_id_ = std::move(caller->user_id);
    step_ = Step::kStarting;
    service_->host_->RecoverStart(user_id_, ToBytes(req.ke1()),
                                  [this](StatusOr<core::RecoverStartResult> r) {
                                    if (!r.ok()) return End(r.status());
                                    v1::RecoverStartResponse* resp = response_.mutable_start();
                                    resp->set_ke2(std::string(AsChars(r->ke2)));
                                    resp->set_login_state(std::string(AsChars(r->login_state)));
                                    login_state_ = std::move(r->login_state);
                                    step_ = Step::kWritingKe2;
                                    stream_.Write(response_, this);
                                  });
  }

  void OnFinish() {
    if (request_.step_case() != v1::RecoverStreamRequest::kFinish) {
      return End(InvalidArgument(
          "the second Recover stream message must be `finish` (RecoverStreamFinish with KE3)"));
    }
    step_ = Step::kFinishing;
    service_->host_->RecoverFinish(
        user_id_, std::move(login_state_), ToBytes(request_.finish().ke3()),
        [this](StatusOr<core::RecoverFinishResult> r) {
          if (!r.ok()) return End(r.status());
          response_.Clear();
          service_->AnswerRecoverFinish(user_id_, *r, response_.mutable_finish());
          step_ = Step::kDone;
          stream_.WriteAndFinish(response_, grpc::WriteOptions(),
                                 service_->Settle(kMethod, start_, Status::Ok()), this);
        });
  }

  // Ends the stream with `status` (nothing more is read or written).
  void End(const Status& status) {
    step_ = Step::kDone;
    stream_.Finish(service_->Settle(kMethod, start_, status), this);
  }

  RecoverStream(VaultService* service, CallRegistry* calls, grpc::ServerCompletionQueue* cq)
      : RegisteredCall(calls), service_(service), cq_(cq) {
    service_->RequestRecover(&ctx_, &stream_, cq_, cq_, this);
  }

  VaultService* const service_;
  grpc::ServerCompletionQueue* const cq_;
  Clock::time_point start_;
  Step step_ = Step::kRequested;
  grpc::ServerContext ctx_;
  grpc::ServerAsyncReaderWriter<v1::RecoverStreamResponse, v1::RecoverStreamRequest> stream_{&ctx_};
  v1::RecoverStreamRequest request_;
  v1::RecoverStreamResponse response_;
  Bytes user_id_;
  Bytes login_state_;
};

namespace {

template <typename Req, typename Resp>
void RequestUnary(VaultService* service, CallRegistry* calls, grpc::ServerCompletionQueue* cq,
                  typename AsyncUnary<Req, Resp>::RequestFn request, const char* method) {
  for (int i = 0; i < VaultServer::kRequestsPerMethod; ++i) {
    AsyncUnary<Req, Resp>::Request(service, calls, cq, request, method);
  }
}

}  // namespace

StatusOr<std::unique_ptr<VaultServer>> VaultServer::Start(grpc::ServerBuilder& builder,
                                                           VaultService* service, int threads) {
  std::unique_ptr<VaultServer> s(new VaultServer);
  s->calls_ = std::make_unique<CallRegistry>("shutdown_waiting");
  builder.RegisterService(service);
  for (int i = 0; i < std::max(threads, 1); ++i) s->queues_.push_back(builder.AddCompletionQueue());
  s->server_ = builder.BuildAndStart();
  if (!s->server_) {
    s->ShutdownQueues();
    s->shut_down_ = true;
    return Unavailable("the gRPC server did not start (is the port in use? pick another --listen)");
  }
  CallRegistry* calls = s->calls_.get();
  for (auto& q : s->queues_) {
    grpc::ServerCompletionQueue* cq = q.get();
    using V = VaultService;
    namespace p = v1;
    RequestUnary<p::RegisterStartRequest, p::RegisterStartResponse>(
        service, calls, cq, &V::RequestRegisterStart, "RegisterStart");
    RequestUnary<p::RegisterUploadRequest, p::RegisterUploadResponse>(
        service, calls, cq, &V::RequestRegisterUpload, "RegisterUpload");
    RequestUnary<p::RegisterActivateRequest, p::RegisterActivateResponse>(
        service, calls, cq, &V::RequestRegisterActivate, "RegisterActivate");
    RequestUnary<p::RecoverStartRequest, p::RecoverStartResponse>(
        service, calls, cq, &V::RequestRecoverStart, "RecoverStart");
    RequestUnary<p::RecoverFinishRequest, p::RecoverFinishResponse>(
        service, calls, cq, &V::RequestRecoverFinish, "RecoverFinish");
    RequestUnary<p::DeleteRequest, p::DeleteResponse>(service, calls, cq, &V::RequestDelete,
                                                      "Delete");
    for (int i = 0; i < kRequestsPerMethod; ++i) {
      VaultService::RecoverStream::Request(service, calls, cq);
    }
  }
  for (auto& q : s->queues_) s->threads_.emplace_back(&VaultServer::Poll, q.get());
  return s;
}

void VaultServer::Poll(grpc::ServerCompletionQueue* cq) {
  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) static_cast<AsyncTag*>(tag)->Proceed(ok);
}

void VaultServer::ShutdownQueues() {
  for (auto& cq : queues_) cq->Shutdown();
  if (threads_.empty()) {  // never started: drain here
    for (auto& cq : queues_) Poll(cq.get());
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void VaultServer::Shutdown(std::chrono::system_clock::time_point deadline) {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_) {
    server_->Shutdown(deadline);
    calls_->CloseAndWait();  // the queues polled meanwhile: every call object ends and frees itself
  }
  ShutdownQueues();
}

VaultServer::~VaultServer() {
  Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

}  // namespace keyward::node
