// Subcommand registration for the `keyward` CLI. Each subcommand file defines one Register function;
// main.cc calls them all. Exit codes are documented in README.md and each command's --help.
#pragma once

#include <CLI/CLI.hpp>

namespace keyward::cli {

// Set by a subcommand's callback; main() returns it.
int& ExitCode();

void RegisterVersionCommand(CLI::App& app);
void RegisterDemoCommand(CLI::App& app);
void RegisterNodeCommand(CLI::App& app);
void RegisterClientCommand(CLI::App& app);
// The vault demo (demo_vault.cc): a dev node + client walkthrough; returns the exit code.
int RunVaultDemo();
void RegisterKeygenCommand(CLI::App& app);
void RegisterLogCommand(CLI::App& app);
void RegisterWitnessCommand(CLI::App& app);
void RegisterFleetCommand(CLI::App& app);
void RegisterBundleCommand(CLI::App& app);
void RegisterPolicyCommand(CLI::App& app);

}  // namespace keyward::cli
