// Fuzzes the C2SP tlog-checkpoint parser, cosignature decoding and checkpoint opening: accepted
// bodies re-format to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/check.h"
#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"

using namespace keyward;
using namespace keyward::tlog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cp = ParseCheckpoint(text);
  if (cp.ok()) KW_CHECK(FormatCheckpoint(*cp) == text);
  auto cosig = ParseCosignature({data, size});
  if (cosig.ok()) KW_CHECK(SerializeCosignature(*cosig) == Bytes(data, data + size));
  NoteVerifierSet logs, witnesses;
  logs.Add(std::make_shared<Ed25519NoteVerifier>("example.com/log", crypto::Ed25519PublicKey{1}));
  witnesses.Add(std::make_shared<CosignatureVerifier>("witness.example/w1", crypto::Ed25519PublicKey{2}));
  (void)OpenCheckpoint(text, logs, witnesses);
  (void)ParseDecimalU64(text);
  return 0;
}
