#include <cstdio>

#include "commands.h"
#include "demo_crypto.h"

namespace keyward::cli {

int RunFleetDemo();  // demo_fleet.cc

void RegisterDemoCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Run the end-to-end demonstration: a single dev node, then a 3-node fleet on loopback");
  static CryptoDemoOptions options;
  static bool crypto_only = false;
  cmd->add_flag("--crypto-only", crypto_only,
                "Run only the crypto-core walkthrough: a local OPAQUE registration and login with "
                "Argon2id (m=64MiB, t=3, p=4), then a wrong password and an unknown user");
  static bool fleet_only = false;
  static bool no_fleet = false;
  cmd->add_flag("--fleet-only", fleet_only,
                "Run only the fleet stage: 3 `keyward node --fleet-join` processes on loopback (each "
                "its own SoftHSM2 token), `keyward fleet init`, register, recover, a wrong guess, "
                "SIGKILL of the leader, recovery on the survivors, clean shutdown");
  cmd->add_flag("--no-fleet", no_fleet, "Skip the fleet stage (run only the single dev node stage)");
  cmd->add_option("--user", options.user,
                  "User id for the crypto walkthrough (its UTF-8 bytes are the OPAQUE credential "
                  "identifier)")
      ->capture_default_str();
  cmd->add_option("--password", options.password, "Password for the crypto walkthrough")
      ->capture_default_str();
  cmd->callback([] {
    if (crypto_only) {
      ExitCode() = RunCryptoDemo(options);
    } else if (fleet_only) {
      ExitCode() = RunFleetDemo();
    } else {
      int rc = RunVaultDemo();
      ExitCode() = rc != 0 || no_fleet ? rc : RunFleetDemo();
    }
  });
}

}  // namespace keyward::cli
