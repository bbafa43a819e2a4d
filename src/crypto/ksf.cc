#include "crypto/ksf.h"

#include <argon2.h>

#include <string>

namespace keyward::crypto {

namespace {
constexpr uint32_t kMaxParallelism = 64;
constexpr uint32_t kMaxMemoryKib = 4u * 1024 * 1024;  // 4 GiB
constexpr uint32_t kMaxIterations = 1024;
constexpr size_t kOutputSize = 64;  // Nh
}  // namespace

KsfConfig KsfConfig::Identity() { return KsfConfig(Kind::kIdentity, Argon2idParams{}); }

KsfConfig KsfConfig::Default() { return KsfConfig(Kind::kArgon2id, Argon2idParams{}); }

StatusOr<KsfConfig> KsfConfig::Argon2id(const Argon2idParams& p) {
  if (p.parallelism < 1 || p.parallelism > kMaxParallelism) {
    return InvalidArgument("Argon2id parallelism must be 1.." + std::to_string(kMaxParallelism) +
                           ", got " + std::to_string(p.parallelism));
  }
  if (p.memory_kib < 8 * p.parallelism || p.memory_kib > kMaxMemoryKib) {
    return InvalidArgument("Argon2id memory must be " + std::to_string(8 * p.parallelism) + ".." +
                           std::to_string(kMaxMemoryKib) + " KiB (at least 8 KiB per lane), got " +
                           std::to_string(p.memory_kib));
  }
  if (p.iterations < 1 || p.iterations > kMaxIterations) {
    return InvalidArgument("Argon2id iterations must be 1.." + std::to_string(kMaxIterations) +
                           ", got " + std::to_string(p.iterations));
  }
  return KsfConfig(Kind::kArgon2id, p);
}

std::string KsfConfig::ToString() const {
  if (kind_ == Kind::kIdentity) return "identity";
  return "argon2id(m=" + std::to_string(params_.memory_kib) + "KiB,t=" +
         std::to_string(params_.iterations) + ",p=" + std::to_string(params_.parallelism) + ")";
}

StatusOr<SecretBytes> KsfConfig::Stretch(std::span<const uint8_t> oprf_output) const {
  if (kind_ == Kind::kIdentity) return SecretBytes(oprf_output);
  static constexpr uint8_t kZeroSalt[16] = {};  // serenity/opaque-ke: [0; RECOMMENDED_SALT_LEN]
  SecretBytes out(kOutputSize);
  const int rc = argon2id_hash_raw(params_.iterations, params_.memory_kib, params_.parallelism,
                                   oprf_output.data(), oprf_output.size(), kZeroSalt,
                                   sizeof kZeroSalt, out.RevealMutable().data(), out.size());
  if (rc != ARGON2_OK) {
    return Internal(std::string("Argon2id failed: ") + argon2_error_message(rc) +
                    " (lower the KSF memory or parallelism)");
  }
  return out;
}

}  // namespace keyward::crypto
