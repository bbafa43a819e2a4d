#include "interop/serenity_peer_client.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace keyward::testing {

namespace {
using namespace std::chrono_literals;

// Start-up loads ~1 MB of WASM; calls that run the default Argon2id take ~0.5 s, more on a busy
// machine. Both bounds are far above that and only matter when the peer hangs.
constexpr auto kReadyTimeout = 60s;
constexpr auto kCallTimeout = 60s;

const char kInstallHint[] = "run scripts/install-deps.sh (it installs nodejs and runs `npm ci` in tests/interop)";

std::filesystem::path PeerDir() { return std::filesystem::path(KEYWARD_SOURCE_DIR) / "tests" / "interop"; }
}  // namespace

StatusOr<std::unique_ptr<SerenityPeer>> SerenityPeer::Start() {
  const auto dir = PeerDir();
  if (!std::filesystem::exists(dir / "node_modules" / "@serenity-kit" / "opaque" / "package.json")) {
    return FailedPrecondition("@serenity-kit/opaque is not installed in " + dir.string() + ": " +
                              kInstallHint);
  }
  auto process = Subprocess::Start({.argv = {"node", "serenity_peer.mjs"}, .working_dir = dir.string()});
  if (!process.ok()) {
    return FailedPrecondition("cannot start node (" + process.status().message() + "): " + kInstallHint);
  }
  auto peer = std::unique_ptr<SerenityPeer>(new SerenityPeer(std::move(*process)));
  auto ready = peer->process_->WaitForLine("READY ", kReadyTimeout);
  if (!ready.ok()) {
    return Unavailable("serenity_peer.mjs did not print READY (" + ready.status().message() +
                       "); see its stderr above, or " + kInstallHint);
  }
  auto info = nlohmann::json::parse(*ready, nullptr, /*allow_exceptions=*/false);
  if (!info.is_object() || !info.contains("version")) {
    return Internal("serenity_peer.mjs READY line is malformed: " + *ready);
  }
  peer->version_ = info["version"].get<std::string>();
  return peer;
}

StatusOr<nlohmann::json> SerenityPeer::Call(const std::string& fn, const nlohmann::json& args) {
  const int id = next_id_++;
  nlohmann::json request = {{"id", id}, {"fn", fn}, {"args", args}};
  RETURN_IF_ERROR(process_->WriteStdin(request.dump() + "\n"));
  ASSIGN_OR_RETURN(std::string line, process_->ReadLine(kCallTimeout));
  auto response = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!response.is_object() || !response.contains("ok") || response.value("id", -1) != id) {
    return Internal("serenity_peer.mjs answered " + fn + " with an unexpected line: " + line);
  }
  if (!response["ok"].get<bool>()) {
    return AuthenticationFailed(fn + " threw: " + response.value("error", std::string("?")));
  }
  return response["result"];
}

std::string B64u(ByteSpan bytes) { return Base64Encode(bytes, Base64Variant::kUrlSafeNoPadding); }

Bytes FromB64u(const nlohmann::json& result, const std::string& field) {
  if (!result.is_object() || !result.contains(field) || !result[field].is_string()) {
    ADD_FAILURE() << "serenity result has no string field '" << field << "': " << result.dump();
    return {};
  }
  auto bytes = Base64Decode(result[field].get<std::string>(), Base64Variant::kUrlSafeNoPadding);
  if (!bytes.ok()) {
    ADD_FAILURE() << "serenity field '" << field << "' is not base64url: " << bytes.status().ToString();
    return {};
  }
  return *bytes;
}

Bytes FromB64uText(const nlohmann::json& result) { return FromB64u(nlohmann::json{{"value", result}}, "value"); }

}  // namespace keyward::testing
