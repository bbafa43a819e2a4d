// `keyward fleet bench`: full recoveries (KE1 → KE2 → KE3, both commits) per second against a running
// fleet, then the latency at half that load (scripts/bench.sh section_fleet). Client-side Argon2id is
// excluded (users registered with the Identity KSF). One VaultClient per given address, each given
// ALL the addresses starting with its own (what an app does): the first calls land on every member
// and the SDK then follows the members' leader hint (--no-leader-hint: each client keeps its one
// member, followers relay). Client threads are spread over the clients. Prints one JSON object on
// stdout, with the CPU the nodes (--node-pids) and this process (the clients) used per second.
#include <absl/synchronization/mutex.h>
#include <sodium.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "bench_measure.h"
#include "commands.h"
#include "keyward/client.h"
#include "node/account_token.h"

namespace keyward::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Phase {
  size_t count = 0;
  double seconds = 0;
  double p50 = 0, p99 = 0;
  int failures = 0;
  double node_cores = -1;
  double client_cores = 0;
};

double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

void AddFleetBenchCommand(CLI::App* fleet) {
  struct Flags {
    std::string vaults, trust, app_key, pids, user_prefix = "bench-";
    int concurrency = 32;
    int users = 64;
    int64_t duration_ms = 5000;
    bool no_leader_hint = false;
    std::string call = "stream";
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = fleet->add_subcommand("bench", "Benchmark recoveries/s and p99 at half load against a running fleet (JSON out)");
  cmd->add_option("--vaults", f->vaults, "Client addresses HOST:PORT,... of the members")->required();
  cmd->add_option("--trust", f->trust, "Trust policy file (from `keyward fleet init`)")->required();
  cmd->add_option("--app-key", f->app_key, "Account-authority key file shared by the members")->required();
  cmd->add_option("--concurrency", f->concurrency, "Concurrent client threads")->capture_default_str();
  cmd->add_option("--users", f->users, "Users registered and recovered round-robin")->capture_default_str();
  cmd->add_option("--user-prefix", f->user_prefix, "User names are PREFIX0, PREFIX1, ... (a second run against the same fleet needs another prefix)")
      ->capture_default_str();
  cmd->add_option("--duration-ms", f->duration_ms, "Length of each measured phase")->capture_default_str();
  cmd->add_flag("--no-leader-hint", f->no_leader_hint,
               "Each client talks only to its own member and ignores leader hints (followers relay every call)");
  cmd->add_option("--call", f->call,
                  "How each recovery reaches the fleet: stream (one Vault.Recover stream, the SDK's default) or "
                  "unary (RecoverStart + RecoverFinish)")
      ->check(CLI::IsMember({"stream", "unary"}))
      ->capture_default_str();
  cmd->add_option("--node-pids", f->pids, "PIDs of the member processes (same machine), comma-separated: their CPU use is reported");
  cmd->callback([f] {
    // As on the nodes (fleet_node.cc): Debian's Abseil keeps a lock-order graph of every
    // absl::Mutex (gRPC's) unless told not to; a load generator should not pay for it.
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
    auto key = node::AppKey::Load(f->app_key);
    if (!key.ok()) { std::fprintf(stderr, "fleet bench: %s\n", key.status().message().c_str()); ExitCode() = 1; return; }
    auto shared = std::make_shared<node::AppKey>(std::move(*key));
    std::vector<std::unique_ptr<VaultClient>> clients;
    std::vector<std::string> addrs;
    std::stringstream in(f->vaults);
    for (std::string addr; std::getline(in, addr, ',');) addrs.push_back(addr);
    for (size_t k = 0; k < addrs.size(); ++k) {
      VaultClient::Config config;
      config.vault_address = addrs[k];
      if (f->no_leader_hint) {
        config.follow_leader_hint = false;
      } else {
        for (size_t j = 1; j < addrs.size(); ++j) config.vault_addresses.push_back(addrs[(k + j) % addrs.size()]);
      }
      config.trust_policy_path = f->trust;
      config.ksf = crypto::KsfConfig::Identity();
      config.recover_stream = f->call == "stream";
      config.credentials = [shared](std::string_view u) -> StatusOr<Bytes> {
        return shared->Mint(AsBytes(u), node::NowUnixSeconds() + 3600);
      };
      auto c = VaultClient::Create(std::move(config));
      if (!c.ok()) { std::fprintf(stderr, "fleet bench: %s\n", c.status().message().c_str()); ExitCode() = 2; return; }
      clients.push_back(std::move(*c));
    }
    std::vector<int> pids;
    std::stringstream pin(f->pids);
    for (std::string p; std::getline(pin, p, ',');) pids.push_back(std::stoi(p));
    auto cpu = [&] {
      double total = 0;
      for (int p : pids) total += ProcessCpuSeconds(p);
      return total;
    };
    // Each thread recovers only its own users (i ≡ t mod concurrency): two concurrent recoveries of
    // one user would make one login_state stale, which is correct behaviour but not what is measured.
    f->users = (std::max(f->users, f->concurrency) + f->concurrency - 1) / f->concurrency * f->concurrency;
    crypto::SecretBytes password(AsBytes("bench password"));
    crypto::SecretBytes secret(AsBytes("0123456789abcdef0123456789abcdef"));
    for (int u = 0; u < f->users; ++u) {
      Outcome r;
      for (int attempt = 0; attempt < 50; ++attempt) {
        r = clients[static_cast<size_t>(u) % clients.size()]->Register(f->user_prefix + std::to_string(u), password, secret,
                                                                        {.max_attempts = 10});
        if (r.kind != ClientErrorKind::kUnavailable) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // election: bounded retry
      }
      if (!r.ok()) { std::fprintf(stderr, "fleet bench: register: %s\n", r.message.c_str()); ExitCode() = 5; return; }
    }
    // rate_per_s <= 0: closed loop (max load); otherwise each thread paces itself.
    auto run = [&](double rate_per_s) {
      std::atomic<bool> stop{false};
      std::atomic<int> failures{0};
      std::vector<std::vector<double>> lat(static_cast<size_t>(f->concurrency));
      std::vector<std::thread> threads;
      double cpu0 = pids.empty() ? 0 : cpu();
      double self0 = SelfCpuSeconds();
      auto start = Clock::now();
      for (int t = 0; t < f->concurrency; ++t) {
        threads.emplace_back([&, t] {
          VaultClient& vc = *clients[static_cast<size_t>(t) % clients.size()];
          double period = rate_per_s > 0 ? f->concurrency / rate_per_s : 0;
          auto next = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(period * t / f->concurrency));
          for (int i = t; !stop.load(); i += f->concurrency) {
            if (period > 0) {
              std::this_thread::sleep_until(next);  // pacing (open-loop schedule), not synchronisation
              next += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(period));
              if (stop.load()) break;
            }
            auto t0 = Clock::now();
            Outcome o = vc.Recover(f->user_prefix + std::to_string(i % f->users), password);
            if (!o.ok()) failures++;
            lat[static_cast<size_t>(t)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          }
        });
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(f->duration_ms));  // the measurement window
      stop = true;
      for (auto& th : threads) th.join();
      Phase ph;
      ph.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (!pids.empty()) ph.node_cores = (cpu() - cpu0) / ph.seconds;
      ph.client_cores = (SelfCpuSeconds() - self0) / ph.seconds;
      std::vector<double> all;
      for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
      std::sort(all.begin(), all.end());
      auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]; };
      ph.count = all.size();
      ph.p50 = pct(0.5);
      ph.p99 = pct(0.99);
      ph.failures = failures.load();
      return ph;
    };
    run(0);  // warm-up (connections, leader's caches)
    Phase max = run(0);
    double per_s = max.count / max.seconds;
    Phase half = run(per_s / 2);
    double floor_us = CryptoFloorMicros();
    double floor_rate_2cores = 2 * 1e6 / floor_us;
    std::printf("{\"recoveries\":%zu,\"seconds\":%.3f,\"per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                "\"half_load_per_s\":%.1f,\"half_p50_ms\":%.3f,\"half_p99_ms\":%.3f,\"failures\":%d,"
                "\"concurrency\":%d,\"floor_us\":%.2f,\"floor_rate_2cores\":%.1f,\"vs_floor\":%.3f,"
                "\"nodes_cores\":%.3f,\"client_cores\":%.3f,\"node_us_per_recovery\":%.1f,"
                "\"client_us_per_recovery\":%.1f}\n",
                max.count, max.seconds, per_s, max.p50, max.p99, half.count / half.seconds, half.p50, half.p99,
                max.failures + half.failures, f->concurrency, floor_us, floor_rate_2cores, per_s / floor_rate_2cores,
                max.node_cores, max.client_cores, max.node_cores * 1e6 / per_s, max.client_cores * 1e6 / per_s);
    ExitCode() = max.failures + half.failures == 0 ? 0 : 6;
  });
}

}  // namespace keyward::cli
