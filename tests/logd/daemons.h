// Test helpers for the multi-process log/witness tests: create keys with the CLI, start
// `keyward log serve` / `keyward witness serve` on ephemeral loopback ports, submit entries.
//
// Thread-safety: one test thread per helper object; AddEntry is thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "support/subprocess.h"

namespace keyward::testing {

// Runs `keyward keygen --name NAME --out PATH [--witness]`; returns the printed vkey.
std::string KeygenCli(const std::string& name, const std::filesystem::path& out, bool witness = false);

struct Daemon {
  std::unique_ptr<Subprocess> proc;
  std::string url;  // http://127.0.0.1:PORT
  std::string metrics_url;  // http://127.0.0.1:PORT of --metrics-listen ("" if not started with it)
  std::string vkey;
};
// Starts a daemon with `args` (after the binary) plus --listen 127.0.0.1:0 and waits for READY.
Daemon StartDaemon(std::vector<std::string> args);

struct AddResult {
  int status = 0;
  std::string body;
};
AddResult AddEntry(const std::string& url, const std::string& entry, const std::string& token);
// Parses "index N" out of a tlog-proof body; UINT64_MAX if absent.
uint64_t ProofIndex(const std::string& proof);

}  // namespace keyward::testing
