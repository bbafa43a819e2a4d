#include "node/node.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>

#include "core/vault_core.h"
#include "crypto/opaque_server_keys.h"
#include "node/account_token.h"
#include "node/core_host.h"
#include "node/metrics.h"
#include "node/vault_async.h"
#include "node/vault_service.h"
#include "pkcs11/config.h"
#include "pkcs11/dev_token.h"
#include "pkcs11/pkcs11_keystore.h"
#include "trust/pinned.h"

namespace keyward::node {
namespace {

constexpr std::string_view kSetupName = "fleet-opaque-setup";
constexpr std::string_view kSealingName = "fleet-sealing-key";
constexpr std::string_view kDevTokenLabel = "keyward-dev-node";

struct Keys {
  std::unique_ptr<crypto::opaque::InMemoryServerKeys> server_keys;
  crypto::SecretBytes sealing_key;
};

StatusOr<std::unique_ptr<pkcs11::Keystore>> OpenKeystore(const NodeOptions& o) {
  pkcs11::Pkcs11Config config;
  if (o.dev) {
    ASSIGN_OR_RETURN(config, pkcs11::CreateOrOpenDevToken(o.data_dir / "hsm", kDevTokenLabel));
  } else {
    if (o.token_label.empty() || o.pin_source.empty()) {
      return InvalidArgument("without --dev, give --token-label and --pin (env:NAME or file:PATH)");
    }
    if (!o.pkcs11_module.empty()) config.module_path = o.pkcs11_module;
    config.token_label = o.token_label;
    ASSIGN_OR_RETURN(config.pin, pkcs11::PinSource::Parse(o.pin_source));
  }
  ASSIGN_OR_RETURN(auto ks, pkcs11::Pkcs11Keystore::Open(config));
  return std::unique_ptr<pkcs11::Keystore>(std::move(ks));
}

StatusOr<Keys> LoadKeys(pkcs11::Keystore& ks) {
  crypto::SystemRng rng;
  ASSIGN_OR_RETURN(bool have_setup, ks.HasSecret(kSetupName));
  if (!have_setup) {
    auto fresh = crypto::opaque::InMemoryServerKeys::Generate(rng);
    Status put = ks.PutSecret(kSetupName, fresh->ExportServerSetup());
    if (!put.ok() && put.code() != ErrorCode::kAlreadyExists) return put;
    spdlog::info("event=fleet_keys_created keystore={}", ks.kind());
  }
  ASSIGN_OR_RETURN(crypto::SecretBytes setup, ks.GetSecret(kSetupName));
  Keys keys;
  ASSIGN_OR_RETURN(keys.server_keys, crypto::opaque::InMemoryServerKeys::FromServerSetup(setup.Reveal()));
  ASSIGN_OR_RETURN(keys.sealing_key,
                   pkcs11::GetOrCreateSecret(ks, kSealingName, core::kSealingKeySize, rng));
  return keys;
}

Status WriteFileAtomically(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) return IoError("cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return IoError("cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message());
  return Status::Ok();
}

StatusOr<AppKey> LoadOrCreateAppKey(const NodeOptions& o, std::string* path_out) {
  std::filesystem::path path = o.app_key_path;
  if (path.empty()) {
    if (!o.dev) return InvalidArgument("--app-key FILE is required (the account-authority key)");
    path = o.data_dir / "app.key";
    if (!std::filesystem::exists(path)) {
      crypto::SystemRng rng;
      RETURN_IF_ERROR(AppKey::Generate(rng).Save(path));
      spdlog::info("event=app_key_created path={}", path.string());
    }
  }
  *path_out = std::filesystem::absolute(path).string();
  return AppKey::Load(path);
}

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("node");
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Status RunNode(const NodeOptions& options) {
  if (!spdlog::get("node")) SetUpLogging(options.log_level);
  // Debian builds Abseil without NDEBUG, which leaves the lock-order (deadlock) graph of every
  // absl::Mutex — gRPC's locks — on: measurable CPU per call on the hot path, no use in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Block the shutdown signals in every thread (gRPC's and httplib's inherit this mask); the main
  // thread receives them with sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (options.dev) {
    if (options.data_dir.empty()) return InvalidArgument("--dev needs --data-dir DIR");
    std::error_code ec;
    std::filesystem::create_directories(options.data_dir, ec);
    if (ec) return IoError("cannot create --data-dir " + options.data_dir.string() + ": " + ec.message());
  }
  ASSIGN_OR_RETURN(auto keystore, OpenKeystore(options));
  ASSIGN_OR_RETURN(Keys keys, LoadKeys(*keystore));
  core::CoreConfig core_config;
  core_config.max_records = options.max_records;
  ASSIGN_OR_RETURN(auto core, core::VaultCore::Create(*keys.server_keys, std::move(keys.sealing_key),
                                                      core_config));
  std::string app_key_path;
  ASSIGN_OR_RETURN(AppKey app_key, LoadOrCreateAppKey(options, &app_key_path));
  const auto& fleet_key = core->fleet_public_key();
  std::string policy_path;
  if (options.dev) {
    ASSIGN_OR_RETURN(auto policy, trust::PinnedPolicy::Create(options.trust_namespace,
                                                              {{options.fleet_id, fleet_key}}));
    policy_path = std::filesystem::absolute(options.data_dir / "trust.policy").string();
    RETURN_IF_ERROR(WriteFileAtomically(policy_path, policy.Serialize()));
  }

