#include "node/fleet_transport.h"

#include <grpcpp/alarm.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>

namespace keyward::node {
namespace {

using Clock = std::chrono::system_clock;
constexpr size_t kMaxQueuedBytes = 64 << 20;
constexpr size_t kMaxCallBytes = 8 << 20;
constexpr auto kStreamLifetime = std::chrono::seconds(30);
constexpr auto kStreamGrace = std::chrono::seconds(5);

}  // namespace

// One peer link. `active_` (under mu_) says the polling thread owns the link's pump: a wake-up
// alarm is pending or one stream operation is in flight, and the pump runs again when it
// completes. Send sets it (and the alarm) only when it was clear, so at most one event of a link
// is ever outstanding; the pump clears it when it has nothing to do. Everything else of the link
// (the call, `failing_`) belongs to the polling thread; `call_` is replaced under mu_ so that Stop
// can cancel it.
class FleetTransport::Link {
 public:
  Link(std::unique_ptr<v1::Peer::Stub> stub, grpc::CompletionQueue* cq) : stub_(std::move(stub)), cq_(cq) {}

  void Send(Bytes envelope) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      if (queued_bytes_ + envelope.size() > kMaxQueuedBytes) return;  // peer is not keeping up
      queued_bytes_ += envelope.size();
      queue_.push_back(std::move(envelope));
      if (active_) return;  // the pump will find it
      active_ = true;
    }
    Wake();
  }

  void Stop() {
    bool wake = false;
    {
      std::unique_lock lock(mu_);
      if (!stop_) {
        stop_ = true;
        queued_bytes_ = 0;
        queue_.clear();
        if (call_) call_->ctx.TryCancel();  // a write in flight fails at once
        if (!active_ && call_) {            // an idle open stream: the pump finishes it
          active_ = true;
          wake = true;
        }
      }
    }
    if (wake) Wake();
    std::unique_lock lock(mu_);
    while (!idle_.wait_for(lock, std::chrono::seconds(5), [&] { return !active_ && !call_; })) {
      spdlog::warn("event=peer_transport_stop_waiting (a stream operation has not completed yet)");
    }
  }

 private:
  enum class Op { kStart, kWrite, kWritesDone, kFinish };
  struct Call {
    grpc::ClientContext ctx;
    v1::PeerAck ack;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncWriter<v1::PeerFrames>> writer;  // destroyed before ctx
    v1::PeerFrames frames;
    Op op = Op::kStart;
    Clock::time_point renew;
  };
  struct WakeTag final : FleetPoller::Tag {
    explicit WakeTag(Link* l) : link(l) {}
    void Proceed(bool) override { link->Pump(); }
    Link* const link;
  };
  struct OpTag final : FleetPoller::Tag {
    explicit OpTag(Link* l) : link(l) {}
    void Proceed(bool ok) override { link->OnOp(ok); }
    Link* const link;
  };

  // Any thread, with active_ just set by it: the pump runs on the polling thread.
  void Wake() { alarm_.Set(cq_, gpr_time_0(GPR_CLOCK_MONOTONIC), &wake_tag_); }

  // Polling thread; no operation of this link is in flight. Starts the next one or goes idle.
  void Pump() {
    std::unique_lock lock(mu_);
    Call* c = call_.get();
    if (stop_ || (c != nullptr && Clock::now() >= c->renew)) {
      if (c != nullptr) {
        // Renewal (graceful: WritesDone first) or Stop (cancelled: straight to Finish).
        c->op = stop_ ? Op::kFinish : Op::kWritesDone;
        lock.unlock();
        if (c->op == Op::kFinish) {
          c->writer->Finish(&c->status, &op_tag_);
        } else {
          c->writer->WritesDone(&op_tag_);
        }
        return;
      }
      if (stop_) return GoIdle(lock);
    }
    if (queue_.empty()) return GoIdle(lock);
    if (c == nullptr) {
      call_ = std::make_unique<Call>();
      c = call_.get();
      c->renew = Clock::now() + kStreamLifetime;
      c->ctx.set_deadline(c->renew + kStreamGrace);
      c->writer = stub_->PrepareAsyncStream(&c->ctx, &c->ack, cq_);
      c->op = Op::kStart;
      lock.unlock();
      c->writer->StartCall(&op_tag_);
      return;
    }
    c->frames.Clear();
    size_t bytes = 0;
    while (!queue_.empty() && (bytes == 0 || bytes + queue_.front().size() <= kMaxCallBytes)) {
      Bytes& b = queue_.front();
      bytes += b.size();
      c->frames.add_frames(std::string(AsChars(b)));
      queue_.pop_front();
    }
    queued_bytes_ -= bytes;
    c->op = Op::kWrite;
    lock.unlock();
    c->writer->Write(c->frames, &op_tag_);
  }

  bool Stopping() {
    std::lock_guard lock(mu_);
    return stop_;
  }

  void GoIdle(std::unique_lock<std::mutex>& lock) {
    active_ = false;
    lock.unlock();
    idle_.notify_all();
  }

  // Polling thread: the link's operation completed.
  void OnOp(bool ok) {
    Call* c = call_.get();
    switch (c->op) {
      case Op::kStart:
      case Op::kWrite:
        if (!ok) {  // the stream broke (peer gone, deadline, cancelled): its frames are lost
          if (!failing_ && !Stopping()) spdlog::info("event=peer_unreachable (stream broke; reconnecting)");
          failing_ = true;
          c->op = Op::kFinish;
          c->writer->Finish(&c->status, &op_tag_);
          return;
        }
        if (c->op == Op::kWrite) failing_ = false;
        return Pump();
      case Op::kWritesDone:
        c->op = Op::kFinish;
        c->writer->Finish(&c->status, &op_tag_);
        return;
      case Op::kFinish: {
        std::unique_ptr<Call> done;
        {
          std::lock_guard lock(mu_);
          done = std::move(call_);
        }
        done.reset();
        return Pump();
      }
    }
  }

  const std::unique_ptr<v1::Peer::Stub> stub_;
  grpc::CompletionQueue* const cq_;
  std::mutex mu_;
  std::condition_variable idle_;
  std::deque<Bytes> queue_;     // guarded by mu_
  size_t queued_bytes_ = 0;     // guarded by mu_
  bool active_ = false;         // guarded by mu_
  bool stop_ = false;           // guarded by mu_
  std::unique_ptr<Call> call_;  // replaced under mu_ by the polling thread
  bool failing_ = false;        // polling thread
  grpc::Alarm alarm_;
  WakeTag wake_tag_{this};
  OpTag op_tag_{this};
};

FleetTransport::FleetTransport(const std::map<raft::NodeId, std::string>& peers, FleetPoller* poller)
    : poller_(poller) {
  if (poller_ == nullptr) {
    own_poller_ = std::make_unique<FleetPoller>();
    poller_ = own_poller_.get();
  }
  for (const auto& [id, address] : peers) AddPeer(id, address);
}

void FleetTransport::AddPeer(raft::NodeId id, const std::string& address) {
  if (links_.count(id) != 0) return;
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(96 << 20);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  links_[id] = std::make_unique<Link>(
      v1::Peer::NewStub(grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)),
      poller_->cq());
}

FleetTransport::~FleetTransport() {
  Stop();
  links_.clear();
  if (own_poller_) own_poller_->Shutdown();
}

void FleetTransport::Stop() {
  for (auto& [id, link] : links_) link->Stop();
}

void FleetTransport::Send(raft::NodeId to, Bytes envelope) {
  auto it = links_.find(to);
  if (it == links_.end()) return;
  it->second->Send(std::move(envelope));
}

}  // namespace keyward::node
