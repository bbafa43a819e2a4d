#include <cstdio>

#include "commands.h"

namespace keyward::cli {

void RegisterDemoCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Run the end-to-end demonstration on a local default deployment");
  cmd->callback([] { std::printf("keyward demo: (the crypto-core demo is being built)\n"); });
}

}  // namespace keyward::cli
