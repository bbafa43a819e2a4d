// Reader: the one bounds-checked parser of untrusted bytes (BoringSSL CBS style).
//
// A Reader is a view over bytes it does not own; every call either consumes exactly what it
// promises and returns true, or returns false and leaves the reader unchanged. Nothing ever reads
// past the end. Parsers chain calls so they read like the RFC's struct, then call Finish() to reject
// trailing bytes (DESIGN.md §6).
//
// Thread-safety: a Reader is a small value; do not share one between threads.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace keyward::wire {

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  std::span<const uint8_t> rest() const { return data_; }

  // Consumes n bytes into *out (a view into the underlying buffer).
  [[nodiscard]] bool Bytes(size_t n, std::span<const uint8_t>* out);
  // Consumes exactly N bytes into a fixed array.
  template <size_t N>
  [[nodiscard]] bool Fixed(std::array<uint8_t, N>* out) {
    std::span<const uint8_t> s;
    if (!Bytes(N, &s)) return false;
    std::copy(s.begin(), s.end(), out->begin());
    return true;
  }
  [[nodiscard]] bool Skip(size_t n);
  [[nodiscard]] bool U8(uint8_t* out);
  [[nodiscard]] bool U16(uint16_t* out);  // big-endian
  [[nodiscard]] bool U32(uint32_t* out);  // big-endian
  [[nodiscard]] bool U64(uint64_t* out);  // big-endian
  // A big-endian length prefix of 1, 2 or 4 bytes followed by that many bytes.
  [[nodiscard]] bool U8Prefixed(std::span<const uint8_t>* out);
  [[nodiscard]] bool U16Prefixed(std::span<const uint8_t>* out);
  [[nodiscard]] bool U32Prefixed(std::span<const uint8_t>* out);
  // Consumes up to and including the next `delim`; *out excludes the delimiter.
  [[nodiscard]] bool Until(uint8_t delim, std::span<const uint8_t>* out);
  // True iff every byte was consumed. Parsers end with `return r.Finish()`.
  [[nodiscard]] bool Finish() const { return data_.empty(); }

 private:
  [[nodiscard]] bool BigEndian(size_t n, uint64_t* out);
  std::span<const uint8_t> data_;
};

}  // namespace keyward::wire
