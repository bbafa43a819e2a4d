// Fuzzes the client trust-state parser (trust/verify.h ParseState): accepted states serialize to
// text that parses to the same state.
#include <cstddef>
#include <cstdint>

#include "common/check.h"
#include "crypto/random.h"
#include "trust/verify.h"

using namespace keyward;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = (crypto::Init(), true);
  (void)init;
  auto st = trust::ParseState(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!st.ok()) return 0;
  auto again = trust::ParseState(trust::SerializeState(*st));
  KW_CHECK(again.ok());
  KW_CHECK(*again == *st);
  return 0;
}
