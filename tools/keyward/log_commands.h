// Internal to the `keyward log` command files.
#pragma once

#include <CLI/CLI.hpp>

namespace keyward::cli {
// `keyward log bench`: the issue-4 append benchmark (log_bench.cc).
void AddLogBenchCommand(CLI::App& log_cmd);
}  // namespace keyward::cli