  NodeMetrics metrics;
  RateLimiter limiter(options.rate_limit);
  LocalCoreHost host(core.get());
  VaultService service(&host, &app_key, &limiter, &metrics);
  std::unique_ptr<BundleSource> bundles;  // over-the-air trust: inline delivered bundles
  if (!options.bundle_dir.empty()) {
    ASSIGN_OR_RETURN(bundles, BundleSource::Start({options.bundle_dir, options.trust_namespace, options.bundle_poll}));
    service.set_bundle_source(bundles.get());
  }
  ASSIGN_OR_RETURN(auto host_port, SplitHostPort(options.listen));
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(host_port.first + ":" + std::to_string(host_port.second),
                           grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxRequestBytes));
  builder.SetMaxSendMessageSize(static_cast<int>(kMaxRequestBytes + kMaxInlineBundleBytes));
  // Requests and answers are a few hundred bytes: HTTP/2 BDP probing (a PING per burst of reads,
  // for window sizing of bulk transfers) would only add frames and wake-ups.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder.AddChannelArgument(GRPC_ARG_OPTIMIZATION_TARGET, "throughput");
  StatusOr<std::unique_ptr<VaultServer>> server = VaultServer::Start(builder, &service, options.grpc_threads);
  if (!server.ok() || port == 0) {
    return Unavailable("cannot listen on " + options.listen + "; is the port in use? pick another --listen");
  }
  std::string listen = host_port.first + ":" + std::to_string(port);
  std::unique_ptr<HealthServer> health;
  if (!options.metrics_listen.empty()) {
    ASSIGN_OR_RETURN(health, HealthServer::Start(options.metrics_listen, &metrics));
    health->SetReady(true);
  }
  std::string ready = "READY {\"listen\":" + JsonString(listen);
  if (health) ready += ",\"metrics\":" + JsonString(health->address());
  ready += ",\"fleet_public_key\":\"" + HexEncode(fleet_key) + "\"";
  if (options.dev) {
    ready += ",\"trust_policy\":" + JsonString(policy_path) +
             ",\"app_key\":" + JsonString(app_key_path);
  }
  ready += "}";
  std::printf("%s\n", ready.c_str());
  std::fflush(stdout);
  spdlog::info("event=ready listen={} metrics={} keystore={} fleet_key={} dev={}", listen,
               health ? health->address() : "off", keystore->kind(), HexEncode(fleet_key),
               options.dev);

  int signo = 0;
  sigwait(&signals, &signo);
  spdlog::info("event=shutdown signal={}", signo == SIGTERM ? "SIGTERM" : "SIGINT");
  if (health) health->SetReady(false);
  (*server)->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  health.reset();
  spdlog::info("event=stopped");
  return Status::Ok();
}

}  // namespace keyward::node
