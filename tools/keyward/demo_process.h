// Child processes for `keyward demo`: spawn this binary with arguments, its stdout on a pipe (and
// optionally its stderr into a log file), wait for the daemon readiness line, stop it.
//
// Ownership: a DemoChild owns its pid and pipe; the destructor stops the process (SIGTERM, then
// SIGKILL after 5 s) and reaps it. Thread-safety: not thread-safe; one demo thread uses it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace keyward::cli {

struct DemoChild {
  pid_t pid = -1;
  int out_fd = -1;
  DemoChild() = default;
  DemoChild(const DemoChild&) = delete;
  DemoChild& operator=(const DemoChild&) = delete;
  ~DemoChild() { Stop(); }
  // SIGTERM, wait up to 5 s, then SIGKILL; reaps. Returns true if it exited by itself on SIGTERM.
  bool Stop();
  // SIGKILL and reap (a crash, for the demo's fault steps).
  void Kill();
};

// A fresh directory under the system temp dir (mkdtemp, named PREFIX-XXXXXX), removed with
// everything in it when this goes out of scope. `path` is empty if it could not be created.
struct DemoTempDir {
  std::filesystem::path path;
  explicit DemoTempDir(const std::string& prefix);
  DemoTempDir(const DemoTempDir&) = delete;
  DemoTempDir& operator=(const DemoTempDir&) = delete;
  ~DemoTempDir();
};

// Spawns /proc/self/exe with `args` (args[0] is the subcommand, not the binary). Its stdout is
// readable on child.out_fd; its stderr goes to `stderr_path` if not empty (else inherited).
bool SpawnSelf(const std::vector<std::string>& args, const std::string& stderr_path, DemoChild* child);

// Reads `fd` until a line starting with "READY " (returns the rest); nullopt after `timeout_ms` or EOF.
std::optional<std::string> WaitReady(int fd, int timeout_ms);

// Runs /proc/self/exe with `args` to completion (bounded by `timeout_ms`) and returns its stdout;
// nullopt if it could not run, timed out or exited non-zero.
std::optional<std::string> RunSelf(const std::vector<std::string>& args, int timeout_ms);

}  // namespace keyward::cli
