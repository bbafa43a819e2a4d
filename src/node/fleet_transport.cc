#include "node/fleet_transport.h"

#include <spdlog/spdlog.h>

namespace keyward::node {
namespace {

constexpr size_t kMaxQueuedBytes = 64 << 20;
constexpr size_t kMaxCallBytes = 8 << 20;

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
  while (true) {
    v1::PeerFrames frames;
    {
      std::unique_lock lock(link.mu);
      link.cv.wait(lock, [&] { return link.stop || !link.queue.empty(); });
      if (link.stop) return;
      size_t bytes = 0;
      while (!link.queue.empty() && (bytes == 0 || bytes + link.queue.front().size() <= kMaxCallBytes)) {
        Bytes& b = link.queue.front();
        bytes += b.size();
        frames.add_frames(std::string(AsChars(b)));
        link.queue.pop_front();
      }
      link.queued_bytes -= bytes;
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    v1::PeerAck ack;
    grpc::Status s = link.stub->Deliver(&ctx, frames, &ack);
    if (!s.ok() && !failing) {
      spdlog::info("event=peer_unreachable code={} msg=\"{}\"", static_cast<int>(s.error_code()), s.error_message());
    }
    failing = !s.ok();
  }
}

}  // namespace keyward::node
