#include "witness/witness_server.h"

#include <exception>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "log/http_util.h"
#include "metrics/metrics_server.h"

namespace keyward::witness {
namespace {

class WitnessMetrics : public prometheus::Collectable {
 public:
  WitnessMetrics(const std::atomic<uint64_t>* requests, const std::atomic<uint64_t>* cosigned)
      : requests_(requests), cosigned_(cosigned) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    return {metrics::CounterFamily("keyward_witness_requests_total", "add-checkpoint requests",
                                   static_cast<double>(requests_->load())),
            metrics::CounterFamily("keyward_witness_cosigned_total", "Checkpoints cosigned",
                                   static_cast<double>(cosigned_->load()))};
  }

 private:
  const std::atomic<uint64_t>* requests_;
  const std::atomic<uint64_t>* cosigned_;
};

}  // namespace

int WitnessServer::metrics_port() const { return metrics_ ? metrics_->port() : 0; }

StatusOr<std::unique_ptr<WitnessServer>> WitnessServer::Start(std::unique_ptr<Witness> witness,
                                                              const std::string& listen, int threads,
                                                              const std::string& metrics_listen) {
  std::string host;
  int port = 0;
  RETURN_IF_ERROR(log::ParseListenAddress(listen, &host, &port));
  std::unique_ptr<WitnessServer> s(new WitnessServer());
  s->witness_ = std::move(witness);
  s->http_ = std::make_unique<httplib::Server>();
  s->http_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s->http_->set_payload_max_length(tlog::kMaxAddCheckpointBytes);
  auto* self = s.get();
  s->http_->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content("internal error\n", "text/plain; charset=utf-8");
  });
  s->http_->Post("/add-checkpoint", [self](const httplib::Request& req, httplib::Response& res) {
    self->requests_++;
    WitnessResponse r = self->witness_->AddCheckpoint(req.body);
    if (r.status == 200) self->cosigned_++;
    res.status = r.status;
    res.set_content(r.body, r.content_type);
  });
  try {
    s->port_ = log::BindWithBacklog(*s->http_, host, port);
  } catch (const std::exception& e) {
    return Unavailable("binding " + listen + ": " + e.what());
  }
  if (s->port_ <= 0) return Unavailable("cannot listen on " + listen + "; is the port in use?");
  if (!metrics_listen.empty()) {
    ASSIGN_OR_RETURN(s->metrics_, metrics::MetricsServer::Start(
                                      metrics_listen, {std::make_shared<WitnessMetrics>(&s->requests_, &s->cosigned_)}));
  }
  spdlog::info("event=witness_started port={} vkey={}", s->port_, s->witness_->verifier_key());
  return s;
}

WitnessServer::~WitnessServer() { Shutdown(); }

void WitnessServer::Serve() {
  if (metrics_) metrics_->SetReady(true);
  try {
    http_->listen_after_bind();
  } catch (const std::exception& e) {
    spdlog::error("event=http_failed error=\"{}\"", e.what());
  }
}

void WitnessServer::Shutdown() {
  if (metrics_) metrics_->SetReady(false);
  if (http_) http_->stop();
}

}  // namespace keyward::witness
