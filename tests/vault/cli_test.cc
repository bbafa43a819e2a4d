// The real `keyward client` binary against a real dev node: every documented exit code (0 ok,
// 1 usage, 2 trust failure, 3 wrong password with the stderr line `attempts remaining: N`,
// 4 locked / not registered, 5 vault unavailable, 6 refused) and a multi-megabyte
// backup/restore round trip that refuses a tampered file.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dev_node.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct CliResult {
  int exit_code = -1;
  std::string stderr_text;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(node_.Start());
    WriteFile(Path("pw"), "right password\n");
    WriteFile(Path("bad"), "wrong password\n");
    WriteFile(Path("secret"), "backup key from the CLI test");
  }

  std::string Path(const std::string& name) const { return (node_.dir.path() / name).string(); }

  static void WriteFile(const std::string& path, const std::string& data) {
    std::ofstream(path, std::ios::binary) << data;
  }
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // `keyward client SUBCOMMAND --vault --trust --app-key --user <user> <small Argon2id> EXTRA...`
  CliResult Run(const std::string& subcommand, const std::string& user,
                std::vector<std::string> extra, const std::string& vault = "",
                const std::string& trust = "") {
    std::vector<std::string> argv = {testing::KeywardBinary(), "client", subcommand};
    if (!user.empty()) {
      argv.insert(argv.end(),
                  {"--vault", vault.empty() ? node_.address : vault, "--trust",
                   trust.empty() ? node_.trust_policy_path : trust, "--app-key",
                   node_.app_key_path, "--user", user, "--argon2-memory-kib", "256",
                   "--argon2-iterations", "1", "--argon2-parallelism", "1", "--timeout-ms", "5000"});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    const std::string err_path = Path("stderr-" + std::to_string(++runs_));
    auto proc = testing::Subprocess::Start(
        {.argv = argv, .stderr_path = err_path, .pipe_stdin = false, .pipe_stdout = false});
    EXPECT_TRUE(proc.ok()) << proc.status().ToString();
    if (!proc.ok()) return {};
    auto status = (*proc)->Wait(60s);
    EXPECT_TRUE(status.ok()) << status.status().ToString();
    CliResult r;
    if (status.ok() && WIFEXITED(*status)) r.exit_code = WEXITSTATUS(*status);
    r.stderr_text = ReadFile(err_path);
    return r;
  }

  CliResult Register(const std::string& user, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--password-file", Path("pw"), "--secret-file", Path("secret")};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run("register", user, args);
  }

  testing::DevNode node_;
  int runs_ = 0;
};

bool HasLine(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return true;
  }
  return false;
}

