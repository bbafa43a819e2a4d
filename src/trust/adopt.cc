#include "trust/adopt.h"

#include "trust/rotation.h"

namespace keyward::trust {

StatusOr<TrustResult<Adopted>> AdoptDelivered(const TrustPolicy& configured, ByteSpan delivered,
                                              const std::filesystem::path& state_path,
                                              UnixSeconds now, ConsistencyFetcher* fetcher) {
  using Result = TrustResult<Adopted>;
  ASSIGN_OR_RETURN(TrustState loaded, LoadState(state_path));
  ASSIGN_OR_RETURN(TrustPolicy policy, EffectivePolicy(configured, loaded));
  TrustResult<std::string> type = DeliveredPayloadType(delivered);
  if (!type.ok()) return Result(type.rejection());
  TrustState state = loaded;
  if (*type == kPolicyPayloadType) {
    TrustResult<AppliedPolicyUpdate> r = ApplyPolicyUpdate(policy, delivered, state, now, fetcher);
    if (!r.ok()) return Result(r.rejection());
    if (!(state == loaded)) RETURN_IF_ERROR(SaveState(state_path, state));
    return Result(Adopted{std::nullopt, r->version, r->policy, std::move(state)});
  }
  TrustResult<VerifiedBundle> r = VerifyBundle(policy, delivered, state, now, fetcher);
  if (!r.ok()) return Result(r.rejection());
  if (!(state == loaded)) RETURN_IF_ERROR(SaveState(state_path, state));
  return Result(Adopted{*r, std::nullopt, std::move(policy), std::move(state)});
}

}  // namespace keyward::trust
