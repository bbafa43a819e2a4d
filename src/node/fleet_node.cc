#include "node/fleet_node.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <thread>

#include "node/account_token.h"
#include "node/fleet_member.h"
#include "node/fleet_peer_server.h"
#include "node/fleet_peer_service.h"
#include "node/fleet_poller.h"
#include "node/fleet_core_host.h"
#include "node/fleet_forwarder.h"
#include "node/vault_async.h"
#include "node/vault_service.h"
#include "node/metrics.h"
#include "pkcs11/config.h"
#include "pkcs11/dev_token.h"
#include "pkcs11/pkcs11_keystore.h"

namespace keyward::node {
namespace {

constexpr std::string_view kFleetTokenLabel = "keyward-fleet-node";

StatusOr<std::unique_ptr<pkcs11::Keystore>> OpenFleetKeystore(const NodeOptions& o) {
  pkcs11::Pkcs11Config config;
  if (o.token_label.empty()) {
    if (o.data_dir.empty()) return InvalidArgument("--fleet-join needs --data-dir DIR or --token-label and --pin");
    ASSIGN_OR_RETURN(config, pkcs11::CreateOrOpenDevToken(o.data_dir / "hsm", kFleetTokenLabel));
  } else {
    if (o.pin_source.empty()) return InvalidArgument("--token-label needs --pin (env:NAME or file:PATH)");
    if (!o.pkcs11_module.empty()) config.module_path = o.pkcs11_module;
    config.token_label = o.token_label;
    ASSIGN_OR_RETURN(config.pin, pkcs11::PinSource::Parse(o.pin_source));
  }
  ASSIGN_OR_RETURN(auto ks, pkcs11::Pkcs11Keystore::Open(config));
  return std::unique_ptr<pkcs11::Keystore>(std::move(ks));
}

StatusOr<AppKey> LoadOrCreateFleetAppKey(const NodeOptions& o, std::string* path_out) {
  std::filesystem::path path = o.app_key_path;
  if (path.empty()) {
    if (o.data_dir.empty()) return InvalidArgument("--app-key FILE is required (the account-authority key)");
    path = o.data_dir / "app.key";
    if (!std::filesystem::exists(path)) {
      crypto::SystemRng rng;
      RETURN_IF_ERROR(AppKey::Generate(rng).Save(path));
    }
  }
  *path_out = std::filesystem::absolute(path).string();
  return AppKey::Load(path);
}

std::string Json(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct Listener {
  std::unique_ptr<VaultServer> vault;      // the Vault service (its own polling thread), or
  std::unique_ptr<FleetPeerServer> peer;   // the Peer service (on the FleetPoller's thread)
  std::string address;
  // Graceful: calls in flight are answered (cancelled after `deadline`).
  void Shutdown(std::chrono::system_clock::time_point deadline) {
    if (vault) vault->Shutdown(deadline);
    if (peer) peer->Shutdown(deadline);
  }
};

// The options both servers share (ports, message sizes, HTTP/2 tuning).
StatusOr<std::pair<std::string, int>> Configure(grpc::ServerBuilder& builder, const std::string& listen,
                                                int* port, size_t max_message) {
  ASSIGN_OR_RETURN(auto host_port, SplitHostPort(listen));
  builder.AddListeningPort(host_port.first + ":" + std::to_string(host_port.second),
                           grpc::InsecureServerCredentials(), port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(max_message));
  builder.SetMaxSendMessageSize(static_cast<int>(max_message));
  // Small messages: HTTP/2 BDP probing (a PING per burst of reads) would only add frames and
  // wake-ups (as for a single node, node.cc).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder.AddChannelArgument(GRPC_ARG_OPTIMIZATION_TARGET, "throughput");
  return host_port;
}

// Serves the Vault service through a VaultServer.
StatusOr<Listener> ListenVault(const std::string& listen, VaultService* vault, size_t max_message) {
  int port = 0;
  grpc::ServerBuilder builder;
  ASSIGN_OR_RETURN(auto host_port, Configure(builder, listen, &port, max_message));
  Listener l;
  StatusOr<std::unique_ptr<VaultServer>> started = VaultServer::Start(builder, vault);
  if (started.ok()) l.vault = std::move(*started);
  if (!l.vault || port == 0) return Unavailable("cannot listen on " + listen + "; is the port in use?");
  l.address = host_port.first + ":" + std::to_string(port);
  return l;
}

// Serves the Peer service on `builder` (whose queue `poller` already polls, FleetPoller(builder)).
StatusOr<Listener> ListenPeer(grpc::ServerBuilder& builder, const std::string& host, const int* port,
                              FleetPoller* poller, FleetPeerService* service, const std::string& listen) {
  Listener l;
  StatusOr<std::unique_ptr<FleetPeerServer>> started = FleetPeerServer::Start(builder, poller, service);
  if (started.ok()) l.peer = std::move(*started);
  if (!l.peer || *port == 0) return Unavailable("cannot listen on " + listen + "; is the port in use?");
  l.address = host + ":" + std::to_string(*port);
  return l;
}

}  // namespace

Status RunFleetNode(const NodeOptions& options, const FleetNodeOptions& fleet) {
  if (!spdlog::get("node")) {
    auto logger = spdlog::stderr_logger_mt("node");
    logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
    logger->set_level(spdlog::level::from_str(options.log_level));
    spdlog::set_default_logger(logger);
  }
  // As in RunNode: Debian's Abseil leaves the lock-order graph of every absl::Mutex (gRPC's) on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  if (!options.data_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.data_dir, ec);
    if (ec) return IoError("cannot create --data-dir " + options.data_dir.string() + ": " + ec.message());
  }
  ASSIGN_OR_RETURN(auto keystore, OpenFleetKeystore(options));
  std::string app_key_path;
  ASSIGN_OR_RETURN(AppKey app_key, LoadOrCreateFleetAppKey(options, &app_key_path));

