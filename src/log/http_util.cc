#include "log/http_util.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <memory>

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace keyward::log {

StatusOr<SplitUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return InvalidArgument("URL \"" + std::string(url) +
                           "\" must start with http:// (terminate TLS in a proxy in front)");
  }
  size_t slash = url.find('/', kScheme.size());
  SplitUrl out;
  out.origin = std::string(url.substr(0, slash));
  if (out.origin.size() == kScheme.size()) return InvalidArgument("URL \"" + std::string(url) + "\" has no host");
  if (slash != std::string_view::npos) {
    out.path = std::string(url.substr(slash));
    while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  }
  return out;
}

namespace {

// One answer of cpp-httplib as an HttpResult: transport errors and oversized bodies become Statuses.
StatusOr<HttpResult> ToHttpResult(httplib::Result res, const std::string& url, const HttpOptions& options) {
  if (!res) {
    return Unavailable("HTTP request to " + url + " failed: " + httplib::to_string(res.error()) +
                       "; is the server running and reachable?");
  }
  if (res->body.size() > options.max_response_bytes) {
    return ResourceExhausted("response from " + url + " is too large");
  }
  HttpResult out;
  out.status = res->status;
  out.body = std::move(res->body);
  out.content_type = res->get_header_value("Content-Type");
  return out;
}

StatusOr<HttpResult> Do(const std::string& url, const HttpOptions& options,
                        const std::function<httplib::Result(httplib::Client&, const std::string&)>& call) {
  ASSIGN_OR_RETURN(SplitUrl u, ParseHttpUrl(url));
  try {
    httplib::Client cli(u.origin);
    cli.set_tcp_nodelay(true);
    cli.set_connection_timeout(options.connect_timeout);
    cli.set_read_timeout(options.read_timeout);
    cli.set_write_timeout(options.read_timeout);
    return ToHttpResult(call(cli, u.path.empty() ? "/" : u.path), url, options);
  } catch (const std::exception& e) {
    return Unavailable("HTTP request to " + url + " failed: " + e.what());
  }
}

}  // namespace

StatusOr<HttpResult> HttpGet(const std::string& url, const HttpOptions& options) {
  return Do(url, options, [](httplib::Client& c, const std::string& path) { return c.Get(path); });
}

StatusOr<HttpResult> HttpPost(const std::string& url, std::string_view body, std::string_view content_type,
                              const HttpOptions& options, std::string_view bearer_token) {
  return Do(url, options, [&](httplib::Client& c, const std::string& path) {
    if (!bearer_token.empty()) c.set_bearer_token_auth(std::string(bearer_token));
    return c.Post(path, body.data(), body.size(), std::string(content_type));
  });
}

StatusOr<std::unique_ptr<HttpConnection>> HttpConnection::Open(const std::string& base_url,
                                                               const HttpOptions& options) {
  ASSIGN_OR_RETURN(SplitUrl u, ParseHttpUrl(base_url));
  std::unique_ptr<HttpConnection> c(new HttpConnection());
  try {
    c->client_ = std::make_unique<httplib::Client>(u.origin);
    c->client_->set_keep_alive(true);
    c->client_->set_tcp_nodelay(true);
    c->client_->set_connection_timeout(options.connect_timeout);
    c->client_->set_read_timeout(options.read_timeout);
    c->client_->set_write_timeout(options.read_timeout);
  } catch (const std::exception& e) {
    return InvalidArgument("bad URL " + base_url + ": " + e.what());
  }
  c->base_url_ = base_url;
  c->prefix_ = u.path;
  c->options_ = options;
  return c;
}

HttpConnection::~HttpConnection() = default;

StatusOr<HttpResult> HttpConnection::Post(const std::string& path, std::string_view body,
                                          std::string_view content_type) {
  const std::string url = base_url_ + path;
  try {
    return ToHttpResult(client_->Post(prefix_ + path, body.data(), body.size(), std::string(content_type)),
                        url, options_);
  } catch (const std::exception& e) {
    return Unavailable("HTTP request to " + url + " failed: " + e.what());
  }
}

int BindWithBacklog(httplib::Server& server, const std::string& host, int port, int backlog) {
  auto listening_fd = std::make_shared<socket_t>(INVALID_SOCKET);
  // TCP_NODELAY: cpp-httplib writes headers and body with separate send() calls, so with Nagle a
  // response's second write waits for the peer's delayed ACK (40 ms on Linux) — that, not CPU, was
  // the log's per-request latency. Accepted sockets inherit the option from the listening socket.
  server.set_tcp_nodelay(true);
  server.set_socket_options([listening_fd](socket_t sock) {
    httplib::default_socket_options(sock);
    int one = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *listening_fd = sock;
  });
  int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound > 0 && *listening_fd != INVALID_SOCKET) ::listen(*listening_fd, backlog);
  return bound;
}

Status ParseListenAddress(std::string_view listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument("--listen \"" + std::string(listen) + "\" must be HOST:PORT, e.g. 127.0.0.1:8080");
  }
  *host = std::string(listen.substr(0, colon));
  std::string p(listen.substr(colon + 1));
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(p) > 65535) {
    return InvalidArgument("--listen port \"" + p + "\" must be a number 0..65535");
  }
  *port = std::stoi(p);
  return Status::Ok();
}

void InstallShutdownHandler(std::function<void(int signo)> on_signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  std::thread([set, cb = std::move(on_signal)] {
    int signo = 0;
    if (sigwait(&set, &signo) == 0) cb(signo);
  }).detach();
}

void LogToStderr() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto logger = spdlog::stderr_color_mt("keyward-daemon");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  });
}

void PrintReady(const std::string& json) {
  std::printf("READY %s\n", json.c_str());
  std::fflush(stdout);
}

}  // namespace keyward::log
