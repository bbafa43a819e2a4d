// MetricsServer: a daemon's separate metrics/health HTTP listener (`--metrics-listen HOST:PORT`),
// shared by the log and witness daemons (and usable by any other):
//   GET /metrics  Prometheus text format 0.0.4 (prometheus-cpp TextSerializer over the sources)
//   GET /healthz  200 "ok" while the process runs
//   GET /readyz   200 "ready" once SetReady(true), 503 "not ready" before and while draining
// The sources are prometheus::Collectable objects: a prometheus::Registry, or a collector that reads
// a component's counters at scrape time (see CounterFamily/GaugeFamily below).
//
// Ownership: the server keeps shared ownership of its sources. Thread-safety: Start/destructor from
// one thread; SetReady from any thread; requests are served on the server's own threads, so sources
// must be thread-safe (prometheus-cpp registries are).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "common/status.h"

namespace httplib {
class Server;
}

namespace keyward::metrics {

class MetricsServer {
 public:
  // Binds `listen` ("HOST:PORT", port 0 = ephemeral) and serves on a background thread.
  static StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen, std::vector<std::shared_ptr<prometheus::Collectable>> sources);
  ~MetricsServer();  // stops and joins
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // "HOST:PORT" actually bound.
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  void SetReady(bool ready) { ready_.store(ready); }
  // The /metrics body (also used by tests).
  std::string Render() const;

 private:
  MetricsServer() = default;
  std::vector<std::shared_ptr<prometheus::Collectable>> sources_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string address_;
  int port_ = 0;
  std::atomic<bool> ready_{false};
};

// Builders for collectors that report values read at scrape time (counters a component already
// keeps, e.g. under its own mutex) without mirroring them into a registry.
prometheus::MetricFamily CounterFamily(const std::string& name, const std::string& help, double value);
prometheus::MetricFamily GaugeFamily(const std::string& name, const std::string& help, double value);

}  // namespace keyward::metrics
