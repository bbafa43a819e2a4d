// FleetTransport over loopback against a real keyward.v1.Peer server (a recording Stream handler):
// every envelope arrives exactly once and in order while the receiver stalls and resumes (writes
// stay in flight, everything queued meanwhile is batched), the link wakes up again after each idle
// period, and Stop returns while a write is stuck at a stalled receiver. Both queue set-ups are
// covered: a client-only poller of the transport's own and a server's queue (as on a node).
#include "node/fleet_transport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <vector>

namespace keyward::node {
namespace {

using namespace std::chrono_literals;

// Records every frame it reads, in order; can hold its reads back (stall).
class Sink final : public v1::Peer::Service {
 public:
  grpc::Status Stream(grpc::ServerContext*, grpc::ServerReader<v1::PeerFrames>* reader, v1::PeerAck*) override {
    v1::PeerFrames m;
    while (true) {
      {
        std::unique_lock lock(mu_);
        if (!cv_.wait_for(lock, 20s, [&] { return !stalled_; })) return grpc::Status::CANCELLED;
      }
      if (!reader->Read(&m)) break;
      std::lock_guard lock(mu_);
      ++messages_;
      for (const std::string& f : m.frames()) frames_.push_back(f);
      cv_.notify_all();
    }
    return grpc::Status::OK;
  }
  void Stall(bool stalled) {
    std::lock_guard lock(mu_);
    stalled_ = stalled;
    cv_.notify_all();
  }
  bool WaitFrames(size_t n, std::chrono::milliseconds bound) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, bound, [&] { return frames_.size() >= n; });
  }
  std::vector<std::string> frames() {
    std::lock_guard lock(mu_);
    return frames_;
  }
  size_t messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stalled_ = false;
  std::vector<std::string> frames_;
  size_t messages_ = 0;
};

Bytes Frame(uint64_t seq, size_t size) {
  Bytes b(size, static_cast<uint8_t>(seq));
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(seq >> (8 * (7 - i)));
  return b;
}

uint64_t Seq(const std::string& f) {
  uint64_t s = 0;
  for (int i = 0; i < 8 && i < static_cast<int>(f.size()); ++i) s = (s << 8) | static_cast<uint8_t>(f[i]);
  return s;
}

class FleetTransportTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.SetMaxReceiveMessageSize(96 << 20);
    builder.RegisterService(&sink_);
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_ != nullptr && port > 0);
    address_ = "127.0.0.1:" + std::to_string(port);
    if (GetParam()) {  // the transport on a server's completion queue, as on a node
      grpc::ServerBuilder host;
      poller_ = std::make_unique<FleetPoller>(host);
      host_server_ = host.BuildAndStart();
      ASSERT_TRUE(host_server_ != nullptr);
    }
    transport_ = std::make_unique<FleetTransport>(std::map<raft::NodeId, std::string>{{2, address_}}, poller_.get());
  }
  void TearDown() override {
    sink_.Stall(false);
    if (transport_) transport_->Stop();
    transport_.reset();
    if (host_server_) host_server_->Shutdown(std::chrono::system_clock::now());
    if (poller_) poller_->Shutdown();
    server_->Shutdown(std::chrono::system_clock::now() + 1s);
  }

  Sink sink_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::unique_ptr<FleetPoller> poller_;
  std::unique_ptr<grpc::Server> host_server_;
  std::unique_ptr<FleetTransport> transport_;
};

TEST_P(FleetTransportTest, InOrderAndBatchedAcrossAStalledReceiver) {
  constexpr uint64_t kFirst = 50, kTotal = 3000;
  constexpr size_t kSize = 2048;  // 6 MB in all: far beyond the stream's flow-control window
  for (uint64_t i = 0; i < kFirst; ++i) transport_->Send(2, Frame(i, kSize));
  ASSERT_TRUE(sink_.WaitFrames(kFirst, 10s));
  sink_.Stall(true);
  for (uint64_t i = kFirst; i < kTotal; ++i) transport_->Send(2, Frame(i, kSize));
  std::this_thread::sleep_for(200ms);  // not a synchronisation: lets writes pile up behind the stall
  sink_.Stall(false);
  ASSERT_TRUE(sink_.WaitFrames(kTotal, 20s)) << "got " << sink_.frames().size() << " of " << kTotal;
  std::vector<std::string> got = sink_.frames();
  ASSERT_EQ(got.size(), kTotal);
  for (uint64_t i = 0; i < kTotal; ++i) {
    ASSERT_EQ(Seq(got[i]), i) << "frame " << i << " out of order or lost";
    ASSERT_EQ(got[i].size(), kSize);
  }
  EXPECT_LT(sink_.messages(), kTotal) << "frames queued behind a write in flight go out together";
}

TEST_P(FleetTransportTest, WakesUpAfterEveryIdlePeriod) {
  for (uint64_t i = 0; i < 300; ++i) {
    transport_->Send(2, Frame(i, 64));
    ASSERT_TRUE(sink_.WaitFrames(i + 1, 5s)) << "frame " << i << " sent to an idle link never arrived";
  }
  std::vector<std::string> got = sink_.frames();
  for (uint64_t i = 0; i < got.size(); ++i) ASSERT_EQ(Seq(got[i]), i);
}

TEST_P(FleetTransportTest, StopCancelsAWriteStuckAtAStalledReceiver) {
  transport_->Send(2, Frame(0, 64));
  ASSERT_TRUE(sink_.WaitFrames(1, 10s));
  sink_.Stall(true);
  for (uint64_t i = 1; i < 2000; ++i) transport_->Send(2, Frame(i, 4096));
  std::this_thread::sleep_for(100ms);  // not a synchronisation: lets a write get stuck
  auto stopped = std::async(std::launch::async, [&] { transport_->Stop(); });
  ASSERT_EQ(stopped.wait_for(5s), std::future_status::ready) << "Stop hung on a stuck write";
  transport_->Send(2, Frame(9999, 64));  // refused after Stop (no operation on the queue)
  transport_.reset();                    // every call object freed before the poller goes
  sink_.Stall(false);
}

TEST_P(FleetTransportTest, UnknownPeerAndUnreachablePeerAreHarmless) {
  transport_->Send(7, Frame(0, 64));  // no such link: dropped
  transport_->AddPeer(3, "127.0.0.1:1");  // nothing listens there: streams fail, frames are lost
  for (uint64_t i = 0; i < 50; ++i) transport_->Send(3, Frame(i, 64));
  transport_->Send(2, Frame(0, 64));
  ASSERT_TRUE(sink_.WaitFrames(1, 10s)) << "a dead peer must not hold up another link";
}

INSTANTIATE_TEST_SUITE_P(Queues, FleetTransportTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "ServerQueue" : "OwnQueue"; });

}  // namespace
}  // namespace keyward::node
