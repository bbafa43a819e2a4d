#include "witness/witness_server.h"

#include <exception>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "log/http_util.h"

namespace keyward::witness {

StatusOr<std::unique_ptr<WitnessServer>> WitnessServer::Start(std::unique_ptr<Witness> witness,
                                                              const std::string& listen, int threads) {
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
  s->http_->Get("/metrics", [self](const httplib::Request&, httplib::Response& res) {
    res.set_content("# TYPE keyward_witness_requests_total counter\nkeyward_witness_requests_total " +
                        std::to_string(self->requests_.load()) +
                        "\n# TYPE keyward_witness_cosigned_total counter\nkeyward_witness_cosigned_total " +
                        std::to_string(self->cosigned_.load()) + "\n",
                    "text/plain; version=0.0.4");
  });
  try {
    s->port_ = log::BindWithBacklog(*s->http_, host, port);
  } catch (const std::exception& e) {
    return Unavailable("binding " + listen + ": " + e.what());
  }
  if (s->port_ <= 0) return Unavailable("cannot listen on " + listen + "; is the port in use?");
  spdlog::info("event=witness_started port={} vkey={}", s->port_, s->witness_->verifier_key());
  return s;
}

WitnessServer::~WitnessServer() { Shutdown(); }

void WitnessServer::Serve() {
  try {
    http_->listen_after_bind();
  } catch (const std::exception& e) {
    spdlog::error("event=http_failed error=\"{}\"", e.what());
  }
}

void WitnessServer::Shutdown() {
  if (http_) http_->stop();
}

}  // namespace keyward::witness
