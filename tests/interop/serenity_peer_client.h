// SerenityPeer: drives tests/interop/serenity_peer.mjs (Node + @serenity-kit/opaque 1.1.0, i.e.
// facebook's opaque-ke 4.0 in WASM) as a subprocess over its JSON-lines protocol, so tests can call
// serenity's client and server functions with RFC 9807 wire bytes.
//
// Byte strings cross the boundary as base64url without padding (serenity's encoding); the helpers
// below convert to and from Bytes. Every call is bounded by a timeout; the subprocess is killed and
// reaped when the SerenityPeer is destroyed.
//
// Thread-safety: one thread per SerenityPeer.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/status.h"
#include "support/subprocess.h"

namespace keyward::testing {

class SerenityPeer {
 public:
  // Starts `node serenity_peer.mjs` in the source tree's tests/interop and waits for its READY line.
  // Fails with an actionable message (run scripts/install-deps.sh) when node or node_modules are
  // missing.
  static StatusOr<std::unique_ptr<SerenityPeer>> Start();

  // Calls serenity function `fn` (e.g. "client.finishLogin") with `args`. Returns its result (JSON
  // null when serenity returned undefined), or kAuthenticationFailed carrying the message serenity
  // threw. Other codes mean the peer itself failed (timeout, crash, protocol).
  StatusOr<nlohmann::json> Call(const std::string& fn, const nlohmann::json& args);

  // The version string from the READY line ("1.1.0").
  const std::string& version() const { return version_; }

 private:
  explicit SerenityPeer(std::unique_ptr<Subprocess> process) : process_(std::move(process)) {}
  std::unique_ptr<Subprocess> process_;
  std::string version_;
  int next_id_ = 1;
};

// base64url without padding, as serenity encodes every byte string.
std::string B64u(ByteSpan bytes);
// Decodes a base64url string field of a serenity result; fails the test on a bad or missing field.
Bytes FromB64u(const nlohmann::json& result, const std::string& field);
// Decodes a result that is itself a base64url string (server.createSetup, server.getPublicKey).
Bytes FromB64uText(const nlohmann::json& result);

}  // namespace keyward::testing
