// Fuzzes the strict envelope parser (trust/envelope.h): accepted envelopes are canonical
// (Serialize(Parse(b)) == b) and every signature's signed message can be derived without crashing.
#include <cstddef>
#include <cstdint>

#include "common/check.h"
#include "crypto/random.h"
#include "trust/envelope.h"

using namespace keyward;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = (crypto::Init(), true);
  (void)init;
  auto e = trust::ParseEnvelope(ByteSpan(data, size));
  if (!e.ok()) return 0;
  KW_CHECK(trust::SerializeEnvelope(*e) == std::string_view(reinterpret_cast<const char*>(data), size));
  for (const trust::Signature& s : e->signatures) (void)trust::SignedMessage(*e, s);
  return 0;
}
