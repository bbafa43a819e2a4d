#include "wire/writer.h"

#include "common/check.h"

namespace keyward::wire {

Writer& Writer::Bytes(std::span<const uint8_t> b) {
  out_.insert(out_.end(), b.begin(), b.end());
  return *this;
}
Writer& Writer::Text(std::string_view s) {
  out_.insert(out_.end(), s.begin(), s.end());
  return *this;
}
Writer& Writer::BigEndian(uint64_t v, size_t n) {
  for (size_t i = n; i-- > 0;) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return *this;
}
Writer& Writer::U8(uint8_t v) { return BigEndian(v, 1); }
Writer& Writer::U16(uint16_t v) { return BigEndian(v, 2); }
Writer& Writer::U32(uint32_t v) { return BigEndian(v, 4); }
Writer& Writer::U64(uint64_t v) { return BigEndian(v, 8); }
Writer& Writer::U8Prefixed(std::span<const uint8_t> b) {
  KW_CHECK(b.size() <= 0xff);
  return U8(static_cast<uint8_t>(b.size())).Bytes(b);
}
Writer& Writer::U16Prefixed(std::span<const uint8_t> b) {
  KW_CHECK(b.size() <= 0xffff);
  return U16(static_cast<uint16_t>(b.size())).Bytes(b);
}
Writer& Writer::U32Prefixed(std::span<const uint8_t> b) {
  KW_CHECK(b.size() <= 0xffffffffu);
  return U32(static_cast<uint32_t>(b.size())).Bytes(b);
}

}  // namespace keyward::wire
