#include "support/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

extern char** environ;

namespace keyward::testing {

namespace {
using Clock = std::chrono::steady_clock;

std::vector<std::string> MergedEnv(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos && extra.count(kv.substr(0, eq))) continue;
    out.push_back(kv);
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}
}  // namespace

StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(const SubprocessOptions& options) {
  if (options.argv.empty()) return InvalidArgument("Subprocess: empty argv");
  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1};
  if (options.pipe_stdin && pipe2(in_pipe, O_CLOEXEC) != 0) return IoError("pipe failed");
  if (options.pipe_stdout && pipe2(out_pipe, O_CLOEXEC) != 0) return IoError("pipe failed");

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (options.pipe_stdin) posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  if (options.pipe_stdout) posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  if (!options.stderr_path.empty()) {
    posix_spawn_file_actions_addopen(&fa, 2, options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&fa, options.working_dir.c_str());
  }
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto env_strings = MergedEnv(options.env);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  // New process group, so Signal() can reach the child even if it forks (e.g. npx).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);

  pid_t pid = -1;
  int rc = options.argv[0].find('/') == std::string::npos
               ? posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data())
               : posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (options.pipe_stdin) close(in_pipe[0]);
  if (options.pipe_stdout) close(out_pipe[1]);
  if (rc != 0) {
    if (options.pipe_stdin) close(in_pipe[1]);
    if (options.pipe_stdout) close(out_pipe[0]);
    return Unavailable("cannot start " + options.argv[0] + ": " + std::strerror(rc));
  }
  auto p = std::unique_ptr<Subprocess>(new Subprocess());
  p->pid_ = pid;
  p->stdin_fd_ = options.pipe_stdin ? in_pipe[1] : -1;
  p->stdout_fd_ = options.pipe_stdout ? out_pipe[0] : -1;
  return p;
}

Subprocess::~Subprocess() {
  CloseStdin();
  if (running()) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    (void)Wait(std::chrono::seconds(10));
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

Status Subprocess::WriteStdin(const std::string& data) {
  if (stdin_fd_ < 0) return FailedPrecondition("stdin is not a pipe or was closed");
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(stdin_fd_, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError(std::string("write to child stdin failed: ") + std::strerror(errno));
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

void Subprocess::CloseStdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

StatusOr<std::string> Subprocess::ReadLine(std::chrono::milliseconds timeout) {
  if (stdout_fd_ < 0) return FailedPrecondition("stdout is not a pipe");
  const auto deadline = Clock::now() + timeout;
  while (true) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Status(ErrorCode::kDeadlineExceeded, "no line from child within timeout");
    pollfd pfd{stdout_fd_, POLLIN, 0};
    int r = poll(&pfd, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = read(stdout_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Unavailable("child closed stdout (exited?) before writing a full line");
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

StatusOr<std::string> Subprocess::WaitForLine(const std::string& prefix, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Status(ErrorCode::kDeadlineExceeded, "no line starting with '" + prefix + "'");
    ASSIGN_OR_RETURN(std::string line, ReadLine(left));
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
}

StatusOr<std::string> Subprocess::WaitReady(std::chrono::milliseconds timeout, const std::string& key) {
  ASSIGN_OR_RETURN(std::string rest, WaitForLine("READY ", timeout));
  auto j = nlohmann::json::parse(rest, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains(key) || !j[key].is_string()) {
    return InvalidArgument("malformed READY line: " + rest);
  }
  return j[key].get<std::string>();
}

Status Subprocess::Signal(int signo) {
  if (!running()) return FailedPrecondition("process already exited");
  if (kill(pid_, signo) != 0) return IoError(std::string("kill failed: ") + std::strerror(errno));
  return Status::Ok();
}

bool Subprocess::running() {
  if (exit_status_) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    exit_status_ = st;
    return false;
  }
  return r == 0;
}

StatusOr<int> Subprocess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // Poll waitpid with a short back-off: there is no portable waitpid-with-timeout, and this is a
  // bounded wait on process exit, not a sleep used to order events.
  auto pause = std::chrono::milliseconds(1);
  while (running()) {
    if (Clock::now() >= deadline) return Status(ErrorCode::kDeadlineExceeded, "process did not exit in time");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return *exit_status_;
}

std::string KeywardBinary() {
  if (const char* p = getenv("KEYWARD_BINARY"); p && *p) return p;
  return std::string(KEYWARD_BINARY_DIR) + "/keyward";
}

}  // namespace keyward::testing
