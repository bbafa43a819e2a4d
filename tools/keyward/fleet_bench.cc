// `keyward fleet bench`: full recoveries (KE1 → KE2 → KE3, both commits) per second against a running
// fleet, then the latency at half that load (scripts/bench.sh section_fleet). Client-side Argon2id is
// excluded (users registered with the Identity KSF). Users are registered through the SDK (not
// measured); the recoveries are driven by a load engine (fleet_bench.h):
//   --engine async (default): N recoveries in flight from a few threads polling gRPC completion
//     queues (fleet_bench_async.cc); the first calls go to the first --vaults address and every
//     worker follows the `keyward-leader` hint of a member that turns its stream away;
//   --engine sdk: N threads calling the blocking VaultClient::Recover. One VaultClient per given
//     address, each given ALL the addresses starting with its own (what an app does): the first
//     calls land on every member and the SDK then follows the members' leader hint
//     (--no-leader-hint: each client keeps its one member, followers relay).
// With --first-flight prepared (the async engine's default) each recovery's first message (credential
// and KE1) is built before its phase, as clients have it ready on their own devices; the phase does
// everything that depends on the vault's answers. The JSON says which, and how many were built live.
// Every recovery is verified (the secret decrypted and compared); any failure makes the exit code 6.
// Prints one JSON object on stdout, with the CPU the nodes (--node-pids) and this process (the
// load generator) used per second.
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
#include "fleet_bench.h"
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
  std::string first_failure;
  double node_cores = -1;
  double client_cores = 0;
  size_t prepared = 0;            // first flights prepared before the phase
  size_t live_first_flights = 0;  // recoveries that built theirs during the phase
  double prepare_us_per_flight = 0;
};

double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// --engine sdk: one thread per concurrent recovery, each calling VaultClient::Recover; thread t
// recovers users t, t + concurrency, ... (two concurrent recoveries of one user would make one
// login_state stale, which is correct behaviour but not what is measured).
class SdkLoadEngine final : public LoadEngine {
 public:
  SdkLoadEngine(std::vector<std::unique_ptr<VaultClient>>* clients, int concurrency, int users, std::string prefix,
                const crypto::SecretBytes* password, const crypto::SecretBytes* expected)
      : clients_(clients), concurrency_(concurrency), users_(users), prefix_(std::move(prefix)),
        password_(password), expected_(expected) {}

  LoadResult Run(double rate_per_s, std::chrono::milliseconds duration) override {
    std::atomic<bool> stop{false};
    std::vector<LoadResult> per(static_cast<size_t>(concurrency_));
    std::vector<std::thread> threads;
    auto start = Clock::now();
    for (int t = 0; t < concurrency_; ++t) {
      threads.emplace_back([&, t] {
        VaultClient& vc = *(*clients_)[static_cast<size_t>(t) % clients_->size()];
        LoadResult& r = per[static_cast<size_t>(t)];
        double period = rate_per_s > 0 ? concurrency_ / rate_per_s : 0;
        auto next = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(period * t / concurrency_));
        for (int i = t; !stop.load(); i += concurrency_) {
          if (period > 0) {
            std::this_thread::sleep_until(next);  // pacing (open-loop schedule), not synchronisation
            next += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(period));
            if (stop.load()) break;
          }
          auto t0 = Clock::now();
          std::string user = prefix_ + std::to_string(i % users_);
          Outcome o = vc.Recover(user, *password_);
          bool ok = o.ok() && o.secret.Equals(*expected_);
          r.latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          if (!ok && r.failures++ == 0) {
            r.first_failure = user + ": " + (o.ok() ? "recovered a secret other than the one registered" : o.message);
          }
        }
      });
    }
    std::this_thread::sleep_for(duration);  // the measurement window
    stop = true;
    for (auto& th : threads) th.join();
    LoadResult all;
    for (auto& r : per) {
      all.latency_ms.insert(all.latency_ms.end(), r.latency_ms.begin(), r.latency_ms.end());
      if (all.failures == 0) all.first_failure = r.first_failure;
      all.failures += r.failures;
    }
    return all;
  }

  std::string Target() const override { return clients_->front()->current_address(); }

 private:
  std::vector<std::unique_ptr<VaultClient>>* clients_;
  const int concurrency_, users_;
  const std::string prefix_;
  const crypto::SecretBytes* password_;
  const crypto::SecretBytes* expected_;
};

}  // namespace

