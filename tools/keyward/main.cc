// keyward: one CLI for every Keyward role (node, log, witness, monitor, bundle, fleet, keygen,
// client, demo). See `keyward --help`.
#include <cstdio>

#include "commands.h"
#include "crypto/random.h"

namespace keyward::cli {
int& ExitCode() {
  static int code = 0;
  return code;
}
}  // namespace keyward::cli

int main(int argc, char** argv) {
  keyward::crypto::Init();
  CLI::App app{
      "Keyward: an HSM-backed, end-to-end-encrypted backup key vault with verifiable trust anchors.\n"
      "A user's backup key is stored in a replicated fleet of vault nodes and recovered with a password\n"
      "that never leaves the device (OPAQUE, RFC 9807); after a few wrong guesses the key is destroyed.",
      "keyward"};
  app.require_subcommand(1);
  app.footer("Run `keyward <command> --help` for a command's options. Docs: docs/ in the source tree.");
  keyward::cli::RegisterVersionCommand(app);
  keyward::cli::RegisterDemoCommand(app);
  keyward::cli::RegisterNodeCommand(app);
  keyward::cli::RegisterClientCommand(app);
  keyward::cli::RegisterKeygenCommand(app);
  keyward::cli::RegisterLogCommand(app);
  keyward::cli::RegisterWitnessCommand(app);
  keyward::cli::RegisterFleetCommand(app);
  keyward::cli::RegisterBundleCommand(app);
  keyward::cli::RegisterPolicyCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 1;  // usage errors: exit 1
  }
  return keyward::cli::ExitCode();
}
