#include "wire/reader.h"

#include <algorithm>

namespace keyward::wire {

bool Reader::Bytes(size_t n, std::span<const uint8_t>* out) {
  if (n > data_.size()) return false;
  *out = data_.first(n);
  data_ = data_.subspan(n);
  return true;
}

bool Reader::Skip(size_t n) {
  std::span<const uint8_t> ignored;
  return Bytes(n, &ignored);
}

bool Reader::BigEndian(size_t n, uint64_t* out) {
  std::span<const uint8_t> s;
  if (!Bytes(n, &s)) return false;
  uint64_t v = 0;
  for (uint8_t b : s) v = (v << 8) | b;
  *out = v;
  return true;
}

bool Reader::U8(uint8_t* out) {
  uint64_t v;
  if (!BigEndian(1, &v)) return false;
  *out = static_cast<uint8_t>(v);
  return true;
}
bool Reader::U16(uint16_t* out) {
  uint64_t v;
  if (!BigEndian(2, &v)) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}
bool Reader::U32(uint32_t* out) {
  uint64_t v;
  if (!BigEndian(4, &v)) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}
bool Reader::U64(uint64_t* out) { return BigEndian(8, out); }

bool Reader::U8Prefixed(std::span<const uint8_t>* out) {
  Reader copy = *this;
  uint8_t n;
  if (!copy.U8(&n) || !copy.Bytes(n, out)) return false;
  *this = copy;
  return true;
}
bool Reader::U16Prefixed(std::span<const uint8_t>* out) {
  Reader copy = *this;
  uint16_t n;
  if (!copy.U16(&n) || !copy.Bytes(n, out)) return false;
  *this = copy;
  return true;
}
bool Reader::U32Prefixed(std::span<const uint8_t>* out) {
  Reader copy = *this;
  uint32_t n;
  if (!copy.U32(&n) || !copy.Bytes(n, out)) return false;
  *this = copy;
  return true;
}

bool Reader::Until(uint8_t delim, std::span<const uint8_t>* out) {
  auto it = std::find(data_.begin(), data_.end(), delim);
  if (it == data_.end()) return false;
  size_t n = static_cast<size_t>(it - data_.begin());
  *out = data_.first(n);
  data_ = data_.subspan(n + 1);
  return true;
}

}  // namespace keyward::wire
