// SecretBytes: a buffer for secret material that is wiped on destruction and never copied
// implicitly. Reading the raw bytes goes through Reveal(), so every raw access is greppable (Tink's
// InsecureSecretKeyAccess). Equality is constant-time.
//
// Thread-safety: a value type; not shared between threads without external synchronisation.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace keyward::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n) : data_(n, 0) {}
  explicit SecretBytes(std::span<const uint8_t> bytes) : data_(bytes.begin(), bytes.end()) {}
  ~SecretBytes() { Wipe(); }

  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) { other.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes Clone() const { return SecretBytes(Reveal()); }

  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  std::span<const uint8_t> Reveal() const { return data_; }
  std::span<uint8_t> RevealMutable() { return data_; }

  // Constant-time in the contents; sizes are treated as public.
  bool Equals(const SecretBytes& other) const { return ConstantTimeEquals(Reveal(), other.Reveal()); }
  static bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b);

  void Wipe();

 private:
  std::vector<uint8_t> data_;
};

}  // namespace keyward::crypto
