// Fuzzes the trust-policy parser (trust/policy.h): an accepted policy formats to canonical text that
// parses to the same canonical form; quorum evaluation never crashes.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "common/check.h"
#include "crypto/random.h"
#include "trust/policy.h"

using namespace keyward;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = (crypto::Init(), true);
  (void)init;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = trust::TrustPolicy::Parse(text);
  if (!p.ok()) return 0;
  std::string canonical = p->Format();
  auto again = trust::TrustPolicy::Parse(canonical);
  KW_CHECK(again.ok());
  KW_CHECK(again->Format() == canonical);
  KW_CHECK(again->mode() == p->mode());
  std::set<std::string> all;
  for (const auto& s : p->signers()) all.insert(s.name);
  if (p->mode() == trust::TrustMode::kOverTheAir) KW_CHECK(p->BundleQuorumSatisfied(all));
  (void)p->BundleQuorumSatisfied({});
  return 0;
}
