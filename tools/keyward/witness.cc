// `keyward witness serve`: a C2SP tlog-witness.
#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "key_files.h"
#include "log/http_util.h"
#include "witness/witness_server.h"

namespace keyward::cli {
namespace {

struct WitnessArgs {
  std::string key, listen = "127.0.0.1:8081", state_dir, metrics_listen;
  std::vector<std::string> logs;
};

int RunWitness(const WitnessArgs& a) {
  log::LogToStderr();
  auto key = LoadKeyFile(a.key);
  if (!key.ok()) {
    std::fprintf(stderr, "witness serve: %s\n", key.status().ToString().c_str());
    return 1;
  }
  auto w = witness::Witness::Open(a.state_dir, a.logs, key->name, key->signer);
  if (!w.ok()) {
    std::fprintf(stderr, "witness serve: %s\n", w.status().ToString().c_str());
    return 1;
  }
  static std::atomic<witness::WitnessServer*> live{nullptr};
  static std::atomic<bool> stop{false};
  log::InstallShutdownHandler([](int signo) {
    spdlog::info("event=shutdown signal={}", signo);
    stop = true;
    if (auto* l = live.load()) l->Shutdown();
  });
  std::string vkey = (*w)->verifier_key();
  auto server = witness::WitnessServer::Start(std::move(*w), a.listen, 16, a.metrics_listen);
  if (!server.ok()) {
    std::fprintf(stderr, "witness serve: %s\n", server.status().ToString().c_str());
    return 1;
  }
  live = server->get();
  if (!stop) {
    std::string metrics;
    if ((*server)->metrics_port() > 0) {
      metrics = ",\"metrics\":\"127.0.0.1:" + std::to_string((*server)->metrics_port()) + "\"";
    }
    log::PrintReady("{\"listen\":\"127.0.0.1:" + std::to_string((*server)->port()) + "\",\"vkey\":\"" + vkey +
                    "\"" + metrics + "}");
    (*server)->Serve();
  }
  live = nullptr;
  spdlog::info("event=witness_stopped");
  return 0;
}

}  // namespace

void RegisterWitnessCommand(CLI::App& app) {
  auto* wcmd = app.add_subcommand("witness", "Run a C2SP tlog-witness that cosigns consistent log checkpoints");
  wcmd->require_subcommand(1);
  auto a = std::make_shared<WitnessArgs>();
  auto* serve = wcmd->add_subcommand(
      "serve",
      "Serve POST /add-checkpoint (C2SP tlog-witness): verify the log's signature and the consistency proof from\n"
      "the last cosigned size, persist the new size atomically, then cosign (tlog-cosignature, type 0x04).\n"
      "Prints `READY {\"listen\":...,\"vkey\":...}` on stdout; logs to stderr; SIGTERM/SIGINT exit 0.\n"
      "Exit 1 on bad options or unreadable state.");
  serve->add_option("--key", a->key, "Witness signing key file from `keyward keygen --witness --name NAME` (a key, or a keyward-pkcs11-key/v1 token reference)")->required();
  serve->add_option("--listen", a->listen, "HOST:PORT to listen on (port 0 = ephemeral)")->capture_default_str();
  serve->add_option("--state-dir", a->state_dir, "Directory for the per-log cosigned state (created if missing)")
      ->required();
  serve->add_option("--metrics-listen", a->metrics_listen,
                    "HOST:PORT for a separate listener serving /metrics (Prometheus), /healthz and /readyz "
                    "(port 0 = ephemeral, reported in READY as \"metrics\"); default: none");
  serve->add_option("--log", a->logs, "Verifier key (vkey) of a log to witness; repeat for several logs")->required();
  serve->callback([a] { ExitCode() = RunWitness(*a); });
}

}  // namespace keyward::cli
