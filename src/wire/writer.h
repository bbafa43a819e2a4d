// Writer: builds byte strings (BoringSSL CBB style). Owns its growing buffer. Length-prefixed
// writes check that the value fits the prefix (a too-long value is a caller bug: KW_CHECK).
//
// Thread-safety: not shared between threads.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace keyward::wire {

class Writer {
 public:
  Writer() = default;
  explicit Writer(size_t reserve) { out_.reserve(reserve); }

  Writer& Bytes(std::span<const uint8_t> b);
  Writer& Text(std::string_view s);
  Writer& U8(uint8_t v);
  Writer& U16(uint16_t v);  // big-endian (I2OSP(v, 2))
  Writer& U32(uint32_t v);
  Writer& U64(uint64_t v);
  Writer& U8Prefixed(std::span<const uint8_t> b);
  Writer& U16Prefixed(std::span<const uint8_t> b);
  Writer& U32Prefixed(std::span<const uint8_t> b);

  const std::vector<uint8_t>& bytes() const { return out_; }
  std::vector<uint8_t> Take() { return std::move(out_); }

 private:
  Writer& BigEndian(uint64_t v, size_t n);
  std::vector<uint8_t> out_;
};

}  // namespace keyward::wire
