#include "bundle_common.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>

#include "log/durable_file.h"
#include "trust/policy.h"
#include "trust/rotation.h"

namespace keyward::cli {

trust::UnixSeconds NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

UnixTimeOrError ParseTimeArg(std::string_view text, trust::UnixSeconds base) {
  if (text.find('T') != std::string_view::npos) return trust::ParseRfc3339Utc(text);
  auto d = trust::ParseDuration(text);
  if (!d.ok()) {
    return InvalidArgument("\"" + std::string(text) +
                           "\" is neither an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ) nor a duration (30d, 12h, 5m, 300s)");
  }
  return base + *d;
}

int UsageError(std::string_view command, const std::string& message) {
  std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(command.size()), command.data(), message.c_str());
  return 1;
}

int Failure(std::string_view command, const Status& status) { return UsageError(command, status.ToString()); }

StatusOr<std::string> ReadInput(const std::string& path) {
  constexpr size_t kMax = 4 << 20;
  if (path == "-") {
    std::string data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (data.size() > kMax) return ResourceExhausted("stdin holds more than 4 MiB");
    return data;
  }
  return log::ReadFileText(path, kMax);
}

Status WriteOutput(const std::string& path, std::string_view data) {
  if (path == "-") {
    if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0) {
      return IoError("cannot write to stdout");
    }
    return Status::Ok();
  }
  return log::WriteFileDurably(path, AsBytes(data));
}

StatusOr<trust::Envelope> EnvelopeFromInput(std::string_view text) {
  auto envelope = trust::ParseEnvelope(AsBytes(text));
  if (envelope.ok()) return envelope;
  if (text.find("\"payloadType\"") != std::string_view::npos) {
    return envelope.status().WithContext("not a valid envelope");
  }
  if (text.find(std::string("\"") + std::string(trust::kPolicyKind) + "\"") != std::string_view::npos) {
    ASSIGN_OR_RETURN(trust::PolicyUpdatePayload p, trust::ParsePolicyUpdatePayload(AsBytes(text)));
    return trust::Envelope{std::string(trust::kPolicyPayloadType), ToBytes(trust::SerializePolicyUpdatePayload(p)), {}};
  }
  auto payload = trust::ParsePayload(AsBytes(text));
  if (!payload.ok()) {
    return payload.status().WithContext("neither a signed envelope nor a valid payload (`bundle create` / `policy update` output)");
  }
  ASSIGN_OR_RETURN(std::string canonical, trust::SerializePayload(*payload));
  return trust::Envelope{std::string(trust::kFleetsPayloadType), ToBytes(canonical), {}};
}

}  // namespace keyward::cli
