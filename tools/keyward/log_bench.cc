// `keyward log bench`: durable appends per second (issue 4). Starts, inside this process, a real log
// daemon (LogServer: HTTP on loopback, tiles fsynced under a temporary directory) and optionally
// real witness daemons (WitnessServer on loopback), then runs N concurrent submitters that POST
// unique entries over HTTP keep-alive connections for a bounded time, and prints RESULT lines.
// Every counted append was acknowledged with a tlog-proof, i.e. it is in a durable checkpoint.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "crypto/random.h"
#include "log/http_util.h"
#include "log/log_server.h"
#include "commands.h"
#include "log_commands.h"
#include "tlog/cosignature.h"
#include "tlog/note.h"
#include "tlog/proof_file.h"
#include "witness/witness_server.h"

namespace keyward::cli {
namespace {

struct BenchArgs {
  int submitters = 64;
  int witnesses = 0;
  double seconds = 10;
  size_t entry_bytes = 200;
  std::string dir;
  std::string name = "log_appends_per_s";
};

int RunBench(const BenchArgs& a) {
  log::LogToStderr();
  spdlog::set_level(spdlog::level::warn);
  crypto::SystemRng rng;
  std::filesystem::path dir = a.dir;
  bool remove_dir = false;
  if (dir.empty()) {
    char tmpl[] = "/tmp/keyward-log-bench-XXXXXX";
    if (!mkdtemp(tmpl)) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
    remove_dir = true;
  }
  const std::string origin = "bench.keyward.example/log";
  auto log_key = std::make_shared<crypto::Ed25519PrivateKey>(crypto::Ed25519PrivateKey::Generate(rng));
  std::string log_vkey = tlog::Ed25519VerifierKeyString(origin, tlog::kSigTypeEd25519, log_key->public_key());

  std::vector<std::unique_ptr<witness::WitnessServer>> witnesses;
  std::vector<std::thread> threads;
  std::optional<tlog::Policy> policy;
  if (a.witnesses > 0) {
    tlog::Policy p;
    std::vector<std::string> names;
    for (int i = 0; i < a.witnesses; ++i) {
      std::string name = "bench-witness-" + std::to_string(i);
      auto wkey = std::make_shared<crypto::Ed25519PrivateKey>(crypto::Ed25519PrivateKey::Generate(rng));
      auto w = witness::Witness::Open(dir / ("witness-" + std::to_string(i)), {log_vkey}, name, wkey);
      if (!w.ok()) return std::fprintf(stderr, "bench: %s\n", w.status().ToString().c_str()), 1;
      std::string wvkey = (*w)->verifier_key();
      auto srv = witness::WitnessServer::Start(std::move(*w), "127.0.0.1:0");
      if (!srv.ok()) return std::fprintf(stderr, "bench: %s\n", srv.status().ToString().c_str()), 1;
      if (Status st = p.AddWitness(name, wvkey, "http://127.0.0.1:" + std::to_string((*srv)->port())); !st.ok()) {
        return std::fprintf(stderr, "bench: %s\n", st.ToString().c_str()), 1;
      }
      names.push_back(name);
      auto* raw = srv->get();
      threads.emplace_back([raw] { raw->Serve(); });
      witnesses.push_back(std::move(*srv));
    }
    if (Status st = p.AddGroup("witnesses", names.size(), names); !st.ok()) {
      return std::fprintf(stderr, "bench: %s\n", st.ToString().c_str()), 1;
    }
    if (Status st = p.SetQuorum("witnesses"); !st.ok()) return std::fprintf(stderr, "bench: %s\n", st.ToString().c_str()), 1;
    policy = std::move(p);
  }
  const std::string token = "bench-token-" + HexEncode(rng.Array<8>());
  log::LogServerOptions o;
  o.dir = dir / "log";
  o.origin = origin;
  o.key = log_key;
  o.tokens = {token};
  o.witness_policy = policy;
  o.threads = std::max(a.submitters + 16, 32);
  auto server = log::LogServer::Start(std::move(o));
  if (!server.ok()) return std::fprintf(stderr, "bench: %s\n", server.status().ToString().c_str()), 1;
  auto* log_srv = server->get();
  threads.emplace_back([log_srv] { log_srv->Serve(); });
  const int port = log_srv->port();

  std::atomic<uint64_t> ok{0}, failed{0};
  std::atomic<bool> stop{false};
  std::mutex error_mu;
  std::string first_error;
  std::vector<std::vector<double>> latencies(static_cast<size_t>(a.submitters));
  std::vector<std::thread> clients;
  auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < a.submitters; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);  // else each request waits for a delayed ACK (40 ms)
      cli.set_bearer_token_auth(token);
      cli.set_read_timeout(std::chrono::seconds(30));
      std::string entry(a.entry_bytes, 'x');
      for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        std::string prefix = "submitter " + std::to_string(c) + " entry " + std::to_string(i) + "\n";
        std::copy(prefix.begin(), prefix.end(), entry.begin());
        auto t0 = std::chrono::steady_clock::now();
        auto res = cli.Post("/add", entry, "application/octet-stream");
        auto t1 = std::chrono::steady_clock::now();
        if (res && res->status == 200 && res->body.rfind(tlog::kTlogProofHeader, 0) == 0) {
          ok++;
          latencies[static_cast<size_t>(c)].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        } else {
          if (failed++ == 0) {
            std::lock_guard<std::mutex> l(error_mu);
            first_error = res ? "HTTP " + std::to_string(res->status) + " " + res->body.substr(0, 120)
                              : "client error " + httplib::to_string(res.error());
          }
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));  // the measured interval
  stop = true;
  for (auto& t : clients) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto stats = log_srv->stats();
  log_srv->Shutdown();
  for (auto& w : witnesses) w->Shutdown();
  for (auto& t : threads) t.join();
  server->reset();
  witnesses.clear();

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double q) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(q * all.size()))]; };
  double rate = static_cast<double>(ok.load()) / elapsed;
  std::printf("RESULT name=%s value=%.0f unit=appends/s submitters=%d witnesses=%d entry_bytes=%zu seconds=%.1f "
              "acked=%llu failed=%llu checkpoints=%llu checkpoints_per_s=%.1f p50_ms=%.1f p99_ms=%.1f\n",
              a.name.c_str(), rate, a.submitters, a.witnesses, a.entry_bytes, elapsed,
              static_cast<unsigned long long>(ok.load()), static_cast<unsigned long long>(failed.load()),
              static_cast<unsigned long long>(stats.checkpoints), static_cast<double>(stats.checkpoints) / elapsed,
              pct(0.5), pct(0.99));
  std::fflush(stdout);
  if (failed.load() > 0) std::fprintf(stderr, "bench: %llu adds failed; first: %s\n",
                                      static_cast<unsigned long long>(failed.load()), first_error.c_str());
  if (remove_dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return failed.load() == 0 && ok.load() > 0 ? 0 : 1;
}

}  // namespace

void AddLogBenchCommand(CLI::App& log_cmd) {
  auto a = std::make_shared<BenchArgs>();
  auto* cmd = log_cmd.add_subcommand(
      "bench",
      "Benchmark durable appends: start a log (and optionally witnesses) on loopback in this process, run\n"
      "concurrent submitters for a bounded time, print a RESULT line. Exit 0 if every add succeeded.");
  cmd->add_option("--submitters", a->submitters, "Concurrent HTTP submitters")->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--witnesses", a->witnesses, "Witness daemons whose cosignatures (all) each checkpoint needs")
      ->capture_default_str()->check(CLI::Range(0, 8));
  cmd->add_option("--seconds", a->seconds, "Measured duration")->capture_default_str()->check(CLI::Range(0.5, 600.0));
  cmd->add_option("--entry-bytes", a->entry_bytes, "Bytes per entry")->capture_default_str()->check(CLI::Range(64, 65535));
  cmd->add_option("--dir", a->dir, "Log directory (default: a fresh temporary directory, removed afterwards)");
  cmd->add_option("--name", a->name, "Name printed in the RESULT line")->capture_default_str();
  cmd->callback([a] { ExitCode() = RunBench(*a); });
}

}  // namespace keyward::cli
