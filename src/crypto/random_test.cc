// BlockRng (random.h): kernel randomness read ahead in per-thread blocks. What must hold: no
// byte is handed out twice (within a thread, across block refills, and between a parent and the
// child it forks after priming its buffer), and requests of every size are served.
#include "crypto/random.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <set>
#include <vector>

namespace keyward::crypto {
namespace {

TEST(BlockRngTest, NeverRepeatsAcrossRefillsAndSizes) {
  BlockRng rng;
  std::set<std::vector<uint8_t>> seen;
  const size_t sizes[] = {24, 32, 64, 100, 128, 129, 300};  // 129+ bypass the block
  for (int round = 0; round < 50; ++round) {
    for (size_t n : sizes) {
      std::vector<uint8_t> out(n, 0);
      rng.Fill(out);
      EXPECT_NE(out, std::vector<uint8_t>(n, 0));  // wiped bytes never reach the caller
      EXPECT_TRUE(seen.insert(out).second) << "repeated " << n << " bytes in round " << round;
    }
  }
}

TEST(BlockRngTest, ForkedChildDoesNotReuseTheParentsBuffer) {
  BlockRng rng;
  std::array<uint8_t, 8> prime{};
  rng.Fill(prime);  // the parent's buffer now holds unused bytes a child would inherit
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::array<uint8_t, 32> mine{};
    rng.Fill(mine);
    const bool written = write(fds[1], mine.data(), mine.size()) == static_cast<ssize_t>(mine.size());
    _exit(written ? 0 : 1);
  }
  close(fds[1]);
  std::array<uint8_t, 32> from_child{};
  size_t got = 0;
  while (got < from_child.size()) {
    const ssize_t n = read(fds[0], from_child.data() + got, from_child.size() - got);
    ASSERT_GT(n, 0) << "the child wrote nothing";
    got += static_cast<size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::array<uint8_t, 32> parent{};
  rng.Fill(parent);
  EXPECT_NE(parent, from_child);
}

}  // namespace
}  // namespace keyward::crypto
