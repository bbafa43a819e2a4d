// Simulation: a deterministic fleet simulator (TigerBeetle VOPR style) around the REAL Raft core
// and PeerChannel. One 64-bit seed decides everything: fault rates, partitions (incl. one-way),
// loss, duplication, delay/reordering, crashes and restarts (all state lost), clock drift (per-node
// tick rate), a malicious host that replays, tampers with and drops chosen envelopes, and clients
// that retry (with the same request id) and replay old requests. Checkers (checker.h) run outside
// the cores; after the fault phase a liveness phase heals everything and requires progress.
//
// Thread-safety: a Simulation is single-threaded; independent Simulations may run in parallel.
#pragma once

#include <cstdint>
#include <string>

namespace keyward::sim {

struct SimOptions {
  uint64_t seed = 1;
  int nodes = 3;                  // 3 or 5
  uint64_t steps = 4000;          // fault phase length in time units (a node ticks every ~10)
  uint64_t liveness_steps = 6000;  // bound for the healed fleet to make progress
  bool verbose = false;           // event log to stderr
  // Silent-member removal (RaftOptions::remove_silent_after_ticks): -1 drawn from the seed (off for
  // about half the seeds), 0 off, N > 0 that many ticks. Seeds found before it existed replay
  // exactly with 0.
  int64_t remove_silent_after_ticks = -1;
};

struct SimResult {
  bool ok = true;
  std::string failure;  // empty if ok
  uint64_t trace_hash = 0;  // FNV-1a over every event: equal for equal seeds
  uint64_t committed = 0;
  uint64_t ops_completed = 0;
  uint64_t releases = 0;
  uint64_t crashes = 0;
  uint64_t elections = 0;
  uint64_t messages = 0;
  uint64_t rejected_envelopes = 0;  // forged / tampered / replayed envelopes the cores refused
};

SimResult RunSimulation(const SimOptions& options);

}  // namespace keyward::sim
