// DevNode: a real `keyward node --dev` child process for the tests in this directory (SoftHSM2
// token and keys in a temp dir, gRPC on 127.0.0.1:0, host rate limiter off), with what its READY
// line says: the address, the trust policy path and the app (account-authority) key.
//
// Ownership: owns the process (killed and reaped on destruction) and the temp dir.
// Thread-safety: one test thread.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "node/account_token.h"
#include "support/subprocess.h"
#include "support/vectors.h"

namespace keyward::testing {

class DevNode {
 public:
  // Starts the node; ASSERT-fails the calling test if it does not get READY within 30 s.
  void Start() {
    using namespace std::chrono_literals;
    auto proc = Subprocess::Start(
        {.argv = {KeywardBinary(), "node", "--dev", "--data-dir", (dir.path() / "data").string(),
                  "--listen", "127.0.0.1:0", "--no-rate-limit", "--log-level", "warn"}});
    ASSERT_TRUE(proc.ok()) << proc.status().ToString();
    process = std::move(*proc);
    auto line = process->WaitForLine("READY ", 30s);
    ASSERT_TRUE(line.ok()) << line.status().ToString();
    const nlohmann::json ready = nlohmann::json::parse(*line);
    address = ready["listen"];
    // Without --metrics-listen there is no HTTP listener at all (issue 3: "off when not given").
    EXPECT_FALSE(ready.contains("metrics")) << *line;
    trust_policy_path = ready["trust_policy"];
    app_key_path = ready["app_key"];
    auto key = node::AppKey::Load(app_key_path);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    app_key = std::make_unique<node::AppKey>(std::move(*key));
  }

  Bytes Credential(const std::string& user,
                   node::CredentialScope scope = node::CredentialScope::kUser) const {
    return app_key->Mint(AsBytes(user), node::NowUnixSeconds() + 300, scope);
  }

  TempDir dir;
  std::unique_ptr<Subprocess> process;
  std::string address;
  std::string trust_policy_path;
  std::string app_key_path;
  std::unique_ptr<node::AppKey> app_key;
};

}  // namespace keyward::testing
