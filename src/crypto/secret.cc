#include "crypto/secret.h"

#include <sodium.h>

#include <algorithm>

namespace keyward::crypto {

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::move(other.data_);
    other.data_.clear();
  }
  return *this;
}

void SecretBytes::Wipe() {
  if (!data_.empty()) sodium_memzero(data_.data(), data_.size());
  data_.clear();
}

bool SecretBytes::ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  // Compare the common prefix in constant time even when the lengths differ, so that the time
  // depends only on the (public) lengths, never on the contents.
  const size_t n = std::min(a.size(), b.size());
  const bool same_length = a.size() == b.size();
  const bool same_prefix = n == 0 || sodium_memcmp(a.data(), b.data(), n) == 0;
  return same_length & same_prefix;
}

}  // namespace keyward::crypto
