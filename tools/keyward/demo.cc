#include <cstdio>

#include "commands.h"
#include "demo_crypto.h"

namespace keyward::cli {

void RegisterDemoCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Run the end-to-end demonstration on a local default deployment");
  static CryptoDemoOptions options;
  static bool crypto_only = false;
  cmd->add_flag("--crypto-only", crypto_only,
                "Run only the crypto-core walkthrough: a local OPAQUE registration and login with "
                "Argon2id (m=64MiB, t=3, p=4), then a wrong password and an unknown user");
  cmd->add_option("--user", options.user,
                  "User id for the crypto walkthrough (its UTF-8 bytes are the OPAQUE credential "
                  "identifier)")
      ->capture_default_str();
  cmd->add_option("--password", options.password, "Password for the crypto walkthrough")
      ->capture_default_str();
  cmd->callback([] { ExitCode() = crypto_only ? RunCryptoDemo(options) : RunVaultDemo(); });
}

}  // namespace keyward::cli
