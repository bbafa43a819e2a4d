// Fuzzes the tlog-witness add-checkpoint HTTP body: parsing (round trip on accepted bodies) and the
// full decision, which must always produce one of the statuses the spec allows.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/check.h"
#include "tlog/witness_check.h"

using namespace keyward;
using namespace keyward::tlog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const WitnessedLog* log = [] {
    auto* l = new WitnessedLog();
    l->log_keys.Add(std::make_shared<Ed25519NoteVerifier>("example.com/log", crypto::Ed25519PublicKey{1}));
    l->size = 5;
    l->root = LeafHash(AsBytes("r"));
    return l;
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto req = ParseAddCheckpointRequest(text);
  if (req.ok()) KW_CHECK(FormatAddCheckpointRequest(*req) == text);
  auto d = EvaluateAddCheckpoint(text, [](std::string_view origin) -> const WitnessedLog* {
    return origin == "example.com/log" ? log : nullptr;
  });
  const int s = d.http_status;
  KW_CHECK(s == 200 || s == 400 || s == 403 || s == 404 || s == 409 || s == 422);
  return 0;
}
