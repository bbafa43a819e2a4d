// Fuzzes the byte reader: arbitrary chains of reads over arbitrary input never read out of bounds,
// and a failed read leaves the reader unchanged.
#include <cstddef>
#include <cstdint>

#include "common/check.h"
#include "wire/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t ops = data[0];
  keyward::wire::Reader r({data + 1, size - 1});
  for (int i = 0; i < 64 && !r.empty(); ++i) {
    const size_t before = r.remaining();
    std::span<const uint8_t> s;
    uint64_t v64;
    uint32_t v32;
    bool ok = false;
    switch ((ops >> (i % 8)) % 6) {
      case 0: ok = r.U8Prefixed(&s); break;
      case 1: ok = r.U16Prefixed(&s); break;
      case 2: ok = r.U32Prefixed(&s); break;
      case 3: ok = r.U64(&v64); break;
      case 4: ok = r.U32(&v32); break;
      default: ok = r.Until('\n', &s); break;
    }
    if (!ok) KW_CHECK(r.remaining() == before);
    else KW_CHECK(r.remaining() < before || s.empty());
  }
  return 0;
}
