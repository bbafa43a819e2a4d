// Fuzzes the strict fleets-payload parser (trust/payload.h): accepted payloads are canonical and
// fleet lookups never crash.
#include <cstddef>
#include <cstdint>

#include "common/check.h"
#include "crypto/random.h"
#include "trust/payload.h"

using namespace keyward;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = (crypto::Init(), true);
  (void)init;
  auto p = trust::ParsePayload(ByteSpan(data, size));
  if (!p.ok()) return 0;
  auto again = trust::SerializePayload(*p);
  KW_CHECK(again.ok());
  KW_CHECK(*again == std::string_view(reinterpret_cast<const char*>(data), size));
  for (const trust::FleetEntry& f : p->fleets) {
    (void)trust::FindFleet(*p, f.opaque_public_key, trust::FleetUse::kRegister);
    (void)trust::FindFleet(*p, f.opaque_public_key, trust::FleetUse::kRecover);
  }
  return 0;
}
