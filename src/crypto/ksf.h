// The key-stretching function (KSF) of OPAQUE (RFC 9807 §4.3 "Stretch"): Identity (the RFC's test
// vectors) or Argon2id (production; libargon2's argon2id_hash_raw, because libsodium fixes the
// parallelism at 1).
//
// Argon2id is applied exactly as @serenity-kit/opaque / opaque-ke do (REFERENCE.md §B): password =
// the 64-byte OPRF output, salt = 16 zero bytes, no secret or associated data, version 0x13, output
// 64 bytes. Both sides of a deployment must use the same KsfConfig for registration and every login.
//
// Thread-safety: KsfConfig is an immutable value; Stretch is thread-safe (it allocates its own
// Argon2 memory and, for p > 1, spawns p threads inside libargon2).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/status.h"
#include "crypto/secret.h"

namespace keyward::crypto {

struct Argon2idParams {
  uint32_t memory_kib = 65536;  // m: 64 MiB, RFC 9106 §4 "memory-constrained" = serenity default
  uint32_t iterations = 3;      // t
  uint32_t parallelism = 4;     // p (lanes and threads)
};

class KsfConfig {
 public:
  enum class Kind { kIdentity, kArgon2id };

  // Stretch(x) = x. For the RFC 9807 test vectors only: offers no protection against guessing.
  static KsfConfig Identity();
  // Argon2id with the default parameters (m = 65536 KiB, t = 3, p = 4).
  static KsfConfig Default();
  // Argon2id with explicit parameters. Accepted ranges: 1 <= parallelism <= 64,
  // 8 * parallelism <= memory_kib <= 4194304 (4 GiB), 1 <= iterations <= 1024; the error names the
  // out-of-range parameter and the accepted range.
  static StatusOr<KsfConfig> Argon2id(const Argon2idParams& params);

  Kind kind() const { return kind_; }
  const Argon2idParams& argon2id() const { return params_; }
  // "identity" or "argon2id(m=65536KiB,t=3,p=4)".
  std::string ToString() const;

  // Stretch(oprf_output) -> 64 bytes (Identity returns a copy of its input, whatever its length).
  // Fails only if libargon2 fails (e.g. it cannot allocate memory_kib).
  StatusOr<SecretBytes> Stretch(std::span<const uint8_t> oprf_output) const;

 private:
  KsfConfig(Kind kind, Argon2idParams params) : kind_(kind), params_(params) {}
  Kind kind_;
  Argon2idParams params_;
};

}  // namespace keyward::crypto
