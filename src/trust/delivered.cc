#include "trust/delivered.h"

#include "trust/envelope.h"
#include "trust/json_util.h"

namespace keyward::trust {

// delivered = "keyward.dev/delivered@v1" LF base64(envelope) LF tlog-proof
// (docs/formats.md "Delivered bundle"; tlog-proof per c2sp.org/tlog-proof@v1).
StatusOr<ParsedDelivered> ParseDeliveredBundleFull(ByteSpan bytes) {
  if (bytes.size() > kMaxDeliveredBytes) {
    return ResourceExhausted("delivered bundle is larger than " + std::to_string(kMaxDeliveredBytes) +
                             " bytes");
  }
  std::string_view s = AsChars(bytes);
  size_t nl = s.find('\n');
  if (nl == std::string_view::npos || s.substr(0, nl) != kDeliveredHeader) {
    return InvalidArgument("delivered bundle must start with the line \"" +
                           std::string(kDeliveredHeader) + "\"");
  }
  s.remove_prefix(nl + 1);
  nl = s.find('\n');
  if (nl == std::string_view::npos) {
    return InvalidArgument("delivered bundle is truncated after its header (no envelope line)");
  }
  std::string_view b64 = s.substr(0, nl);
  if (b64.size() > (kMaxEnvelopeBytes + 2) / 3 * 4) {
    return ResourceExhausted("delivered envelope is larger than " +
                             std::to_string(kMaxEnvelopeBytes) + " bytes");
  }
  StatusOr<Bytes> env = Base64DecodePublic(b64);
  if (!env.ok() || env->empty()) {
    return InvalidArgument("delivered bundle's second line must be the envelope in canonical "
                           "standard base64");
  }
  s.remove_prefix(nl + 1);
  StatusOr<tlog::ParsedTlogProof> proof = tlog::ParseTlogProofFull(s);
  if (!proof.ok()) return proof.status().WithContext("delivered bundle's tlog-proof");
  ParsedDelivered out{{std::move(*env), std::string(s)},
                      std::move(proof->proof),
                      std::move(proof->note),
                      std::move(proof->checkpoint)};
  return out;
}

StatusOr<DeliveredBundle> ParseDeliveredBundle(ByteSpan bytes) {
  ASSIGN_OR_RETURN(ParsedDelivered p, ParseDeliveredBundleFull(bytes));
  return std::move(p.bundle);
}

std::string SerializeDeliveredBundle(const DeliveredBundle& bundle) {
  return std::string(kDeliveredHeader) + "\n" + Base64EncodePublic(bundle.envelope) + "\n" + bundle.proof;
}

}  // namespace keyward::trust
