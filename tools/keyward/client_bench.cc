// `keyward client bench`: full recoveries per second through gRPC against a running node, with N
// concurrent client threads (scripts/bench.sh section_node). Client-side Argon2id is excluded: the
// benchmark users are registered with the Identity KSF, so what is timed is the node (gRPC + core:
// counter update, OPRF, 3DH, KE3 check, secret encryption) plus the client's OPAQUE group
// operations. Each recovery is one Vault.Recover stream (--call unary: RecoverStart +
// RecoverFinish, as before the stream existed). Prints one JSON object on stdout.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <sodium.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "bench_measure.h"
#include "commands.h"
#include "keyward/client.h"
#include "node/account_token.h"

namespace keyward::cli {

void AddClientBenchCommand(CLI::App* client) {
  struct Flags {
    std::string vault, trust, app_key;
    int concurrency = 4;
    int users = 16;
    int64_t duration_ms = 5000;
    int node_pid = 0;
    std::string call = "stream";
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = client->add_subcommand("bench", "Benchmark full recoveries/s against a running node (JSON out)");
  cmd->add_option("--vault", f->vault, "Node address HOST:PORT")->required();
  cmd->add_option("--trust", f->trust, "Trust policy file")->required();
  cmd->add_option("--app-key", f->app_key, "Account-authority key file")->required();
  cmd->add_option("--concurrency", f->concurrency, "Concurrent client threads")->capture_default_str();
  cmd->add_option("--users", f->users, "Users registered and recovered round-robin")->capture_default_str();
  cmd->add_option("--duration-ms", f->duration_ms, "Measurement time")->capture_default_str();
  cmd->add_option("--node-pid", f->node_pid,
                  "PID of the node (same machine): its CPU use in the window is reported");
  cmd->add_option("--call", f->call,
                  "How each recovery reaches the node: stream (one Vault.Recover stream) or unary "
                  "(RecoverStart + RecoverFinish)")
      ->check(CLI::IsMember({"stream", "unary"}))
      ->capture_default_str();
  cmd->callback([f] {
    auto key = node::AppKey::Load(f->app_key);
    if (!key.ok()) { std::fprintf(stderr, "bench: %s\n", key.status().message().c_str()); ExitCode() = 1; return; }
    auto shared = std::make_shared<node::AppKey>(std::move(*key));
    VaultClient::Config config;
    config.vault_address = f->vault;
    config.trust_policy_path = f->trust;
    config.ksf = crypto::KsfConfig::Identity();
    config.recover_stream = f->call == "stream";
    config.credentials = [shared](std::string_view u) -> StatusOr<Bytes> {
      return shared->Mint(AsBytes(u), node::NowUnixSeconds() + 3600);
    };
    // The bench users are (re-)registered by the authority, so a second run on the same node works.
    config.authority_credentials = [shared](std::string_view u) -> StatusOr<Bytes> {
      return shared->Mint(AsBytes(u), node::NowUnixSeconds() + 3600,
                          node::CredentialScope::kAccountAuthority);
    };
    auto c = VaultClient::Create(std::move(config));
    if (!c.ok()) { std::fprintf(stderr, "bench: %s\n", c.status().message().c_str()); ExitCode() = 2; return; }
    VaultClient& vc = **c;
    crypto::SecretBytes password(AsBytes("bench password"));
    crypto::SecretBytes secret(AsBytes("0123456789abcdef0123456789abcdef"));
    for (int u = 0; u < f->users; ++u) {
      Outcome r = vc.Register("bench-" + std::to_string(u), password, secret, {.max_attempts = 10, .as_account_authority = true});
      if (!r.ok()) { std::fprintf(stderr, "bench: register: %s\n", r.message.c_str()); ExitCode() = 5; return; }
    }
    using Clock = std::chrono::steady_clock;
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::vector<std::vector<double>> lat(static_cast<size_t>(f->concurrency));
    std::vector<std::thread> threads;
    double floor_us = CryptoFloorMicros();
    double node_cpu0 = f->node_pid > 0 ? ProcessCpuSeconds(f->node_pid) : -1;
    auto start = Clock::now();
    for (int t = 0; t < f->concurrency; ++t) {
      threads.emplace_back([&, t] {
        for (int i = t; !stop.load(); i += f->concurrency) {
          auto t0 = Clock::now();
          Outcome o = vc.Recover("bench-" + std::to_string(i % f->users), password);
          if (!o.ok()) failures++;
          lat[static_cast<size_t>(t)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(f->duration_ms));  // the measurement window
    stop = true;
    for (auto& th : threads) th.join();
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    double node_cores = node_cpu0 >= 0 ? (ProcessCpuSeconds(f->node_pid) - node_cpu0) / seconds : -1;
    std::vector<double> all;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]; };
    std::printf("{\"recoveries\":%zu,\"seconds\":%.3f,\"per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                "\"failures\":%d,\"concurrency\":%d,\"floor_us\":%.2f,\"node_cores\":%.3f,"
                "\"vs_floor_per_core\":%.3f,\"call\":\"%s\"}\n",
                all.size(), seconds, all.size() / seconds, pct(0.50), pct(0.99), failures.load(), f->concurrency,
                floor_us, node_cores,
                node_cores > 0 ? (all.size() / seconds / node_cores) / (1e6 / floor_us) : -1.0,
                f->call.c_str());
    ExitCode() = failures.load() == 0 ? 0 : 6;
  });
}

}  // namespace keyward::cli
