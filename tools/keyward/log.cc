// `keyward log serve|verify|bench`: the audit-log daemon and its client-side verifier.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "key_files.h"
#include "log/durable_file.h"
#include "log/http_util.h"
#include "log/log_server.h"
#include "log/log_verifier.h"
#include "log_commands.h"

namespace keyward::cli {
namespace {

struct ServeArgs {
  std::string dir, origin, key, listen = "127.0.0.1:8080", token_file, witnesses, metrics_listen;
  int threads = 128;
  size_t max_batch = 8192;
  int batch_delay_ms = 0;
};

StatusOr<tlog::Policy> LoadPolicy(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, log::ReadFileText(path, tlog::kMaxPolicyBytes));
  auto p = tlog::Policy::Parse(text);
  if (!p.ok()) return p.status().WithContext("policy file " + path);
  return p;
}

int RunServe(const ServeArgs& a) {
  log::LogToStderr();
  auto key = LoadKeyFile(a.key);
  if (!key.ok()) {
    std::fprintf(stderr, "log serve: %s\n", key.status().ToString().c_str());
    return 1;
  }
  std::string origin = a.origin.empty() ? key->name : a.origin;
  if (origin != key->name) {
    std::fprintf(stderr,
                 "log serve: --origin \"%s\" differs from the key's name \"%s\"; a checkpoint's key name must be "
                 "its origin (create the key with `keyward keygen --name %s`)\n",
                 origin.c_str(), key->name.c_str(), origin.c_str());
    return 1;
  }
  log::LogServerOptions o;
  o.dir = a.dir;
  o.origin = origin;
  o.key = key->signer;
  o.listen = a.listen;
  o.metrics_listen = a.metrics_listen;
  o.threads = a.threads;
  o.sequencer.max_batch = a.max_batch;
  o.sequencer.batch_delay = std::chrono::milliseconds(a.batch_delay_ms);
  auto tokens = log::ReadTokenFile(a.token_file);
  if (!tokens.ok()) {
    std::fprintf(stderr, "log serve: %s\n", tokens.status().ToString().c_str());
    return 1;
  }
  o.tokens = std::move(*tokens);
  if (!a.witnesses.empty()) {
    auto p = LoadPolicy(a.witnesses);
    if (!p.ok()) {
      std::fprintf(stderr, "log serve: %s\n", p.status().ToString().c_str());
      return 1;
    }
    o.witness_policy = std::move(*p);
  }
  // Block SIGTERM/SIGINT before any thread starts; the handler thread stops the server.
  static std::atomic<log::LogServer*> live{nullptr};
  static std::atomic<bool> stop{false};
  log::InstallShutdownHandler([](int signo) {
    spdlog::info("event=shutdown signal={}", signo);
    stop = true;
    if (auto* l = live.load()) l->Shutdown();
  });
  auto server = log::LogServer::Start(std::move(o));
  if (!server.ok()) {
    std::fprintf(stderr, "log serve: %s\n", server.status().ToString().c_str());
    return 1;
  }
  live = server->get();
  if (stop) {
    live = nullptr;
    return 0;
  }
  std::string metrics;
  if ((*server)->metrics_port() > 0) {
    metrics = ",\"metrics\":\"127.0.0.1:" + std::to_string((*server)->metrics_port()) + "\"";
  }
  log::PrintReady("{\"listen\":\"127.0.0.1:" + std::to_string((*server)->port()) + "\",\"vkey\":\"" +
                  (*server)->verifier_key() + "\"" + metrics + "}");
  (*server)->Serve();
  live = nullptr;
  return 0;
}

struct VerifyArgs {
  std::string url, vkey, policy, state;
  bool full = false;
};

int RunVerify(const VerifyArgs& a) {
  log::LogVerifyOptions o;
  o.url = a.url;
  o.vkey = a.vkey;
  o.state_path = a.state;
  o.full = a.full;
  if (!a.policy.empty()) {
    auto p = LoadPolicy(a.policy);
    if (!p.ok()) {
      std::fprintf(stderr, "log verify: %s\n", p.status().ToString().c_str());
      return 1;
    }
    o.policy = std::move(*p);
  }
  if (a.full && isatty(STDERR_FILENO)) {
    o.progress = [](uint64_t done, uint64_t total) {
      int pct = total ? static_cast<int>(done * 100 / total) : 100;
      std::string bar(static_cast<size_t>(pct / 2), '#');
      bar.resize(50, ' ');
      std::fprintf(stderr, "\r[%s] %3d%% %llu/%llu entries", bar.c_str(), pct, static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(total));
      if (done == total) std::fprintf(stderr, "\n");
    };
  }
  auto r = log::VerifyLog(o);
  if (!r.ok()) {
    std::fprintf(stderr, "log verify: FAILED: %s\n", r.status().ToString().c_str());
    return 2;
  }
  std::string ws;
  for (const auto& w : r->witnesses) ws += (ws.empty() ? "" : ",") + w;
  std::printf("OK origin=%s size=%llu root=%s witnesses=%s consistent_from=%s full=%s\n",
              r->checkpoint.origin.c_str(), static_cast<unsigned long long>(r->checkpoint.size),
              tlog::HashToBase64(r->checkpoint.root).c_str(), ws.empty() ? "-" : ws.c_str(),
              r->consistent_from ? std::to_string(*r->consistent_from).c_str() : "-", r->full_checked ? "yes" : "no");
  return 0;
}

}  // namespace