  // The Peer server's builder and its one completion queue, polled from now on: the queue also
  // carries this member's transport streams (fleet_poller.h), and a restarted member's transport
  // starts with FleetState::Open below. Declared before the state: it outlives the transport.
  grpc::ServerBuilder peer_builder;
  int peer_port = 0;
  ASSIGN_OR_RETURN(auto peer_host_port, Configure(peer_builder, fleet.peer_listen, &peer_port, size_t{96} << 20));
  FleetPoller peer_io(peer_builder);

  NodeMetrics metrics;
  RateLimiter limiter(options.rate_limit);
  FleetState::Config config;
  config.peer_poller = &peer_io;
  config.max_records = options.max_records;
  config.replica.tick = std::chrono::milliseconds(fleet.tick_ms);
  uint32_t ticks = std::max<uint32_t>(2, fleet.election_timeout_ms / std::max<uint32_t>(1, fleet.tick_ms));
  config.replica.election_timeout_min_ticks = ticks;
  config.replica.election_timeout_max_ticks = 2 * ticks;
  config.replica.heartbeat_ticks = std::max<uint32_t>(1, ticks / 10);
  config.replica.min_voters = fleet.min_voters;
  config.replica.batch_window = std::chrono::microseconds(fleet.batch_window_us);
  config.replica.remove_silent_after_ticks =
      fleet.remove_silent_after_ms == 0
          ? 0
          : std::max<uint32_t>(ticks + 1, fleet.remove_silent_after_ms / std::max<uint32_t>(1, fleet.tick_ms));
  config.client_address = options.listen;
  config.peer_address = fleet.peer_listen;
  std::unique_ptr<FleetState> state;
  ASSIGN_OR_RETURN(state, FleetState::Open(std::move(keystore), config));
  // The same Vault service as a single node, over the Raft-backed core host; a member that is not
  // the leader relays calls to the leader (fleet_forwarder.h).
  FleetCoreHost host(state.get(), std::max(2u, std::thread::hardware_concurrency()));
  FleetForwarder forwarder(state.get(), &peer_io);
  VaultService vault(&host, &app_key, &limiter, &metrics);
  vault.set_forwarder(&forwarder);
  std::unique_ptr<BundleSource> bundles;  // over-the-air trust: inline delivered bundles
  if (!options.bundle_dir.empty()) {
    ASSIGN_OR_RETURN(bundles, BundleSource::Start({options.bundle_dir, options.trust_namespace, options.bundle_poll}));
    vault.set_bundle_source(bundles.get());
  }
  FleetPeerService peer_service(state.get());
  // An ephemeral port (0) is resolved here; Identity reports the bound addresses to `fleet init`.
  ASSIGN_OR_RETURN(Listener client, ListenVault(options.listen, &vault, kMaxRequestBytes));
  ASSIGN_OR_RETURN(Listener peer, ListenPeer(peer_builder, peer_host_port.first, &peer_port, &peer_io,
                                             &peer_service, fleet.peer_listen));
  state->SetAddresses(client.address, peer.address);

  std::unique_ptr<HealthServer> health;
  if (!options.metrics_listen.empty()) {
    ASSIGN_OR_RETURN(health, HealthServer::Start(options.metrics_listen, &metrics));
    health->SetReady(true);
  }
  std::string ready = "READY {\"listen\":" + Json(client.address) + ",\"peer_listen\":" + Json(peer.address) +
                      ",\"kx_public_key\":\"" + HexEncode(state->kx_public_key()) + "\"" +
                      ",\"initialized\":" + (state->runtime() ? "true" : "false") +
                      ",\"app_key\":" + Json(app_key_path);
  if (health) ready += ",\"metrics\":" + Json(health->address());
  ready += "}";
  std::printf("%s\n", ready.c_str());
  std::fflush(stdout);
  spdlog::info("event=ready listen={} peer_listen={} member={}", client.address, peer.address,
               state->runtime() ? std::to_string(state->runtime()->id) : "none");

  int signo = 0;
  sigwait(&signals, &signo);
  spdlog::info("event=shutdown signal={}", signo == SIGTERM ? "SIGTERM" : "SIGINT");
  if (health) health->SetReady(false);
  auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(3);
  // The replica first: commits still pending fail at once (clients retry elsewhere), so every
  // call in flight finishes before the servers' deadline.
  // The transport's streams are cancelled there too (its calls end on the peer poller, still
  // running); the poller itself is shut down last, when RunFleetNode returns.
  state->Shutdown();
  client.Shutdown(deadline);
  peer.Shutdown(deadline);
  host.Stop();
  spdlog::info("event=stopped");
  return Status::Ok();
}

}  // namespace keyward::node
