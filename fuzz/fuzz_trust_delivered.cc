// Fuzzes delivered bundles end to end: the container parser (trust/delivered.h, which includes the
// C2SP tlog-proof parser) must round-trip what it accepts, and VerifyBundle against a fixed
// in-process deployment (trust/trust_fixture.h) must never crash and never change the state when it
// rejects. Also parses the input as a policy-update delivery.
#include <cstddef>
#include <cstdint>

#include "common/check.h"
#include "crypto/random.h"
#include "trust/delivered.h"
#include "trust/rotation.h"
#include "trust/trust_fixture.h"
#include "trust/verify.h"

using namespace keyward;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = (crypto::Init(), true);
  (void)init;
  static trust::testing::TrustWorld* world = new trust::testing::TrustWorld();
  static const trust::TrustPolicy* policy = new trust::TrustPolicy(world->Policy());
  ByteSpan in(data, size);
  auto d = trust::ParseDeliveredBundle(in);
  if (d.ok()) {
    KW_CHECK(trust::SerializeDeliveredBundle(*d) ==
             std::string_view(reinterpret_cast<const char*>(data), size));
  }
  trust::TrustState state;
  auto r = trust::VerifyBundle(*policy, in, state, trust::testing::TrustWorld::kNow);
  if (!r.ok()) KW_CHECK(state == trust::TrustState{});
  trust::TrustState state2;
  auto u = trust::ApplyPolicyUpdate(*policy, in, state2, trust::testing::TrustWorld::kNow);
  if (!u.ok()) KW_CHECK(state2 == trust::TrustState{});
  return 0;
}
