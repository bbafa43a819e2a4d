// NodeMetrics: the node's Prometheus metrics (prometheus-cpp core registry) and HealthServer: the
// separate HTTP listener (`--metrics-listen ADDR`) serving
//   GET /metrics  Prometheus text format 0.0.4 (TextSerializer over the registry)
//   GET /healthz  200 "ok" while the process runs
//   GET /readyz   200 "ready" while the gRPC server accepts calls, 503 while starting/draining
// cpp-httplib serves it (one listener for all three; prometheus-cpp's civetweb Exposer cannot add
// health endpoints), on its own threads.
//
// Metric names (docs/operations.md lists them):
//   keyward_node_requests_total{method,code}           gRPC calls by method and status code
//   keyward_node_request_duration_seconds{method}      histogram of handler latency
//   keyward_node_recover_outcomes_total{outcome}       success / wrong_password / locked
//   keyward_node_rate_limited_total                    calls refused by the host rate limiter
//   keyward_node_credential_rejections_total           bad account credentials
//   keyward_node_records                               records in the core (all states)
//
// Thread-safety: all methods are thread-safe (prometheus-cpp metrics are atomic).
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <thread>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "common/status.h"

namespace httplib {
class Server;
}

namespace keyward::node {

class NodeMetrics {
 public:
  NodeMetrics();
  void ObserveCall(const std::string& method, const std::string& code, double seconds);
  // The hot-path form: `method` and `code` must be string literals (static storage); the metric
  // objects are found by the literals' addresses instead of by building and hashing label maps.
  void ObserveCall(const char* method, const char* code, double seconds);
  void ObserveOutcome(const std::string& outcome);
  void RateLimited() { rate_limited_->Increment(); }
  void CredentialRejected() { credential_rejections_->Increment(); }
  void SetRecords(double n) { records_->Set(n); }
  std::string Render() const;

 private:
  struct CallMetrics {
    prometheus::Counter* requests;
    prometheus::Histogram* duration;
  };
  std::mutex cache_mu_;
  std::map<std::pair<const char*, const char*>, CallMetrics> cache_;  // guarded by cache_mu_

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* durations_;
  prometheus::Family<prometheus::Counter>* outcomes_;
  prometheus::Counter* rate_limited_;
  prometheus::Counter* credential_rejections_;
  prometheus::Gauge* records_;
};

class HealthServer {
 public:
  // Binds `listen` ("HOST:PORT", port 0 = ephemeral) and serves on a background thread.
  static StatusOr<std::unique_ptr<HealthServer>> Start(const std::string& listen,
                                                       const NodeMetrics* metrics);
  ~HealthServer();  // stops and joins
  // "HOST:PORT" actually bound.
  const std::string& address() const { return address_; }
  void SetReady(bool ready) { ready_.store(ready); }

 private:
  HealthServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string address_;
  std::atomic<bool> ready_{false};
};

// Splits "HOST:PORT" (HOST may be empty → 127.0.0.1); the error names the flag's expected form.
StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address);

}  // namespace keyward::node
