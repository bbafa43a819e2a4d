// Small HTTP helpers shared by the log and witness daemons and the `keyward log verify` client:
// URL splitting for cpp-httplib clients, READY-line printing and signal-driven shutdown.
//
// cpp-httplib (Debian's libcpp-httplib-dev 0.11, used header-only and without TLS support, so URLs
// are http:// only; put a TLS-terminating proxy in front in production) throws from some paths:
// every call into it from Keyward goes through these helpers or catches at the handler edge.
//
// Thread-safety: free functions; ShutdownSignals is a process-wide singleton set up once in main.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace httplib {
class Server;
class Client;
}  // namespace httplib

namespace keyward::log {

// "http://host:port/prefix" → {"http://host:port", "/prefix"} (prefix without trailing '/').
struct SplitUrl {
  std::string origin;  // scheme://host[:port]
  std::string path;    // "" or "/a/b"
};
StatusOr<SplitUrl> ParseHttpUrl(std::string_view url);

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
};
struct HttpOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds read_timeout{10000};
  size_t max_response_bytes = 64 << 20;
};
// One GET/POST. Unavailable on connection errors (the message names the URL); never throws.
StatusOr<HttpResult> HttpGet(const std::string& url, const HttpOptions& options = {});
StatusOr<HttpResult> HttpPost(const std::string& url, std::string_view body,
                              std::string_view content_type, const HttpOptions& options = {},
                              std::string_view bearer_token = "");

// A keep-alive HTTP client for one base URL ("http://host:port[/prefix]"): requests reuse one TCP
// connection (TCP_NODELAY), reconnecting when the server closed it. Not thread-safe: one user at a
// time (the log's witness collector keeps one per witness). Never throws.
class HttpConnection {
 public:
  static StatusOr<std::unique_ptr<HttpConnection>> Open(const std::string& base_url, const HttpOptions& options = {});
  ~HttpConnection();
  // POST base_url + path.
  StatusOr<HttpResult> Post(const std::string& path, std::string_view body, std::string_view content_type);

 private:
  HttpConnection() = default;
  std::unique_ptr<httplib::Client> client_;
  std::string base_url_;
  std::string prefix_;
  HttpOptions options_;
};

// Binds `server` to host:port (port 0: an ephemeral port) and returns the bound port, or -1.
// Debian's compiled cpp-httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG is baked
// into the library): with many clients opening connections at once the kernel drops SYNs and each
// dropped client stalls for the 1 s SYN retransmit. This captures the listening socket through the
// socket-options hook and calls listen(2) again with `backlog`, which Linux applies to a socket that
// is already listening. May throw whatever cpp-httplib throws (callers catch at the edge).
int BindWithBacklog(httplib::Server& server, const std::string& host, int port, int backlog = 1024);

// "127.0.0.1:8080" → host, port. Port 0 allowed (ephemeral).
Status ParseListenAddress(std::string_view listen, std::string* host, int* port);

// Blocks SIGTERM/SIGINT in the calling thread (call in main before starting threads, so every
// thread inherits the mask) and starts a thread that runs `on_signal` once when one arrives.
void InstallShutdownHandler(std::function<void(int signo)> on_signal);

// Points spdlog's default logger at stderr (stdout carries only the READY line). Idempotent.
void LogToStderr();

// Prints `READY <json>` on stdout and flushes (the daemon readiness convention).
void PrintReady(const std::string& json);

}  // namespace keyward::log