TEST_F(CliTest, EveryExitCode) {
  // 0: register and recover.
  CliResult reg = Register("cli-user", {"--max-attempts", "3"});
  ASSERT_EQ(reg.exit_code, 0) << reg.stderr_text;
  CliResult rec = Run("recover", "cli-user", {"--password-file", Path("pw"), "--out", Path("got")});
  ASSERT_EQ(rec.exit_code, 0) << rec.stderr_text;
  EXPECT_EQ(ReadFile(Path("got")), "backup key from the CLI test");

  // 1: usage errors (missing required flag, out-of-range value, unknown flag).
  EXPECT_EQ(Run("register", "", {"--trust", node_.trust_policy_path}).exit_code, 1);
  EXPECT_EQ(Register("cli-user2", {"--max-attempts", "0"}).exit_code, 1);
  EXPECT_EQ(Run("recover", "cli-user", {"--no-such-flag"}).exit_code, 1);

  // 2: a policy that pins another fleet's key.
  uint8_t other_key[32];
  crypto_core_ristretto255_random(other_key);
  WriteFile(Path("other.policy"), "namespace x\nfleet other " + HexEncode(other_key) + "\n");
  CliResult trust = Run("register", "cli-user",
                        {"--password-file", Path("pw"), "--secret-file", Path("secret")}, "",
                        Path("other.policy"));
  EXPECT_EQ(trust.exit_code, 2) << trust.stderr_text;

  // 3: wrong password, with the exact stderr line.
  CliResult wrong = Run("recover", "cli-user", {"--password-file", Path("bad")});
  EXPECT_EQ(wrong.exit_code, 3) << wrong.stderr_text;
  EXPECT_TRUE(HasLine(wrong.stderr_text, "attempts remaining: 2")) << wrong.stderr_text;
  wrong = Run("recover", "cli-user", {"--password-file", Path("bad")});
  EXPECT_EQ(wrong.exit_code, 3) << wrong.stderr_text;
  EXPECT_TRUE(HasLine(wrong.stderr_text, "attempts remaining: 1")) << wrong.stderr_text;

  // 4: the last guess destroys the record; then even the right password is "locked"; an unknown
  // user looks the same.
  EXPECT_EQ(Run("recover", "cli-user", {"--password-file", Path("bad")}).exit_code, 4);
  CliResult locked = Run("recover", "cli-user", {"--password-file", Path("pw")});
  EXPECT_EQ(locked.exit_code, 4) << locked.stderr_text;
  EXPECT_EQ(Run("recover", "nobody", {"--password-file", Path("pw")}).exit_code, 4);

  // 5: nothing listening.
  CliResult down = Run("recover", "cli-user", {"--password-file", Path("pw")}, "127.0.0.1:1");
  EXPECT_EQ(down.exit_code, 5) << down.stderr_text;

  // 6: refused by the vault — a user credential cannot overwrite an active record.
  ASSERT_EQ(Register("cli-active").exit_code, 0);
  CliResult over = Register("cli-active");
  EXPECT_EQ(over.exit_code, 6) << over.stderr_text;
  // ...the account authority can; delete with the password, then as the authority.
  EXPECT_EQ(Register("cli-active", {"--as-authority"}).exit_code, 0);
  EXPECT_EQ(Run("delete", "cli-active", {"--password-file", Path("bad")}).exit_code, 3);
  CliResult del = Run("delete", "cli-active", {"--password-file", Path("pw")});
  EXPECT_EQ(del.exit_code, 0) << del.stderr_text;
  EXPECT_EQ(Run("recover", "cli-active", {"--password-file", Path("pw")}).exit_code, 4);
  ASSERT_EQ(Register("cli-active").exit_code, 0);
  EXPECT_EQ(Run("delete", "cli-active", {"--as-authority"}).exit_code, 0);
  EXPECT_EQ(Run("recover", "cli-active", {"--password-file", Path("pw")}).exit_code, 4);
}

TEST_F(CliTest, BackupRestoreRoundTripAndTamperRefused) {
  ASSERT_EQ(Register("cli-backup").exit_code, 0);
  std::string data(3 * 1024 * 1024 + 12345, '\0');  // several chunks and a partial last one
  randombytes_buf(data.data(), data.size());
  WriteFile(Path("big"), data);
  const std::vector<std::string> pw = {"--password-file", Path("pw")};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.begin(), pw.begin(), pw.end());
    return more;
  };
  CliResult backup = Run("backup", "cli-backup", with({"--in", Path("big"), "--out", Path("big.kwb")}));
  ASSERT_EQ(backup.exit_code, 0) << backup.stderr_text;
  const std::string sealed = ReadFile(Path("big.kwb"));
  EXPECT_GT(sealed.size(), data.size());
  EXPECT_EQ(sealed.find(data.substr(0, 64)), std::string::npos) << "plaintext leaked";
  CliResult restore =
      Run("restore", "cli-backup", with({"--in", Path("big.kwb"), "--out", Path("big.out")}));
  ASSERT_EQ(restore.exit_code, 0) << restore.stderr_text;
  EXPECT_TRUE(ReadFile(Path("big.out")) == data) << "restored bytes differ";

  // One flipped bit in the middle: refused, and no output file is left behind.
  std::string tampered = sealed;
  tampered[tampered.size() / 2] ^= 0x01;
  WriteFile(Path("tampered.kwb"), tampered);
  CliResult bad =
      Run("restore", "cli-backup", with({"--in", Path("tampered.kwb"), "--out", Path("t.out")}));
  EXPECT_EQ(bad.exit_code, 6) << bad.stderr_text;
  EXPECT_FALSE(fs::exists(Path("t.out")));
  // Truncated (last chunk dropped): refused too.
  WriteFile(Path("short.kwb"), sealed.substr(0, sealed.size() - 1000));
  CliResult cut =
      Run("restore", "cli-backup", with({"--in", Path("short.kwb"), "--out", Path("s.out")}));
  EXPECT_EQ(cut.exit_code, 6) << cut.stderr_text;
  EXPECT_FALSE(fs::exists(Path("s.out")));
}

}  // namespace
}  // namespace keyward
