#include "support/subprocess.h"

#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "support/vectors.h"

namespace keyward::testing {
namespace {

using namespace std::chrono_literals;

TEST(Subprocess, ReadsReadyLineAndEchoesStdin) {
  auto p = Subprocess::Start({.argv = {"/bin/sh", "-c",
                                       "echo log line; echo 'READY {\"listen\":\"127.0.0.1:1234\"}'; "
                                       "read x; echo got:$x"}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto addr = (*p)->WaitReady(5s);
  ASSERT_TRUE(addr.ok()) << addr.status().ToString();
  EXPECT_EQ(*addr, "127.0.0.1:1234");
  ASSERT_TRUE((*p)->WriteStdin("hello\n").ok());
  auto line = (*p)->ReadLine(5s);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(*line, "got:hello");
  auto st = (*p)->Wait(5s);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0);
}

TEST(Subprocess, ReadLineTimesOutAndKillWorks) {
  auto p = Subprocess::Start({.argv = {"/bin/sh", "-c", "exec sleep 30"}});
  ASSERT_TRUE(p.ok());
  auto line = (*p)->ReadLine(50ms);
  EXPECT_EQ(line.status().code(), ErrorCode::kDeadlineExceeded);
  ASSERT_TRUE((*p)->Signal(SIGKILL).ok());
  auto st = (*p)->Wait(5s);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(WIFSIGNALED(*st));
}

TEST(Subprocess, MissingProgramIsAnError) {
  auto p = Subprocess::Start({.argv = {"/nonexistent/program"}});
  EXPECT_FALSE(p.ok());
}

TEST(TempDir, IsCreatedAndRemoved) {
  std::filesystem::path where;
  {
    TempDir d;
    where = d.path();
    EXPECT_TRUE(std::filesystem::is_directory(where));
  }
  EXPECT_FALSE(std::filesystem::exists(where));
}

}  // namespace
}  // namespace keyward::testing
