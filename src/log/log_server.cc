#include "log/log_server.h"

#include <exception>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "crypto/secret.h"
#include "metrics/metrics_server.h"
#include "log/durable_file.h"
#include "log/http_util.h"
#include "tlog/checkpoint.h"
#include "tlog/tiles.h"

namespace keyward::log {
namespace {

constexpr size_t kMaxTileFileBytes = tlog::kTileWidth * (tlog::kMaxEntryBytes + 2);

void Error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(message + "\n", "text/plain; charset=utf-8");
}

int HttpStatusFor(const Status& st) {
  switch (st.code()) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kResourceExhausted: return 503;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kFailedPrecondition: return 503;
    default: return 500;
  }
}

// Reads the sequencer's counters at scrape time (they live under its mutex).
class LogCollector : public prometheus::Collectable {
 public:
  LogCollector(const Sequencer* sequencer, const std::atomic<uint64_t>* http_errors,
               const std::atomic<uint64_t>* unauthorized)
      : sequencer_(sequencer), http_errors_(http_errors), unauthorized_(unauthorized) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    SequencerStats s = sequencer_->stats();
    auto d = [](uint64_t v) { return static_cast<double>(v); };
    return {
        metrics::CounterFamily("keyward_log_entries_total", "New entries integrated into the log", d(s.adds)),
        metrics::CounterFamily("keyward_log_duplicates_total", "Adds deduplicated to an existing entry",
                               d(s.duplicates)),
        metrics::CounterFamily("keyward_log_batches_total", "Integration batches", d(s.batches)),
        metrics::CounterFamily("keyward_log_checkpoints_total", "Checkpoints published", d(s.checkpoints)),
        metrics::CounterFamily("keyward_log_publish_failures_total",
                               "Batches whose checkpoint could not be published (witness quorum, disk)",
                               d(s.publish_failures)),
        metrics::CounterFamily("keyward_log_unauthorized_total", "POST /add refused for a missing or wrong token",
                               d(unauthorized_->load())),
        metrics::CounterFamily("keyward_log_http_errors_total", "HTTP handlers that failed internally",
                               d(http_errors_->load())),
        metrics::GaugeFamily("keyward_log_tree_size", "Size of the latest published checkpoint", d(s.tree_size)),
    };
  }

 private:
  const Sequencer* sequencer_;
  const std::atomic<uint64_t>* http_errors_;
  const std::atomic<uint64_t>* unauthorized_;
};

}  // namespace

int LogServer::metrics_port() const { return metrics_ ? metrics_->port() : 0; }

StatusOr<std::vector<std::string>> ReadTokenFile(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileText(path, 1 << 20));
  std::vector<std::string> tokens;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    tokens.push_back(line);
  }
  if (tokens.empty()) {
    return InvalidArgument("token file " + path.string() + " has no tokens; put one secret token per line");
  }
  return tokens;
}

StatusOr<std::unique_ptr<LogServer>> LogServer::Start(LogServerOptions options) {
  if (!tlog::IsValidKeyName(options.origin)) {
    return InvalidArgument("origin \"" + options.origin + "\" is not a valid key name (no spaces or '+')");
  }
  std::unique_ptr<LogServer> s(new LogServer());
  auto signer = std::make_shared<tlog::Ed25519NoteSigner>(options.origin, options.key);
  s->vkey_ = signer->VerifierKeyString();
  auto verifier = std::make_shared<tlog::Ed25519NoteVerifier>(options.origin, options.key->public_key());
  tlog::NoteVerifierSet own({verifier});
  std::string origin = options.origin;
  auto parse = [own, origin](std::string_view note) -> StatusOr<TileStorage::PublishedTree> {
    auto cp = tlog::OpenCheckpoint(note, own, tlog::NoteVerifierSet());
    if (!cp.ok()) {
      return cp.status().WithContext("the stored checkpoint does not verify with this log's key "
                                     "(wrong --key or --dir?)");
    }
    if (cp->checkpoint.origin != origin) return InvalidArgument("the stored checkpoint has another origin");
    return TileStorage::PublishedTree{cp->checkpoint.size, cp->checkpoint.root};
  };
  ASSIGN_OR_RETURN(s->storage_, TileStorage::Open(options.dir, parse));
  std::unique_ptr<WitnessCollector> witnesses;
  if (options.witness_policy) {
    witnesses = std::make_unique<WitnessCollector>(*options.witness_policy, s->storage_->published_size());
  }
  s->sequencer_ = std::make_unique<Sequencer>(s->storage_.get(), signer, options.origin, std::move(witnesses),
                                              options.sequencer);
  RETURN_IF_ERROR(s->sequencer_->Start());

  std::string host;
  int port = 0;
  RETURN_IF_ERROR(ParseListenAddress(options.listen, &host, &port));
  s->options_ = std::move(options);
  s->http_ = std::make_unique<httplib::Server>();
  int threads = s->options_.threads;
  s->http_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s->http_->set_payload_max_length(tlog::kMaxEntryBytes);
  s->http_->set_keep_alive_max_count(10000);
  s->Route();
  try {
    s->port_ = BindWithBacklog(*s->http_, host, port);
  } catch (const std::exception& e) {
    return Unavailable(std::string("binding ") + s->options_.listen + ": " + e.what());
  }
  if (s->port_ <= 0) {
    return Unavailable("cannot listen on " + s->options_.listen + "; is the port in use?");
  }
  if (!s->options_.metrics_listen.empty()) {
    auto collector = std::make_shared<LogCollector>(s->sequencer_.get(), &s->http_errors_, &s->unauthorized_);
    ASSIGN_OR_RETURN(s->metrics_, metrics::MetricsServer::Start(s->options_.metrics_listen, {collector}));
  }
  spdlog::info("event=log_started origin={} dir={} size={} port={} metrics_port={}", s->options_.origin,
               s->options_.dir.string(), s->storage_->published_size(), s->port_, s->metrics_port());
  return s;
}

