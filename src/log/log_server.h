// LogServer: the audit-log daemon (`keyward log serve`): TileStorage + Sequencer behind HTTP.
//
//   GET  /checkpoint                      latest published checkpoint (text/plain; no-cache)
//   GET  /tile/<L>/<N>[.p/<W>]            hash tiles      } files under DIR, immutable; the same
//   GET  /tile/entries/<N>[.p/<W>]        entry bundles   } paths any static server can serve
//   POST /add                             body = entry bytes (≤ 65535), Authorization: Bearer TOKEN
//                                         → 200 C2SP tlog-proof under the next checkpoint;
//                                           401 missing/wrong token, 413 too large, 503 overloaded
//                                           or not publishable yet (retry), 400 malformed
//
// Metrics are NOT on this port: with `metrics_listen` set, a separate listener (metrics::
// MetricsServer) serves /metrics (prometheus-cpp text format), /healthz and /readyz (ready while
// the HTTP server accepts adds; 503 before and while draining). Metric names: docs/log.md.
//
// Untrusted input: request paths are parsed with tlog::ParseTilePath (canonical form only, so no
// path traversal) and bodies are bounded before they are read (cpp-httplib's payload limit).
//
// Thread-safety: Serve() blocks in the calling thread; Shutdown() may be called from any thread
// (e.g. the signal thread) and makes Serve() return after the in-flight batch is published.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "crypto/ed25519.h"
#include "log/sequencer.h"
#include "log/tile_storage.h"
#include "tlog/policy.h"

namespace httplib {
class Server;
}
namespace keyward::metrics {
class MetricsServer;
}

namespace keyward::log {

struct LogServerOptions {
  std::filesystem::path dir;
  std::string origin;                                   // = the key's name
  std::shared_ptr<const crypto::Ed25519Signer> key;     // the log's checkpoint key
  std::vector<std::string> tokens;                      // accepted bearer tokens for POST /add
  std::optional<tlog::Policy> witness_policy;           // collect cosignatures before publishing
  std::string listen = "127.0.0.1:0";
  int threads = 128;                                    // HTTP worker threads (≥ concurrent submitters)
  std::string metrics_listen;                           // "HOST:PORT" of /metrics,/healthz,/readyz; "" = none
  SequencerOptions sequencer;
};

class LogServer {
 public:
  // Opens/recovers DIR, publishes a checkpoint if needed, binds the listen address.
  static StatusOr<std::unique_ptr<LogServer>> Start(LogServerOptions options);
  ~LogServer();

  int port() const { return port_; }
  // Port of the metrics listener (0 if none).
  int metrics_port() const;
  // Serves until Shutdown(); then drains the sequencer.
  void Serve();
  void Shutdown();

  std::string checkpoint() const { return sequencer_->checkpoint(); }
  std::string verifier_key() const { return vkey_; }
  const SequencerStats stats() const { return sequencer_->stats(); }

 private:
  LogServer() = default;
  void Route();
  bool Authorized(const std::string& header) const;

  LogServerOptions options_;
  std::string vkey_;
  std::unique_ptr<TileStorage> storage_;
  std::unique_ptr<Sequencer> sequencer_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<metrics::MetricsServer> metrics_;
  int port_ = 0;
  std::atomic<uint64_t> http_errors_{0};
  std::atomic<uint64_t> unauthorized_{0};
};

// Reads a token file: one token per line, blank lines and lines starting with '#' ignored.
StatusOr<std::vector<std::string>> ReadTokenFile(const std::filesystem::path& path);

}  // namespace keyward::log
