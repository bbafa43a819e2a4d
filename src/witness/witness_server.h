// WitnessServer: the witness daemon (`keyward witness serve`): Witness behind cpp-httplib.
//
//   POST /add-checkpoint    C2SP tlog-witness; body ≤ 1 MiB (413 beyond), statuses per the spec
//   GET  /metrics           Prometheus text counters
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

namespace keyward::witness {

class WitnessServer {
 public:
  static StatusOr<std::unique_ptr<WitnessServer>> Start(std::unique_ptr<Witness> witness,
                                                        const std::string& listen, int threads = 16);
  ~WitnessServer();
  int port() const { return port_; }
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
};

}  // namespace keyward::witness