void RegisterLogCommand(CLI::App& app) {
  auto* log_cmd = app.add_subcommand("log", "Run or verify a transparency log (C2SP tlog-tiles, tlog-witness)");
  log_cmd->require_subcommand(1);

  auto s = std::make_shared<ServeArgs>();
  auto* serve = log_cmd->add_subcommand(
      "serve",
      "Serve an append-only audit log: GET /checkpoint, /tile/... (C2SP tlog-tiles, static files under --dir),\n"
      "POST /add (bearer token; answers a C2SP tlog-proof once the entry is in a durable checkpoint).\n"
      "Prints `READY {\"listen\":...}` on stdout when listening; logs to stderr; SIGTERM/SIGINT publish the\n"
      "in-flight batch and exit 0. Exit 1 on bad options or if the directory cannot be recovered.");
  serve->add_option("--dir", s->dir, "Log directory (tiles, entry bundles, checkpoint); created if missing")->required();
  serve->add_option("--key", s->key, "Log signing key file from `keyward keygen --name ORIGIN` (a key, or a keyward-pkcs11-key/v1 reference to a key in a PKCS#11 token)")->required();
  serve->add_option("--origin", s->origin, "Log origin (checkpoint first line); defaults to, and must equal, the key name");
  serve->add_option("--listen", s->listen, "HOST:PORT to listen on (port 0 = ephemeral)")->capture_default_str();
  serve->add_option("--token-file", s->token_file, "File of bearer tokens accepted by POST /add, one per line")->required();
  serve->add_option("--witnesses", s->witnesses,
                    "tlog-policy file naming witnesses (with URLs) and the quorum; checkpoints are published only "
                    "once the quorum cosigned");
  serve->add_option("--metrics-listen", s->metrics_listen,
                    "HOST:PORT for a separate listener serving /metrics (Prometheus), /healthz and /readyz "
                    "(port 0 = ephemeral, reported in READY as \"metrics\"); default: none");
  serve->add_option("--threads", s->threads, "HTTP worker threads (at least the number of concurrent submitters)")
      ->capture_default_str()->check(CLI::Range(4, 4096));
  serve->add_option("--max-batch", s->max_batch, "Maximum entries integrated per checkpoint")
      ->capture_default_str()->check(CLI::Range(1, 1 << 20));
  serve->add_option("--batch-delay-ms", s->batch_delay_ms,
                    "Extra milliseconds to wait for a batch to fill before integrating (0 = pure group commit)")
      ->capture_default_str()->check(CLI::Range(0, 10000));
  serve->callback([s] { ExitCode() = RunServe(*s); });

  auto v = std::make_shared<VerifyArgs>();
  auto* verify = log_cmd->add_subcommand(
      "verify",
      "Fetch a log's checkpoint, verify its signature (and witness quorum with --policy), prove consistency with\n"
      "the checkpoint saved in --state and update it atomically. Exit 0 ok, 1 usage error, 2 verification failed.");
  verify->add_option("--url", v->url, "Log base URL, e.g. http://127.0.0.1:8080")->required();
  verify->add_option("--vkey", v->vkey, "The log's verifier key (name+id+base64)")->required();
  verify->add_option("--policy", v->policy, "tlog-policy file: require its witness quorum on the checkpoint");
  verify->add_option("--state", v->state, "File holding the last verified checkpoint (created/updated)");
  verify->add_flag("--full", v->full, "Also download every entry bundle and recompute the tree root");
  verify->callback([v] { ExitCode() = RunVerify(*v); });

  AddLogBenchCommand(*log_cmd);
}

}  // namespace keyward::cli
