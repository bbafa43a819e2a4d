// Fuzzes every RFC 9807 message parser: the first byte picks the message, the rest is the wire
// input. Whatever parses must re-serialize to exactly the input (the encodings are canonical), and
// any input of the wrong length must be rejected.
#include <sodium.h>

#include <cstddef>
#include <cstdint>

#include "common/check.h"
#include "crypto/opaque_messages.h"

namespace {

using namespace keyward;
using namespace keyward::crypto::opaque;

template <typename Message>
void Check(ByteSpan input, size_t wire_size) {
  auto parsed = Message::Parse(input);
  if (input.size() != wire_size) KW_CHECK(!parsed.ok());
  if (!parsed.ok()) return;
  const Bytes again = parsed->Serialize();
  KW_CHECK(again.size() == wire_size);
  KW_CHECK(ByteSpan(again).size() == input.size() &&
           std::equal(again.begin(), again.end(), input.begin()));
  auto reparsed = Message::Parse(again);
  KW_CHECK(reparsed.ok() && *reparsed == *parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = sodium_init() >= 0;
  KW_CHECK(init);
  if (size == 0) return 0;
  const ByteSpan input(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0: Check<RegistrationRequest>(input, kRegistrationRequestSize); break;
    case 1: Check<RegistrationResponse>(input, kRegistrationResponseSize); break;
    case 2: Check<RegistrationRecord>(input, kRegistrationRecordSize); break;
    case 3: Check<Ke1>(input, kKe1Size); break;
    case 4: Check<Ke2>(input, kKe2Size); break;
    default: Check<Ke3>(input, kKe3Size); break;
  }
  return 0;
}
