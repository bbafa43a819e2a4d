// Shared helpers of the `keyward bundle` and `keyward policy` commands (bundle.cc,
// bundle_verify.cc, policy.cc): file I/O with '-' for stdin/stdout, time arguments, error printing,
// and turning a payload or envelope file into an envelope to sign.
//
// Thread-safety: free functions, called from the CLI's main thread.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>

#include "common/status.h"
#include "trust/envelope.h"
#include "trust/payload.h"

namespace keyward::cli {

using UnixTimeOrError = StatusOr<trust::UnixSeconds>;

trust::UnixSeconds NowSeconds();
// "2026-11-23T01:00:00Z" (RFC 3339 UTC), or a duration "30d"/"12h"/"5m"/"300s" added to `base`.
UnixTimeOrError ParseTimeArg(std::string_view text, trust::UnixSeconds base);

// Print "<command>: <message>" on stderr and return exit code 1.
int UsageError(std::string_view command, const std::string& message);
int Failure(std::string_view command, const Status& status);

// Reads a file (at most 4 MiB), or stdin for "-".
StatusOr<std::string> ReadInput(const std::string& path);
// Writes a file atomically (temporary + fsync + rename), or stdout for "-".
Status WriteOutput(const std::string& path, std::string_view data);

// An envelope from a file that holds either a signed envelope (returned as parsed) or an unsigned
// payload: a fleets payload (keyward.fleets/v1, from `bundle create`) or a policy-update payload
// (keyward.policy/v1, from `policy update`), which starts a new envelope with no signatures.
StatusOr<trust::Envelope> EnvelopeFromInput(std::string_view text);

// bundle_verify.cc: adds `verify` and `inspect` to the `bundle` command.
void RegisterBundleVerifyAndInspect(CLI::App& bundle);

}  // namespace keyward::cli
