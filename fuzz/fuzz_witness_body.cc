// Fuzzes the witness's POST /add-checkpoint handling (witness::Witness::AddCheckpoint, which parses
// with tlog::ParseAddCheckpointRequest / EvaluateAddCheckpoint): any body gets one of the spec's
// status codes, never a crash, and the stored state changes only on 200.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>

#include "crypto/random.h"
#include "tlog/note.h"
#include "witness/witness.h"

namespace {

struct Fixture {
  Fixture() {
    keyward::crypto::Init();
    char tmpl[] = "/tmp/fuzz-witness-XXXXXX";
    dir = mkdtemp(tmpl);
    keyward::crypto::DeterministicRng rng(1);
    auto log_key = std::make_shared<keyward::crypto::Ed25519PrivateKey>(keyward::crypto::Ed25519PrivateKey::Generate(rng));
    auto wkey = std::make_shared<keyward::crypto::Ed25519PrivateKey>(keyward::crypto::Ed25519PrivateKey::Generate(rng));
    keyward::tlog::Ed25519NoteSigner signer("example.com/fuzz-log", log_key);
    auto w = keyward::witness::Witness::Open(dir, {signer.VerifierKeyString()}, "fuzz.example/witness", wkey,
                                             [] { return uint64_t{1}; });
    if (!w.ok()) abort();
    witness = std::move(*w);
  }
  std::filesystem::path dir;
  std::unique_ptr<keyward::witness::Witness> witness;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture f;
  uint64_t before = f.witness->CosignedSize("example.com/fuzz-log");
  auto r = f.witness->AddCheckpoint(std::string_view(reinterpret_cast<const char*>(data), size));
  switch (r.status) {
    case 200: case 400: case 403: case 404: case 409: case 422: break;
    default: abort();
  }
  if (r.status != 200 && f.witness->CosignedSize("example.com/fuzz-log") != before) abort();
  return 0;
}
