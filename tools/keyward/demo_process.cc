#include "demo_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

extern char** environ;

namespace keyward::cli {

bool DemoChild::Stop() {
  bool clean = false;
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    int st = 0;
    pid_t done = 0;
    for (int i = 0; i < 100 && (done = ::waitpid(pid, &st, WNOHANG)) == 0; ++i) ::usleep(50 * 1000);
    if (done == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
    } else {
      clean = done == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    pid = -1;
  }
  if (out_fd >= 0) ::close(out_fd);
  out_fd = -1;
  return clean;
}

void DemoChild::Kill() {
  if (pid > 0) {
    ::kill(pid, SIGKILL);
    int st = 0;
    ::waitpid(pid, &st, 0);
    pid = -1;
  }
  if (out_fd >= 0) ::close(out_fd);
  out_fd = -1;
}

bool SpawnSelf(const std::vector<std::string>& args, const std::string& stderr_path, DemoChild* child) {
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> all = {self};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
  if (!stderr_path.empty()) {
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  }
  int rc = posix_spawn(&child->pid, self.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(pipefd[1]);
  child->out_fd = pipefd[0];
  if (rc != 0) {
    child->pid = -1;
    return false;
  }
  return true;
}

std::optional<std::string> WaitReady(int fd, int timeout_ms) {
  std::string buf;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char c[512];
    ssize_t n = ::read(fd, c, sizeof c);
    if (n <= 0) return std::nullopt;
    buf.append(c, static_cast<size_t>(n));
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (line.rfind("READY ", 0) == 0) return line.substr(6);
    }
  }
  return std::nullopt;
}

std::optional<std::string> RunSelf(const std::vector<std::string>& args, int timeout_ms) {
  DemoChild child;
  if (!SpawnSelf(args, "", &child)) return std::nullopt;
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{child.out_fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char c[4096];
    ssize_t n = ::read(child.out_fd, c, sizeof c);
    if (n <= 0) break;  // EOF: the command finished writing
    out.append(c, static_cast<size_t>(n));
  }
  int st = 0;
  pid_t done = 0;
  while (std::chrono::steady_clock::now() < deadline && (done = ::waitpid(child.pid, &st, WNOHANG)) == 0) {
    ::usleep(20 * 1000);
  }
  if (done != child.pid) return std::nullopt;  // the destructor kills it
  child.pid = -1;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return std::nullopt;
  return out;
}

DemoTempDir::DemoTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) != nullptr) path = tmpl;
}

DemoTempDir::~DemoTempDir() {
  if (path.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace keyward::cli
