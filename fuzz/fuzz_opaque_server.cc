// Fuzzes the OPAQUE server with arbitrary KE1, record and KE3 bytes against fixed keys: nothing may
// crash, a garbage KE3 must never be accepted, and every rejection is the one uniform error.
//
// Input layout: flags(1) || ke1_len(1) || ke1 || record_len(1) || record || ke3 (rest).
// flags bit 0: use the stored record (else the unknown-user path); bit 1: a non-empty context.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "common/check.h"
#include "crypto/opaque.h"
#include "wire/reader.h"

namespace {

using namespace keyward;
using namespace keyward::crypto;

struct Fixed {
  std::unique_ptr<opaque::InMemoryServerKeys> keys;
  Fixed() {
    DeterministicRng rng(1);
    keys = opaque::InMemoryServerKeys::Generate(rng);
  }
};

void CheckUniform(const Status& s) {
  KW_CHECK(s.code() == ErrorCode::kAuthenticationFailed && s.message() == "OPAQUE login failed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = sodium_init() >= 0;
  KW_CHECK(init);
  static const Fixed fixed;
  wire::Reader r({data, size});
  uint8_t flags = 0;
  std::span<const uint8_t> ke1, record;
  if (!r.U8(&flags) || !r.U8Prefixed(&ke1) || !r.U8Prefixed(&record)) return 0;
  const ByteSpan ke3 = r.rest();

  opaque::Options options;
  options.ksf = KsfConfig::Identity();
  if (flags & 2) options.context = ToBytes("fuzz");
  DeterministicRng rng(size);
  std::optional<ByteSpan> rec;
  if (flags & 1) rec = ByteSpan(record);
  auto start = opaque::ServerStartLogin(*fixed.keys, options, AsBytes("user"), rec, ke1, rng);
  if (!start.ok()) {
    CheckUniform(start.status());
    return 0;
  }
  KW_CHECK(ke1.size() == opaque::kKe1Size);
  KW_CHECK(start->ke2.size() == opaque::kKe2Size);
  auto finish = opaque::ServerFinishLogin(std::move(start->state), ke3);
  // Accepting would mean the fuzzer forged a 512-bit MAC.
  KW_CHECK(!finish.ok());
  CheckUniform(finish.status());
  return 0;
}
