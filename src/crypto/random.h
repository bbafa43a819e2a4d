// Randomness comes in through this interface so the trusted core stays deterministic given its
// inputs (DESIGN.md §6): production passes SystemRng (or BlockRng), tests and the simulator a DeterministicRng
// seeded from one printed seed.
//
// Thread-safety: SystemRng and BlockRng are thread-safe; DeterministicRng is not (one per
// simulated actor).
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

// Kernel randomness fetched in blocks: one getrandom(2) per kBlockBytes instead of one per Fill.
// A system call costs ~1.1-1.3 µs on the paravirtualised reference VM and a recovery asks for
// randomness ~5 times (docs/benchmarks.md, issue 3); the node's hosts (LocalCoreHost,
// FleetCoreHost, FleetReplica's Raft and PeerChannel) use it. The bytes are the kernel CSPRNG's output
// itself (no userspace generator): each byte is handed out once and wiped from the buffer as it
// is handed out, so the buffer only ever holds bytes not yet used. One buffer per thread (no
// lock), wiped when the thread exits and discarded in a forked child. Requests above
// kBlockBytes / 2 go to the kernel directly. Thread-safe.
class BlockRng final : public Rng {
 public:
  static constexpr size_t kBlockBytes = 256;
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
