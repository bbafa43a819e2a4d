// The load engines of `keyward fleet bench` (fleet_bench.cc): what drives the recoveries of one
// measured phase. Two engines do the same client work per recovery (account credential minted with
// the app key, OPAQUE client StartRecovery -> ContinueRecovery -> FinishRecovery over one
// Vault.Recover stream, the fleet key checked, the secret decrypted and compared):
//   sdk:   `concurrency` threads, each calling the blocking SDK VaultClient::Recover (fleet_bench.cc);
//   async: `concurrency` recoveries in flight driven by `threads` threads, each polling its own
//          grpc::CompletionQueue (fleet_bench_async.cc), so the generator's own overhead (thread
//          wake-ups, gRPC's sync client) stays small next to the nodes it measures.
//
// Ownership: an engine owns its channels, queues and copies of the configuration. Thread-safety:
// Run is called from one thread at a time; it starts and joins its own threads.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "crypto/secret.h"
#include "node/account_token.h"

namespace keyward::cli {

// What one phase produced: one latency per recovery that ended (failed ones included) and how many
// of them failed (an error, a wrong outcome or a secret other than the expected one).
struct LoadResult {
  std::vector<double> latency_ms;
  int failures = 0;
  std::string first_failure;  // what the first failure said ("" if none)
};

class LoadEngine {
 public:
  virtual ~LoadEngine() = default;
  // Runs recoveries for `duration` (none is started after it; those in flight are finished).
  // rate_per_s <= 0: closed loop (each in-flight slot starts its next recovery when one ends);
  // otherwise open-loop pacing: slot s of N starts at start + k·N/rate + s/rate (k = 0, 1, ...),
  // or as soon as its previous recovery ended if that is later.
  virtual LoadResult Run(double rate_per_s, std::chrono::milliseconds duration) = 0;
  // Before a phase: prepares the first flights of the recoveries the next Run(rate_per_s,
  // duration) may start (AsyncLoadConfig::prepare_first_flights); returns how many. An engine that
  // prepares nothing returns 0.
  virtual size_t Prepare(double /*rate_per_s*/, std::chrono::milliseconds /*duration*/) { return 0; }
  // How many recoveries of the last Run had no prepared first flight and computed it live.
  virtual size_t LiveFirstFlights() const { return 0; }
  // Where the recoveries went at the end of the last phase (the leader, when hints are followed).
  virtual std::string Target() const = 0;
};

struct AsyncLoadConfig {
  std::vector<std::string> addresses;  // members' client addresses; recoveries start at the first
  std::string trust_policy_path;       // pinned trust policy (from `keyward fleet init`)
  std::shared_ptr<node::AppKey> app_key;
  int concurrency = 48;  // recoveries in flight
  int threads = 2;       // polling threads, each with its own completion queue and connections
  int users = 48;        // users PREFIX0..PREFIX<users-1>, a multiple of concurrency
  std::string user_prefix;
  crypto::SecretBytes password;         // what the recoveries use
  crypto::SecretBytes expected_secret;  // what every recovery must return
  std::chrono::milliseconds call_timeout{10000};
  // Each thread handles the events already in its queue before it sends the requests they
  // produced, back to back (at most 16 wait): the leader then reads several at once and its group
  // commit batches them, as with the SDK engine's bursts of threads. false: each is sent at once.
  bool batch_writes = true;
  // The first flight of a recovery (its account credential, OPAQUE KE1 with a fresh blind, nonce
  // and ephemeral key, and the request) depends on nothing the vault says, so a client can have it
  // ready before it calls, as every client of a real fleet does on its own device. true: Prepare()
  // builds them ahead of each phase, one per recovery and each used once, and the phase does
  // everything that depends on the vault's answers (KE2 checked against the pinned key, KE3, the
  // secret decrypted and compared); the generator then takes less of the 2 cores that the nodes
  // share with it. false: each first flight is built when its recovery starts.
  bool prepare_first_flights = false;
  // Closed-loop phases (no rate): first flights prepared for this many recoveries per second; a
  // recovery beyond them computes its own live (counted by LiveFirstFlights).
  double prepare_rate_per_s = 4000;
};

// The async engine (fleet_bench_async.cc). InvalidArgument for a bad configuration, or a trust
// policy that does not pin the fleet key.
StatusOr<std::unique_ptr<LoadEngine>> MakeAsyncLoadEngine(AsyncLoadConfig config);

}  // namespace keyward::cli
