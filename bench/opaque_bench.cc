// Issue 2 benchmark: the server-side cost of an OPAQUE login against its cryptographic floor.
//
// BM_CryptoFloor is what no ristretto255 OPAQUE-3DH server can avoid per login: the OPRF evaluation
// (1 variable-base multiplication), its ephemeral key share (1 fixed-base multiplication) and the
// three 3DH products (3 variable-base multiplications), all with libsodium. BM_OpaqueServerLogin
// is the real thing (KE1 -> KE2 -> KE3 check). scripts/bench.sh turns the two into
// `RESULT name=opaque_login_vs_floor` (target: within 1.15x) and compares with opaque-ke
// (tests/interop/bench_serenity.mjs; target: at least 3.5x faster). docs/benchmarks.md records runs.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "crypto/random.h"

namespace keyward {
namespace {

using Point = std::array<uint8_t, crypto_core_ristretto255_BYTES>;
using ScalarBytes = std::array<uint8_t, crypto_core_ristretto255_SCALARBYTES>;

// Aborts the benchmark binary: a failed libsodium call here means the measurement is meaningless.
void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "opaque_bench: %s failed\n", what);
    std::abort();
  }
}

ScalarBytes RandomScalar(crypto::Rng& rng) {
  std::array<uint8_t, crypto_core_ristretto255_NONREDUCEDSCALARBYTES> wide;
  rng.Fill(wide);
  ScalarBytes s;
  crypto_core_ristretto255_scalar_reduce(s.data(), wide.data());
  return s;
}

Point RandomPoint(crypto::Rng& rng) {
  std::array<uint8_t, crypto_core_ristretto255_HASHBYTES> wide;
  rng.Fill(wide);
  Point p;
  Require(crypto_core_ristretto255_from_hash(p.data(), wide.data()) == 0, "from_hash");
  return p;
}

// Exactly 4 variable-base + 1 fixed-base ristretto255 scalar multiplications per iteration, each
// on distinct valid inputs (distinct points and scalars per product, rotated over a small table so
// that no product is ever repeated back to back and nothing can be cached or hoisted).
void BM_CryptoFloor(benchmark::State& state) {
  constexpr size_t kSets = 16;
  crypto::DeterministicRng rng(0xF100Au);
  struct Inputs {
    std::array<Point, 4> points;
    std::array<ScalarBytes, 5> scalars;
  };
  std::vector<Inputs> sets(kSets);
  for (auto& s : sets) {
    for (auto& p : s.points) p = RandomPoint(rng);
    for (auto& k : s.scalars) k = RandomScalar(rng);
  }
  Point out;
  size_t i = 0;
  for (auto _ : state) {
    const Inputs& in = sets[i++ % kSets];
    int rc = 0;
    for (size_t j = 0; j < 4; ++j) {
      rc |= crypto_scalarmult_ristretto255(out.data(), in.scalars[j].data(), in.points[j].data());
      benchmark::DoNotOptimize(out);
    }
    rc |= crypto_scalarmult_ristretto255_base(out.data(), in.scalars[4].data());
    benchmark::DoNotOptimize(out);
    if (rc != 0) state.SkipWithError("a ristretto255 multiplication failed");
  }
  state.counters["mults_per_op"] = 5;
}
BENCHMARK(BM_CryptoFloor)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace keyward
