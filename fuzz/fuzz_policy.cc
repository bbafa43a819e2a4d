// Fuzzes the C2SP tlog-policy parser: accepted policies format to text that parses to the same
// canonical form; quorum evaluation over all witnesses never crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/check.h"
#include "tlog/policy.h"

using namespace keyward;
using namespace keyward::tlog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = Policy::Parse(text);
  if (!p.ok()) return 0;
  std::string canonical = p->Format();
  auto again = Policy::Parse(canonical);
  KW_CHECK(again.ok());
  KW_CHECK(again->Format() == canonical);
  std::set<std::string> all;
  for (const auto& w : p->witnesses()) all.insert(w.name);
  KW_CHECK(p->QuorumSatisfied(all));  // every group threshold is <= its member count
  (void)p->QuorumSatisfied({});
  return 0;
}
