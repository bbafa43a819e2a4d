// DeliveredBundle: what travels to a client (inline in vault responses, or as a file): the
// envelope's exact bytes (= the audit-log leaf) and its C2SP tlog-proof (docs/formats.md).
//
//   keyward.dev/delivered@v1\n
//   <standard base64 of the envelope bytes, one line>\n
//   <C2SP tlog-proof text, verbatim: "c2sp.org/tlog-proof@v1\n" ... checkpoint note>
//
// The same container carries fleet bundles and policy updates (the envelope's payloadType says
// which). Parsing is strict: the header line exactly, canonical base64 of 1..kMaxEnvelopeBytes
// bytes, the rest a syntactically valid tlog-proof (tlog::ParseTlogProof, which rejects trailing
// data), total at most kMaxDeliveredBytes. Nothing is verified here (trust/verify.h does that).
// Serialize(Parse(b)) == b for every accepted b.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "tlog/proof_file.h"

namespace keyward::trust {

inline constexpr std::string_view kDeliveredHeader = "keyward.dev/delivered@v1";
inline constexpr size_t kMaxDeliveredBytes = 2 << 20;

struct DeliveredBundle {
  Bytes envelope;       // exact envelope bytes (the log leaf)
  std::string proof;    // tlog-proof text, verbatim
  bool operator==(const DeliveredBundle&) const = default;
};

// Strict parse (syntax only). InvalidArgument / ResourceExhausted naming what was wrong.
StatusOr<DeliveredBundle> ParseDeliveredBundle(ByteSpan bytes);
// The parsed tlog-proof as well (what VerifyBundle uses).
struct ParsedDelivered {
  DeliveredBundle bundle;
  tlog::TlogProof proof;
  tlog::Note note;              // proof.checkpoint parsed (syntax only), for VerifyNote
  tlog::Checkpoint checkpoint;  // note.text parsed
};
StatusOr<ParsedDelivered> ParseDeliveredBundleFull(ByteSpan bytes);

std::string SerializeDeliveredBundle(const DeliveredBundle& bundle);

}  // namespace keyward::trust
