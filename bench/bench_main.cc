// main() of keyward_bench (every bench/*.cc is linked into it; see bench/CMakeLists.txt): initialises
// libsodium once, then runs Google Benchmark. Benchmark files define only BENCHMARK()s, no main().
#include <benchmark/benchmark.h>

#include "crypto/random.h"

int main(int argc, char** argv) {
  keyward::crypto::Init();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
