#include "node/metrics.h"

#include <httplib.h>
#include <prometheus/text_serializer.h>

#include <charconv>
#include <sstream>

namespace keyward::node {
namespace {

const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5};
  return kBuckets;
}

}  // namespace

NodeMetrics::NodeMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("keyward_node_requests_total")
                   .Help("gRPC calls handled, by method and gRPC status code")
                   .Register(*registry_);
  durations_ = &prometheus::BuildHistogram()
                    .Name("keyward_node_request_duration_seconds")
                    .Help("Handler latency in seconds, by method")
                    .Register(*registry_);
  outcomes_ = &prometheus::BuildCounter()
                   .Name("keyward_node_recover_outcomes_total")
                   .Help("RecoverFinish outcomes: success, wrong_password, locked")
                   .Register(*registry_);
  rate_limited_ = &prometheus::BuildCounter()
                       .Name("keyward_node_rate_limited_total")
                       .Help("Recovery attempts refused by the host rate limiter")
                       .Register(*registry_)
                       .Add({});
  credential_rejections_ = &prometheus::BuildCounter()
                                .Name("keyward_node_credential_rejections_total")
                                .Help("Requests rejected for a bad account credential")
                                .Register(*registry_)
                                .Add({});
  records_ = &prometheus::BuildGauge()
                  .Name("keyward_node_records")
                  .Help("Records held by the vault core (pending, active and locked)")
                  .Register(*registry_)
                  .Add({});
}

void NodeMetrics::ObserveCall(const std::string& method, const std::string& code, double seconds) {
  requests_->Add({{"method", method}, {"code", code}}).Increment();
  durations_->Add({{"method", method}}, DurationBuckets()).Observe(seconds);
}

void NodeMetrics::ObserveCall(const char* method, const char* code, double seconds) {
  CallMetrics m;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find({method, code});
    if (it == cache_.end()) {
      it = cache_.emplace(std::make_pair(method, code),
                          CallMetrics{&requests_->Add({{"method", method}, {"code", code}}),
                                      &durations_->Add({{"method", method}}, DurationBuckets())})
               .first;
    }
    m = it->second;
  }
  m.requests->Increment();
  m.duration->Observe(seconds);
}

void NodeMetrics::ObserveOutcome(const std::string& outcome) {
  outcomes_->Add({{"outcome", outcome}}).Increment();
}

std::string NodeMetrics::Render() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return InvalidArgument("address \"" + address + "\" must be HOST:PORT, e.g. 127.0.0.1:7443");
  }
  std::string host = address.substr(0, colon);
  std::string port_text = address.substr(colon + 1);
  int port = -1;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return InvalidArgument("address \"" + address + "\" has a bad port; use 0..65535");
  }
  if (host.empty()) host = "127.0.0.1";
  return std::make_pair(host, port);
}

StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& listen,
                                                            const NodeMetrics* metrics) {
  ASSIGN_OR_RETURN(auto host_port, SplitHostPort(listen));
  std::unique_ptr<HealthServer> hs(new HealthServer());
  hs->server_ = std::make_unique<httplib::Server>();
  HealthServer* raw = hs.get();
  hs->server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  hs->server_->Get("/readyz", [raw](const httplib::Request&, httplib::Response& res) {
    bool ready = raw->ready_.load();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ready\n" : "not ready\n", "text/plain");
  });
  hs->server_->Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics->Render(), "text/plain; version=0.0.4");
  });
  int port = host_port.second;
  if (port == 0) {
    port = hs->server_->bind_to_any_port(host_port.first.c_str());
  } else if (!hs->server_->bind_to_port(host_port.first.c_str(), port)) {
    port = -1;
  }
  if (port <= 0) {
    return Unavailable("cannot bind the metrics listener on " + listen +
                       "; is the port in use? pick another --metrics-listen");
  }
  hs->address_ = host_port.first + ":" + std::to_string(port);
  hs->thread_ = std::thread([raw] { raw->server_->listen_after_bind(); });
  return hs;
}

HealthServer::~HealthServer() {
  // stop() is a no-op until listen_after_bind() has started; wait (bounded) for that first.
  for (int i = 0; i < 5000 && server_ && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace keyward::node
