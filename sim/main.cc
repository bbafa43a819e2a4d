// keyward_sim: runs the deterministic fleet simulator (sim/simulation.h).
//
//   keyward_sim --seed N [--nodes 3|5] [--steps K]          one run; replays exactly
//   keyward_sim --seed N --count M [--nodes 3|5]            seeds N..N+M-1 (CI sweeps)
//
// The seed is printed first. On a failure it prints the seed, the reason and a one-line replay
// command, and exits 1. Exit code 2 is a usage error.
#include <chrono>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "crypto/random.h"
#include "sim/simulation.h"

int main(int argc, char** argv) {
  keyward::crypto::Init();
  CLI::App app{"Keyward deterministic fleet simulator: real Raft cores, simulated network/clock/faults"};
  keyward::sim::SimOptions opt;
  uint64_t count = 1;
  app.add_option("--seed", opt.seed, "Seed that decides the whole run (printed first)")->required();
  app.add_option("--nodes", opt.nodes, "Fleet size")->check(CLI::IsMember({3, 5}));
  app.add_option("--steps", opt.steps, "Length of the fault phase, in time units (a node ticks every ~10)");
  app.add_option("--liveness-steps", opt.liveness_steps,
                 "Bound for the healed fleet to elect a leader, heal every node and commit a new command");
  app.add_option("--count", count, "Run this many consecutive seeds starting at --seed");
  app.add_flag("--verbose", opt.verbose, "Log faults and node events to stderr");
  app.add_option("--remove-silent-after", opt.remove_silent_after_ticks,
                 "Silent-member removal after N ticks (0: off; default -1: drawn from the seed, on for "
                 "about half the seeds)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  auto start = std::chrono::steady_clock::now();
  uint64_t first = opt.seed;
  uint64_t committed = 0, ops = 0, crashes = 0, rejected = 0;
  for (uint64_t i = 0; i < count; ++i) {
    opt.seed = first + i;
    if (count == 1) std::printf("seed %llu\n", static_cast<unsigned long long>(opt.seed));
    std::fflush(stdout);
    keyward::sim::SimResult r = keyward::sim::RunSimulation(opt);
    committed += r.committed;
    ops += r.ops_completed;
    crashes += r.crashes;
    rejected += r.rejected_envelopes;
    if (!r.ok) {
      std::printf("FAIL seed %llu (nodes %d): %s\nreplay: keyward_sim --seed %llu --nodes %d --steps %llu\n",
                  static_cast<unsigned long long>(opt.seed), opt.nodes, r.failure.c_str(),
                  static_cast<unsigned long long>(opt.seed), opt.nodes,
                  static_cast<unsigned long long>(opt.steps));
      return 1;
    }
    if (count > 1 && (i + 1) % 1000 == 0) {
      double so_far = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("progress: %llu seeds ok in %.0f s\n", static_cast<unsigned long long>(i + 1), so_far);
      std::fflush(stdout);
    }
    if (count == 1) {
      std::printf("ok trace=%016llx committed=%llu ops=%llu releases=%llu crashes=%llu leader_terms=%llu "
                  "messages=%llu rejected_envelopes=%llu\n",
                  static_cast<unsigned long long>(r.trace_hash), static_cast<unsigned long long>(r.committed),
                  static_cast<unsigned long long>(r.ops_completed), static_cast<unsigned long long>(r.releases),
                  static_cast<unsigned long long>(r.crashes), static_cast<unsigned long long>(r.elections),
                  static_cast<unsigned long long>(r.messages),
                  static_cast<unsigned long long>(r.rejected_envelopes));
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (count > 1) {
    std::printf("seeds %llu..%llu ok (nodes %d): committed=%llu ops=%llu crashes=%llu rejected_envelopes=%llu "
                "in %.1f s (%.1f ms/seed)\n",
                static_cast<unsigned long long>(first), static_cast<unsigned long long>(first + count - 1),
                opt.nodes, static_cast<unsigned long long>(committed), static_cast<unsigned long long>(ops),
                static_cast<unsigned long long>(crashes), static_cast<unsigned long long>(rejected), secs,
                1000.0 * secs / static_cast<double>(count));
  }
  return 0;
}
