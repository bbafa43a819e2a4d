// WitnessServer: the witness daemon (`keyward witness serve`): Witness behind cpp-httplib.
//
//   POST /add-checkpoint    C2SP tlog-witness; body ≤ 1 MiB (413 beyond), statuses per the spec
//
// With a `metrics_listen` address, a separate listener (metrics::MetricsServer) serves /metrics
// (keyward_witness_requests_total, keyward_witness_cosigned_total), /healthz and /readyz.
//
// Thread-safety: Serve() blocks; Shutdown() from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/status.h"
#include "witness/witness.h"

namespace httplib {
class Server;
}
namespace keyward::metrics {
class MetricsServer;
}

namespace keyward::witness {

class WitnessServer {
 public:
  static StatusOr<std::unique_ptr<WitnessServer>> Start(std::unique_ptr<Witness> witness,
                                                        const std::string& listen, int threads = 16,
                                                        const std::string& metrics_listen = "");
  ~WitnessServer();
  int port() const { return port_; }
  int metrics_port() const;  // 0 without a metrics listener
  void Serve();
  void Shutdown();
  Witness& witness() { return *witness_; }

 private:
  WitnessServer() = default;
  std::unique_ptr<Witness> witness_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = 0;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> cosigned_{0};
  std::unique_ptr<metrics::MetricsServer> metrics_;  // declared last: destroyed first
};

}  // namespace keyward::witness
