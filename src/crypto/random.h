// Randomness comes in through this interface so the trusted core stays deterministic given its
// inputs (DESIGN.md §6): production passes SystemRng, tests and the simulator a DeterministicRng
// seeded from one printed seed.
//
// Thread-safety: SystemRng is thread-safe; DeterministicRng is not (one per simulated actor).
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace keyward::crypto {

// Initialises libsodium (CPU feature detection, RNG). Idempotent and thread-safe; call once at
// start-up from every binary's main().
void Init();

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void Fill(std::span<uint8_t> out) = 0;
  template <size_t N>
  std::array<uint8_t, N> Array() {
    std::array<uint8_t, N> a;
    Fill(a);
    return a;
  }
};

// The operating system's CSPRNG (libsodium randombytes_buf → getrandom(2)).
class SystemRng final : public Rng {
 public:
  void Fill(std::span<uint8_t> out) override;
};

// ChaCha20 keystream from a 32-byte seed (libsodium randombytes_buf_deterministic with a counter).
// Reproducible: the same seed gives the same bytes, whatever the chunking of Fill calls is NOT
// guaranteed; the same sequence of Fill calls gives the same bytes.
class DeterministicRng final : public Rng {
 public:
  explicit DeterministicRng(uint64_t seed);
  explicit DeterministicRng(std::span<const uint8_t, 32> seed);
  void Fill(std::span<uint8_t> out) override;

 private:
  std::array<uint8_t, 32> key_{};
  uint64_t counter_ = 0;
};

// Returns the given bytes in order and aborts if asked for more: lets tests inject the exact
// nonces and seeds of the RFC vectors.
class FixedRng final : public Rng {
 public:
  explicit FixedRng(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  void Fill(std::span<uint8_t> out) override;
  size_t remaining() const { return bytes_.size(); }

 private:
  std::span<const uint8_t> bytes_;
};

}  // namespace keyward::crypto