LogServer::~LogServer() {
  Shutdown();
  if (sequencer_) sequencer_->Stop();
  metrics_.reset();  // its collector reads the sequencer
}

void LogServer::Serve() {
  if (metrics_) metrics_->SetReady(true);
  try {
    http_->listen_after_bind();
  } catch (const std::exception& e) {
    spdlog::error("event=http_failed error=\"{}\"", e.what());
  }
  sequencer_->Stop();  // integrates and publishes what is queued
  spdlog::info("event=log_stopped size={}", storage_->published_size());
}

void LogServer::Shutdown() {
  if (metrics_) metrics_->SetReady(false);
  if (http_) http_->stop();
}

bool LogServer::Authorized(const std::string& header) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) return false;
  ByteSpan presented = AsBytes(std::string_view(header).substr(kBearer.size()));
  bool ok = false;
  for (const auto& t : options_.tokens) ok |= crypto::SecretBytes::ConstantTimeEquals(presented, AsBytes(t));
  return ok;
}

void LogServer::Route() {
  http_->set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    http_errors_++;
    Error(res, 500, "internal error");
  });
  http_->Get("/checkpoint", [this](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_content(sequencer_->checkpoint(), "text/plain; charset=utf-8");
  });
  http_->Get(R"(/tile/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    auto tile = tlog::ParseTilePath(std::string_view(req.path).substr(1));
    if (!tile.ok()) return Error(res, 400, "bad tile path: " + tile.status().message());
    auto data = ReadFileBytes(options_.dir / tlog::TilePath(*tile), kMaxTileFileBytes);
    if (!data.ok()) {
      if (data.status().code() == ErrorCode::kNotFound) return Error(res, 404, "no such tile");
      return Error(res, 500, "cannot read the tile");
    }
    res.set_header("Cache-Control", "public, max-age=31536000, immutable");
    res.set_content(reinterpret_cast<const char*>(data->data()), data->size(), "application/octet-stream");
  });
  http_->Post("/add", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req.get_header_value("Authorization"))) {
      unauthorized_++;
      res.set_header("WWW-Authenticate", "Bearer");
      return Error(res, 401, "missing or wrong bearer token; send Authorization: Bearer <token from the log's token file>");
    }
    if (req.body.size() > tlog::kMaxEntryBytes) {
      return Error(res, 413, "entry larger than " + std::to_string(tlog::kMaxEntryBytes) + " bytes");
    }
    auto fut = sequencer_->Add(ToBytes(req.body));
    if (fut.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      return Error(res, 503, "the log did not publish a checkpoint within 60 s; retry the same request");
    }
    auto out = fut.get();
    if (!out.ok()) return Error(res, HttpStatusFor(out.status()), out.status().message());
    res.set_header("X-Keyward-Index", std::to_string(out->index));
    res.set_content(out->proof, "text/plain; charset=utf-8");
  });
}

}  // namespace keyward::log
