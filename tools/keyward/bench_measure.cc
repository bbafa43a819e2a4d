// CPU-time measurements shared by the CLI's benchmarks (bench_measure.h).
#include "bench_measure.h"

#include <pthread.h>
#include <sched.h>
#include <sodium.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace keyward::cli {

// utime + stime of `pid` in seconds (/proc/PID/stat fields 14 and 15), or -1.
double ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The crypto floor of one server-side recovery (issue 2): 4 variable-base + 1 fixed-base
// ristretto255 scalar multiplications, CPU µs on one core (median of 7 batches).
double CryptoFloorMicros() {
  unsigned char s[32], p[32], q[32];
  crypto_core_ristretto255_scalar_random(s);
  crypto_scalarmult_ristretto255_base(p, s);
  std::vector<double> batches;
  for (int b = 0; b < 7; ++b) {
    const int n = 300;
    double t0 = ThreadCpuSeconds();
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k < 4; ++k) {
        if (crypto_scalarmult_ristretto255(q, s, p) != 0) return -1;
      }
      crypto_scalarmult_ristretto255_base(p, s);
    }
    batches.push_back((ThreadCpuSeconds() - t0) * 1e6 / n);
  }
  std::sort(batches.begin(), batches.end());
  return batches[3];
}

std::vector<double> CoreFloorsMicros() {
  const long cpus = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  std::vector<double> floors(static_cast<size_t>(cpus), -1);
  std::vector<std::thread> threads;
  for (long cpu = 0; cpu < cpus; ++cpu) {
    threads.emplace_back([cpu, &floors] {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(static_cast<int>(cpu), &set);
      // Pinned so that each figure is one CPU's; unpinnable (cpuset): measured wherever it runs.
      pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
      floors[static_cast<size_t>(cpu)] = CryptoFloorMicros();
    });
  }
  for (std::thread& t : threads) t.join();
  return floors;
}

double EffectiveCores(const std::vector<double>& floors_us, double reference_us) {
  double cores = 0;
  for (double f : floors_us) {
    if (f > 0 && reference_us > 0) cores += std::min(1.0, reference_us / f);
  }
  return cores;
}

}  // namespace keyward::cli
