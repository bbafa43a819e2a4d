// KW_CHECK: release-mode assertions for invariants (SVR2, TigerBeetle: assertions stay on in
// production). A failed check means a bug in Keyward, never bad input: it logs where and aborts.
#pragma once

namespace keyward::internal {
[[noreturn]] void CheckFailed(const char* expr, const char* file, int line);
}  // namespace keyward::internal

#define KW_CHECK(cond)                                                        \
  do {                                                                        \
    if (!(cond)) ::keyward::internal::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (0)