void AddFleetBenchCommand(CLI::App* fleet) {
  struct Flags {
    std::string vaults, trust, app_key, pids, user_prefix = "bench-";
    std::string engine = "async";
    int concurrency = 128;
    int threads = 2;
    std::string write_batching = "on";
    int users = 64;
    int64_t duration_ms = 5000;
    bool no_leader_hint = false;
    std::string call = "stream";
    std::string recover_password = "bench password";
    std::string expect_secret = "0123456789abcdef0123456789abcdef";
    std::string first_flight = "prepared";
    double prepare_rate = 4000;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = fleet->add_subcommand("bench", "Benchmark recoveries/s and p99 at half load against a running fleet (JSON out)");
  cmd->add_option("--vaults", f->vaults, "Client addresses HOST:PORT,... of the members")->required();
  cmd->add_option("--trust", f->trust, "Trust policy file (from `keyward fleet init`)")->required();
  cmd->add_option("--app-key", f->app_key, "Account-authority key file shared by the members")->required();
  cmd->add_option("--engine", f->engine,
                  "Load generator: async (recoveries in flight driven from --threads threads polling gRPC "
                  "completion queues, each following the members' leader hint, as the SDK does) or sdk (one thread per concurrent recovery calling the blocking SDK)")
      ->check(CLI::IsMember({"async", "sdk"}))
      ->capture_default_str();
  cmd->add_option("--concurrency", f->concurrency, "Concurrent recoveries (sdk: client threads). At ~2,000/s each recovery waits for two group "
                  "commits; with fewer than ~96 in flight the leader finds fewer commands per Raft entry and "
                  "the nodes spend more CPU per recovery (docs/benchmarks.md)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_option("--threads", f->threads, "async engine: polling threads, each with its own completion queue and connection (2 cost the nodes less "
                  "CPU per recovery than 1 on the 2-core reference machine: docs/benchmarks.md)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--write-batching", f->write_batching,
                  "async engine: on (each thread handles the completions already queued, then sends the requests "
                  "they produced back to back, so the leader reads and group-commits several at once) or off "
                  "(each request sent as soon as it is ready)")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  cmd->add_option("--first-flight", f->first_flight,
                  "async engine: prepared (each recovery's credential, KE1 and start message are built before the "
                  "phase, one per recovery and each used once, as clients on their own devices have them ready; "
                  "the phase does all that depends on the vault's answers) or live (built when the recovery starts, "
                  "so the generator's KE1 crypto also runs on the cores the nodes use)")
      ->check(CLI::IsMember({"prepared", "live"}))
      ->capture_default_str();
  cmd->add_option("--prepare-rate", f->prepare_rate,
                  "async engine, --first-flight prepared: first flights prepared per second of a full-load phase "
                  "(a recovery beyond them builds its own live; the JSON's first_flights_live counts them)")
      ->check(CLI::Range(1.0, 1e6))
      ->capture_default_str();
  cmd->add_option("--users", f->users, "Users registered and recovered round-robin (rounded up to a multiple of --concurrency)")
      ->capture_default_str();
  cmd->add_option("--user-prefix", f->user_prefix, "User names are PREFIX0, PREFIX1, ... (a second run against the same fleet needs another prefix)")
      ->capture_default_str();
  cmd->add_option("--duration-ms", f->duration_ms, "Length of each measured phase")->capture_default_str();
  cmd->add_flag("--no-leader-hint", f->no_leader_hint,
               "sdk engine: each client talks only to its own member and ignores leader hints (followers relay every call)");
  cmd->add_option("--call", f->call,
                  "sdk engine: how each recovery reaches the fleet: stream (one Vault.Recover stream, the SDK's "
                  "default) or unary (RecoverStart + RecoverFinish); the async engine always uses the stream")
      ->check(CLI::IsMember({"stream", "unary"}))
      ->capture_default_str();
  cmd->add_option("--recover-password", f->recover_password,
                  "Password the recoveries use (users are registered with the default); another one makes every "
                  "recovery fail, which shows the generator verifies")
      ->capture_default_str();
  cmd->add_option("--expect-secret", f->expect_secret,
                  "Secret every recovery must return (users are registered with the default); another one makes "
                  "every recovery count as a failure")
      ->capture_default_str();
  cmd->add_option("--node-pids", f->pids, "PIDs of the member processes (same machine), comma-separated: their CPU use is reported");
  cmd->callback([f] {
    if (f->engine == "async" && (f->no_leader_hint || f->call != "stream")) {
      std::fprintf(stderr, "fleet bench: --no-leader-hint and --call unary need --engine sdk\n");
      ExitCode() = 1;
      return;
    }
    // As on the nodes (fleet_node.cc): Debian's Abseil keeps a lock-order graph of every
    // absl::Mutex (gRPC's) unless told not to; a load generator should not pay for it.
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
    auto key = node::AppKey::Load(f->app_key);
    if (!key.ok()) { std::fprintf(stderr, "fleet bench: %s\n", key.status().message().c_str()); ExitCode() = 1; return; }
    auto shared = std::make_shared<node::AppKey>(std::move(*key));
    std::vector<std::unique_ptr<VaultClient>> clients;
    std::vector<std::string> addrs;
    std::stringstream in(f->vaults);
    for (std::string addr; std::getline(in, addr, ',');) {
      if (!addr.empty()) addrs.push_back(addr);
    }
    if (addrs.empty()) { std::fprintf(stderr, "fleet bench: --vaults lists no address\n"); ExitCode() = 1; return; }
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
    // Slot/thread t recovers only its own users (i ≡ t mod concurrency).
    f->users = (std::max(f->users, f->concurrency) + f->concurrency - 1) / f->concurrency * f->concurrency;
    crypto::SecretBytes password(AsBytes("bench password"));
    crypto::SecretBytes secret(AsBytes("0123456789abcdef0123456789abcdef"));
    crypto::SecretBytes recover_password(AsBytes(f->recover_password));
    crypto::SecretBytes expected(AsBytes(f->expect_secret));
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
    std::unique_ptr<LoadEngine> engine;
    if (f->engine == "async") {
      AsyncLoadConfig config;
      config.addresses = addrs;
      config.trust_policy_path = f->trust;
      config.app_key = shared;
      config.concurrency = f->concurrency;
      config.threads = std::min(f->threads, f->concurrency);
      config.batch_writes = f->write_batching == "on";
      config.users = f->users;
      config.user_prefix = f->user_prefix;
      config.password = recover_password.Clone();
      config.expected_secret = expected.Clone();
      config.prepare_first_flights = f->first_flight == "prepared";
      config.prepare_rate_per_s = f->prepare_rate;
      auto e = MakeAsyncLoadEngine(std::move(config));
      if (!e.ok()) { std::fprintf(stderr, "fleet bench: %s\n", e.status().message().c_str()); ExitCode() = 1; return; }
      engine = std::move(*e);
    } else {
      engine = std::make_unique<SdkLoadEngine>(&clients, f->concurrency, f->users, f->user_prefix, &recover_password, &expected);
    }
    // rate_per_s <= 0: closed loop (max load); otherwise open-loop pacing (LoadEngine::Run).
    auto run = [&](double rate_per_s) {
      // Not measured: the first flights prepared for the phase (their CPU is reported per flight).
      double prep0 = SelfCpuSeconds();
      size_t prepared = engine->Prepare(rate_per_s, std::chrono::milliseconds(f->duration_ms));
      double self0 = SelfCpuSeconds();
      double prep_s = self0 - prep0;
      double cpu0 = pids.empty() ? 0 : cpu();
      auto start = Clock::now();
      LoadResult r = engine->Run(rate_per_s, std::chrono::milliseconds(f->duration_ms));
      Phase ph;
      ph.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (!pids.empty()) ph.node_cores = (cpu() - cpu0) / ph.seconds;
      ph.client_cores = (SelfCpuSeconds() - self0) / ph.seconds;
      std::vector<double>& all = r.latency_ms;
      std::sort(all.begin(), all.end());
      auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]; };
      ph.count = all.size();
      ph.p50 = pct(0.5);
      ph.p99 = pct(0.99);
      ph.failures = r.failures;
      ph.prepared = prepared;
      ph.live_first_flights = engine->LiveFirstFlights();
      ph.prepare_us_per_flight = prepared > 0 ? prep_s * 1e6 / static_cast<double>(prepared) : 0;
      ph.first_failure = std::move(r.first_failure);
      return ph;
    };
    Phase warm = run(0);  // warm-up (connections, leader's caches)
    // The machine's crypto capacity right before and after the full-load phase, every CPU at once:
    // on a shared host a vCPU can lose a third of its speed for tens of seconds (docs/benchmarks.md).
    std::vector<double> cores_before = CoreFloorsMicros();
    Phase max = run(0);
    std::vector<double> cores_after = CoreFloorsMicros();
    double per_s = max.count / max.seconds;
    Phase half = run(per_s / 2);
    // The warm-up's failures are reported, not counted (as before the engines: a first call may meet
    // a leadership still settling); the measured phases' are.
    int failures = max.failures + half.failures;
    for (const Phase* ph : {&warm, &max, &half}) {
      if (ph->failures > 0) {
        std::fprintf(stderr, "fleet bench: %d failed recoveries (warm-up %d); first: %s\n", failures, warm.failures,
                     ph->first_failure.c_str());
        break;
      }
    }
    double floor_us = CryptoFloorMicros();
    double floor_rate_2cores = 2 * 1e6 / floor_us;
    // host_cores: the cores' worth the host gave around the full-load phase, against the fastest
    // floor seen in this run (an unloaded core at full speed).
    double reference_us = floor_us;
    std::vector<double> cores_mean(cores_before.size(), -1);
    for (size_t i = 0; i < cores_before.size(); ++i) {
      if (cores_before[i] > 0) reference_us = std::min(reference_us, cores_before[i]);
      if (i < cores_after.size() && cores_after[i] > 0) reference_us = std::min(reference_us, cores_after[i]);
      if (cores_before[i] > 0 && i < cores_after.size() && cores_after[i] > 0) cores_mean[i] = (cores_before[i] + cores_after[i]) / 2;
    }
    auto list = [](const std::vector<double>& v) {
      std::string out;
      for (double x : v) out += (out.empty() ? "" : ",") + std::to_string(x < 0 ? -1 : static_cast<int>(x + 0.5));
      return "[" + out + "]";
    };
    std::printf("{\"recoveries\":%zu,\"seconds\":%.3f,\"per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                "\"half_load_per_s\":%.1f,\"half_p50_ms\":%.3f,\"half_p99_ms\":%.3f,\"failures\":%d,\"warmup_failures\":%d,"
                "\"concurrency\":%d,\"engine\":\"%s\",\"threads\":%d,\"write_batching\":\"%s\",\"target\":\"%s\","
                "\"floor_us\":%.2f,\"floor_rate_2cores\":%.1f,\"vs_floor\":%.3f,"
                "\"nodes_cores\":%.3f,\"client_cores\":%.3f,\"node_us_per_recovery\":%.1f,"
                "\"client_us_per_recovery\":%.1f,\"core_floors_us_before\":%s,\"core_floors_us_after\":%s,"
                "\"host_cores\":%.2f,\"first_flight\":\"%s\",\"first_flights_prepared\":%zu,"
                "\"first_flights_live\":%zu,\"prepare_us_per_flight\":%.1f}\n",
                max.count, max.seconds, per_s, max.p50, max.p99, half.count / half.seconds, half.p50, half.p99,
                failures, warm.failures, f->concurrency, f->engine.c_str(), f->engine == "async" ? std::min(f->threads, f->concurrency) : f->concurrency,
                f->engine == "async" ? f->write_batching.c_str() : "-",
                engine->Target().c_str(), floor_us, floor_rate_2cores, per_s / floor_rate_2cores,
                max.node_cores, max.client_cores, max.node_cores * 1e6 / per_s, max.client_cores * 1e6 / per_s,
                list(cores_before).c_str(), list(cores_after).c_str(), EffectiveCores(cores_mean, reference_us),
                max.prepared > 0 ? "prepared" : "live", max.prepared, max.live_first_flights, max.prepare_us_per_flight);
    ExitCode() = failures == 0 ? 0 : 6;
  });
}

}  // namespace keyward::cli
