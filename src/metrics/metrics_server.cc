#include "metrics/metrics_server.h"

#include <charconv>
#include <sstream>

#include <httplib.h>
#include <prometheus/text_serializer.h>

namespace keyward::metrics {
namespace {

StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return InvalidArgument("--metrics-listen \"" + address + "\" must be HOST:PORT, e.g. 127.0.0.1:9464");
  }
  std::string port_text = address.substr(colon + 1);
  int port = -1;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return InvalidArgument("--metrics-listen \"" + address + "\" has a bad port; use 0..65535");
  }
  return std::make_pair(address.substr(0, colon), port);
}

prometheus::MetricFamily Family(const std::string& name, const std::string& help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
  return f;
}

}  // namespace

prometheus::MetricFamily CounterFamily(const std::string& name, const std::string& help, double value) {
  return Family(name, help, prometheus::MetricType::Counter, value);
}

prometheus::MetricFamily GaugeFamily(const std::string& name, const std::string& help, double value) {
  return Family(name, help, prometheus::MetricType::Gauge, value);
}

std::string MetricsServer::Render() const {
  std::vector<prometheus::MetricFamily> all;
  for (const auto& s : sources_) {
    auto fams = s->Collect();
    all.insert(all.end(), std::make_move_iterator(fams.begin()), std::make_move_iterator(fams.end()));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, all);
  return out.str();
}

StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& listen, std::vector<std::shared_ptr<prometheus::Collectable>> sources) {
  ASSIGN_OR_RETURN(auto host_port, SplitHostPort(listen));
  std::unique_ptr<MetricsServer> ms(new MetricsServer());
  ms->sources_ = std::move(sources);
  ms->server_ = std::make_unique<httplib::Server>();
  MetricsServer* raw = ms.get();
  ms->server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  ms->server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  ms->server_->Get("/readyz", [raw](const httplib::Request&, httplib::Response& res) {
    bool ready = raw->ready_.load();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ready\n" : "not ready\n", "text/plain");
  });
  ms->server_->Get("/metrics", [raw](const httplib::Request&, httplib::Response& res) {
    res.set_content(raw->Render(), "text/plain; version=0.0.4");
  });
  int port = host_port.second;
  try {
    if (port == 0) {
      port = ms->server_->bind_to_any_port(host_port.first);
    } else if (!ms->server_->bind_to_port(host_port.first, port)) {
      port = -1;
    }
  } catch (const std::exception& e) {
    return Unavailable("binding the metrics listener on " + listen + ": " + e.what());
  }
  if (port <= 0) {
    return Unavailable("cannot bind the metrics listener on " + listen +
                       "; is the port in use? pick another --metrics-listen");
  }
  ms->port_ = port;
  ms->address_ = host_port.first + ":" + std::to_string(port);
  ms->thread_ = std::thread([raw] {
    try {
      raw->server_->listen_after_bind();
    } catch (...) {
    }
  });
  return ms;
}

MetricsServer::~MetricsServer() {
  // stop() is a no-op until listen_after_bind() has started; wait (bounded) for that first.
  for (int i = 0; i < 5000 && server_ && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace keyward::metrics
