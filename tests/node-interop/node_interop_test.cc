// Runs tests/node-interop/vault_client.mjs (an independent Node client: serenity OPAQUE + @noble
// envelopes) against a real `keyward node --dev` child process.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/subprocess.h"
#include "support/vectors.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;

TEST(NodeInteropTest, SerenityClientRegistersActivatesAndRecovers) {
  std::filesystem::path dir = std::filesystem::path(KEYWARD_SOURCE_DIR) / "tests" / "node-interop";
  ASSERT_TRUE(std::filesystem::exists(dir / "node_modules" / "@serenity-kit" / "opaque"))
      << "npm packages missing in " << dir << ": run scripts/install-deps.sh";
  testing::TempDir tmp;
  auto node = testing::Subprocess::Start(
      {.argv = {testing::KeywardBinary(), "node", "--dev", "--data-dir", (tmp.path() / "d").string(),
                "--listen", "127.0.0.1:0", "--no-rate-limit", "--log-level", "warn"}});
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  auto line = (*node)->WaitForLine("READY ", 30s);
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  auto ready = nlohmann::json::parse(*line);
  auto client = testing::Subprocess::Start(
      {.argv = {"node", (dir / "vault_client.mjs").string(), "--vault", ready["listen"].get<std::string>(),
                "--app-key", ready["app_key"].get<std::string>(), "--fleet-key",
                ready["fleet_public_key"].get<std::string>(), "--user", "node-interop-user"},
       .pipe_stdin = false});
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  std::string last;
  for (int i = 0; i < 20; ++i) {
    auto l = (*client)->ReadLine(120s);
    ASSERT_TRUE(l.ok()) << "node client produced no verdict; last line: " << last;
    last = *l;
    if (last == "PASS" || last.rfind("FAIL", 0) == 0) break;
  }
  EXPECT_EQ(last, "PASS");
  auto st = (*client)->Wait(30s);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(*st, 0);
}

}  // namespace
}  // namespace keyward
