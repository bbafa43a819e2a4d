// expand_message_xmd with SHA-512 (RFC 9380 §5.3.1): the "uniform bytes" step of hash-to-curve,
// used by the OPRF's HashToGroup and HashToScalar (RFC 9497 §4.1).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>

#include "common/status.h"

namespace keyward::crypto {

// Largest output RFC 9380 allows for SHA-512: ell = ceil(len/64) <= 255.
inline constexpr size_t kXmdSha512MaxOutput = 255 * 64;
// Longest domain-separation tag accepted (RFC 9380 §5.3.3 says to hash longer tags first; no
// Keyward tag comes close, so longer tags are rejected rather than silently rewritten).
inline constexpr size_t kXmdMaxDstSize = 255;

// Writes expand_message_xmd(SHA-512, msg, dst, out.size()) into `out`, where msg is the
// concatenation of `msg_parts` (so callers need not allocate to append counters or labels).
// Errors: out.size() == 0 or > kXmdSha512MaxOutput, or dst.size() > kXmdMaxDstSize.
Status ExpandMessageXmdSha512(std::initializer_list<std::span<const uint8_t>> msg_parts,
                              std::span<const uint8_t> dst, std::span<uint8_t> out);

}  // namespace keyward::crypto
