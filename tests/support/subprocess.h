// Subprocess: runs a real program (a Keyward daemon, a Node or Go peer) for a test, with pipes to
// its stdin and stdout, bounded waits on everything, and a kill + reap on destruction so no test
// leaves a process behind. stderr is inherited (shows up in ctest --output-on-failure) unless a
// path is given to redirect it.
//
// Daemon readiness convention (all Keyward daemons): after binding its sockets a daemon prints one
// line to stdout, `READY <json>`, e.g. `READY {"listen":"127.0.0.1:40123"}`; logs go to stderr.
// Tests start daemons with `--listen 127.0.0.1:0` and read the real port from that line.
//
// Thread-safety: one thread per Subprocess.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace keyward::testing {

struct SubprocessOptions {
  std::vector<std::string> argv;              // argv[0] is resolved through PATH if it has no '/'
  std::map<std::string, std::string> env;     // added to (overriding) the parent's environment
  std::string working_dir;                    // empty: inherit
  std::string stderr_path;                    // empty: inherit the test's stderr
  bool pipe_stdin = true;
  bool pipe_stdout = true;
};

class Subprocess {
 public:
  static StatusOr<std::unique_ptr<Subprocess>> Start(const SubprocessOptions& options);
  ~Subprocess();  // SIGKILL + wait if still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  Status WriteStdin(const std::string& data);
  void CloseStdin();
  // Reads one line (without the '\n') from stdout, waiting at most `timeout`.
  StatusOr<std::string> ReadLine(std::chrono::milliseconds timeout);
  // Reads lines until one starts with `prefix`; returns the rest of that line.
  StatusOr<std::string> WaitForLine(const std::string& prefix, std::chrono::milliseconds timeout);
  // Reads the daemon's `READY {...}` line and returns the value of "listen" ("127.0.0.1:PORT").
  StatusOr<std::string> WaitReady(std::chrono::milliseconds timeout, const std::string& key = "listen");

  Status Signal(int signo);
  // Waits for exit; returns the exit status as from waitpid (use WIFEXITED etc.).
  StatusOr<int> Wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  Subprocess() = default;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  std::optional<int> exit_status_;
};

// Path of the built `keyward` CLI (from the KEYWARD_BINARY env var or the build tree).
std::string KeywardBinary();

}  // namespace keyward::testing
