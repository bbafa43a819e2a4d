#include "node/fleet_transport.h"

#include <spdlog/spdlog.h>

namespace keyward::node {
namespace {

constexpr size_t kMaxQueuedBytes = 64 << 20;
constexpr size_t kMaxCallBytes = 8 << 20;
constexpr auto kStreamLifetime = std::chrono::seconds(30);
constexpr auto kStreamGrace = std::chrono::seconds(5);

}  // namespace

FleetTransport::FleetTransport(const std::map<raft::NodeId, std::string>& peers) {
  for (const auto& [id, address] : peers) AddPeer(id, address);
}

void FleetTransport::AddPeer(raft::NodeId id, const std::string& address) {
  if (links_.count(id) != 0) return;
  auto link = std::make_unique<Link>();
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(96 << 20);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  link->stub = v1::Peer::NewStub(grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  Link* raw = link.get();
  link->thread = std::thread([this, raw] { Run(*raw); });
  links_[id] = std::move(link);
}

FleetTransport::~FleetTransport() { Stop(); }

void FleetTransport::Stop() {
  for (auto& [id, link] : links_) {
    {
      std::lock_guard lock(link->mu);
      link->stop = true;
      if (link->stream_ctx != nullptr) link->stream_ctx->TryCancel();  // unblocks a Write
    }
    link->cv.notify_all();
  }
  for (auto& [id, link] : links_) {
    if (link->thread.joinable()) link->thread.join();
  }
}

void FleetTransport::Send(raft::NodeId to, Bytes envelope) {
  auto it = links_.find(to);
  if (it == links_.end()) return;
  Link& link = *it->second;
  {
    std::lock_guard lock(link.mu);
    if (link.queued_bytes + envelope.size() > kMaxQueuedBytes) return;  // peer is not keeping up
    link.queued_bytes += envelope.size();
    link.queue.push_back(std::move(envelope));
  }
  link.cv.notify_one();
}

void FleetTransport::Run(Link& link) {
  bool failing = false;
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<grpc::ClientWriter<v1::PeerFrames>> writer;
  std::chrono::system_clock::time_point renew;
  v1::PeerAck ack;
  auto close = [&](bool graceful) {
    if (writer) {
      if (graceful) writer->WritesDone();
      (void)writer->Finish();
    }
    writer.reset();
    std::lock_guard lock(link.mu);
    link.stream_ctx = nullptr;
    ctx.reset();
  };
  while (true) {
    v1::PeerFrames frames;
    {
      std::unique_lock lock(link.mu);
      link.cv.wait(lock, [&] { return link.stop || !link.queue.empty(); });
      if (link.stop) break;
      size_t bytes = 0;
      while (!link.queue.empty() && (bytes == 0 || bytes + link.queue.front().size() <= kMaxCallBytes)) {
        Bytes& b = link.queue.front();
        bytes += b.size();
        frames.add_frames(std::string(AsChars(b)));
        link.queue.pop_front();
      }
      link.queued_bytes -= bytes;
    }
    // One long-lived stream (renewed before its deadline, so a stopped peer blocks this sender at
    // most that long); a broken one is reopened for the next batch and its frames are lost
    // (Raft retransmits).
    if (writer && std::chrono::system_clock::now() >= renew) close(/*graceful=*/true);
    if (!writer) {
      ctx = std::make_unique<grpc::ClientContext>();
      renew = std::chrono::system_clock::now() + kStreamLifetime;
      ctx->set_deadline(renew + kStreamGrace);
      {
        std::lock_guard lock(link.mu);
        if (link.stop) break;
        link.stream_ctx = ctx.get();
      }
      writer = link.stub->Stream(ctx.get(), &ack);
    }
    if (!writer->Write(frames)) {
      close(/*graceful=*/false);
      if (!failing) spdlog::info("event=peer_unreachable (stream broke; reconnecting)");
      failing = true;
      continue;
    }
    failing = false;
  }
  close(/*graceful=*/false);
}

}  // namespace keyward::node
