#include "crypto/random.h"

#include <pthread.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "common/check.h"

namespace keyward::crypto {

void Init() { KW_CHECK(sodium_init() >= 0); }

void SystemRng::Fill(std::span<uint8_t> out) { randombytes_buf(out.data(), out.size()); }

namespace {

// Bumped in every forked child, so a child never hands out bytes its parent may also hand out.
std::atomic<uint64_t> g_fork_generation{0};
void OnForkChild() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

struct RandomBlock {
  std::array<uint8_t, BlockRng::kBlockBytes> bytes{};
  size_t used = BlockRng::kBlockBytes;  // everything used: refill before the first use
  uint64_t generation = 0;
  ~RandomBlock() { sodium_memzero(bytes.data(), bytes.size()); }
};

}  // namespace

void BlockRng::Fill(std::span<uint8_t> out) {
  static const bool registered = pthread_atfork(nullptr, nullptr, &OnForkChild) == 0;
  if (!registered || out.size() > kBlockBytes / 2) {
    SystemRng().Fill(out);
    return;
  }
  thread_local RandomBlock block;
  const uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
  if (block.generation != generation || kBlockBytes - block.used < out.size()) {
    SystemRng().Fill(block.bytes);  // overwrites whatever was left
    block.used = 0;
    block.generation = generation;
  }
  std::memcpy(out.data(), block.bytes.data() + block.used, out.size());
  sodium_memzero(block.bytes.data() + block.used, out.size());
  block.used += out.size();
}


DeterministicRng::DeterministicRng(uint64_t seed) {
  for (int i = 0; i < 8; ++i) key_[i] = static_cast<uint8_t>(seed >> (8 * i));
}

DeterministicRng::DeterministicRng(std::span<const uint8_t, 32> seed) {
  std::copy(seed.begin(), seed.end(), key_.begin());
}

void DeterministicRng::Fill(std::span<uint8_t> out) {
  // Each call derives a fresh stream key from (seed, counter) so calls never overlap.
  std::array<uint8_t, 32> stream_key;
  crypto_generichash_state st;
  crypto_generichash_init(&st, key_.data(), key_.size(), stream_key.size());
  uint8_t ctr[8];
  for (int i = 0; i < 8; ++i) ctr[i] = static_cast<uint8_t>(counter_ >> (8 * i));
  crypto_generichash_update(&st, ctr, sizeof ctr);
  crypto_generichash_final(&st, stream_key.data(), stream_key.size());
  ++counter_;
  randombytes_buf_deterministic(out.data(), out.size(), stream_key.data());
  sodium_memzero(stream_key.data(), stream_key.size());
}

void FixedRng::Fill(std::span<uint8_t> out) {
  KW_CHECK(out.size() <= bytes_.size());
  std::memcpy(out.data(), bytes_.data(), out.size());
  bytes_ = bytes_.subspan(out.size());
}

}  // namespace keyward::crypto
