// Keystore benchmarks: what a SoftHSM2 token costs compared with keys in memory.
//
// BM_Pkcs11Ed25519Sign signs 64 bytes with CKM_EDDSA in a SoftHSM2 token (plus Keyward's strict
// verification of the token's output); BM_MemoryEd25519Sign is libsodium in memory, the floor.
// BM_Pkcs11SecretUnseal is GetSecret of a 128-byte secret (object lookup + CKA_VALUE read +
// CKM_AES_GCM decrypt in the token), what a node pays once per start for the OPAQUE setup.
// The token lives in a temporary directory (SOFTHSM2_CONF is set for this process).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "crypto/random.h"
#include "pkcs11/dev_token.h"
#include "pkcs11/keystore.h"
#include "pkcs11/pkcs11_keystore.h"

namespace keyward::pkcs11 {
namespace {

struct TokenFixture {
  std::filesystem::path dir;
  std::unique_ptr<Pkcs11Keystore> keystore;
  std::unique_ptr<crypto::Ed25519Signer> signer;

  TokenFixture() {
    char tmpl[] = "/tmp/keyward-pkcs11-bench-XXXXXX";
    KW_CHECK(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    auto config = CreateOrOpenDevToken(dir, "kw-bench");
    KW_CHECK(config.ok());
    auto ks = Pkcs11Keystore::Open(*config);
    KW_CHECK(ks.ok());
    keystore = std::move(*ks);
    crypto::SecretBytes secret(128);
    crypto::SystemRng().Fill(secret.RevealMutable());
    KW_CHECK(keystore->PutSecret("bench-secret", secret).ok());
    auto key = keystore->CreateEd25519Key("bench-key");
    KW_CHECK(key.ok());
    signer = std::move(*key);
  }
  ~TokenFixture() {
    signer.reset();
    keystore.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

TokenFixture& Fixture() {
  static TokenFixture fixture;  // destroyed at exit: closes the token and removes the directory
  return fixture;
}

void BM_Pkcs11Ed25519Sign(benchmark::State& state) {
  auto& f = Fixture();
  const std::vector<uint8_t> msg(64, 0x42);
  for (auto _ : state) {
    auto sig = f.signer->Sign(msg);
    KW_CHECK(sig.ok());
    benchmark::DoNotOptimize(sig);
  }
}
BENCHMARK(BM_Pkcs11Ed25519Sign);

void BM_MemoryEd25519Sign(benchmark::State& state) {
  crypto::SystemRng rng;
  auto key = crypto::Ed25519PrivateKey::Generate(rng);
  const std::vector<uint8_t> msg(64, 0x42);
  for (auto _ : state) {
    auto sig = key.Sign(msg);
    benchmark::DoNotOptimize(sig);
  }
}
BENCHMARK(BM_MemoryEd25519Sign);

void BM_Pkcs11SecretUnseal(benchmark::State& state) {
  auto& f = Fixture();
  for (auto _ : state) {
    auto secret = f.keystore->GetSecret("bench-secret");
    KW_CHECK(secret.ok());
    benchmark::DoNotOptimize(secret);
  }
}
BENCHMARK(BM_Pkcs11SecretUnseal);

}  // namespace
}  // namespace keyward::pkcs11
