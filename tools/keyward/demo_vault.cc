// The vault demo (`keyward demo`): a real dev node as a child process (SoftHSM2 token in a temp
// dir, gRPC on 127.0.0.1), driven through the client SDK with the production Argon2id parameters.
// Shows: register, recover, a wrong password counted, the record destroyed after its last attempt.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "demo_process.h"
#include "keyward/client.h"
#include "node/account_token.h"

namespace keyward::cli {
namespace {

void Step(int n, const char* what) { std::printf("\n[%d] %s\n", n, what); std::fflush(stdout); }

crypto::SecretBytes Text(std::string_view s) { return crypto::SecretBytes(AsBytes(s)); }

}  // namespace

int RunVaultDemo() {
  namespace fs = std::filesystem;
  DemoTempDir temp("keyward-demo");
  if (temp.path.empty()) {
    std::fprintf(stderr, "demo: cannot create a temp dir\n");
    return 1;
  }
  const fs::path dir = temp.path;

  std::printf("Keyward vault demo: one dev node (SoftHSM2 token in %s), real gRPC on 127.0.0.1\n",
              dir.c_str());
  Step(1, "Starting `keyward node --dev` ...");
  std::string data = (dir / "data").string();
  // The host limiter would delay step 7's 4th quick guess; the demo shows the core's hard limit,
  // so give it more free tries.
  DemoChild child;
  if (!SpawnSelf({"node", "--dev", "--data-dir", data, "--listen", "127.0.0.1:0", "--rate-limit-free-attempts",
                  "10", "--log-level", "warn"},
                 "", &child)) {
    std::fprintf(stderr, "demo: cannot start the node\n");
    return 1;
  }
  auto ready = WaitReady(child.out_fd, 30000);
  if (!ready) {
    std::fprintf(stderr, "demo: the node did not become ready within 30 s\n");
    return 1;
  }
  auto info = nlohmann::json::parse(*ready, nullptr, false);
  if (info.is_discarded()) return 1;
  std::printf("    node listening on %s\n    fleet key %s\n    trust policy %s (pins that key)\n",
              info["listen"].get<std::string>().c_str(),
              info["fleet_public_key"].get<std::string>().c_str(),
              info["trust_policy"].get<std::string>().c_str());

  auto app_key = node::AppKey::Load(info["app_key"].get<std::string>());
  if (!app_key.ok()) return 1;
  auto key = std::make_shared<node::AppKey>(std::move(*app_key));
  VaultClient::Config config;
  config.vault_address = info["listen"];
  config.trust_policy_path = info["trust_policy"];
  config.credentials = [key](std::string_view user) -> StatusOr<Bytes> {
    return key->Mint(AsBytes(user), node::NowUnixSeconds() + 300);
  };
  auto client = VaultClient::Create(std::move(config));
  if (!client.ok()) {
    std::fprintf(stderr, "demo: %s\n", client.status().message().c_str());
    return 1;
  }
  auto& c = **client;
  auto t0 = std::chrono::steady_clock::now();
  auto ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  };

  Step(2, "alice registers a backup key under password \"correct horse\" (max 3 attempts)");
  Outcome r = c.Register("alice", Text("correct horse"), Text("alice's backup key: 7f3a-19c2-e801"),
                         {.max_attempts = 3});
  std::printf("    %s (%lld ms, Argon2id m=64MiB t=3 p=4 on this device)\n", r.message.c_str(),
              static_cast<long long>(ms()));
  if (!r.ok()) return 1;

  Step(3, "alice recovers it with the right password");
  t0 = std::chrono::steady_clock::now();
  Outcome got = c.Recover("alice", Text("correct horse"));
  if (!got.ok()) { std::printf("    unexpected: %s\n", got.message.c_str()); return 1; }
  std::printf("    recovered \"%.*s\"; attempts remaining %u (%lld ms)\n",
              static_cast<int>(got.secret.size()), reinterpret_cast<const char*>(got.secret.Reveal().data()),
              got.attempts_remaining.value_or(0), static_cast<long long>(ms()));

  Step(4, "someone guesses \"password1\": the guess is counted before the vault answers");
  Outcome w = c.Recover("alice", Text("password1"));
  std::printf("    %s\n", w.message.c_str());

  Step(5, "alice logs in correctly: the counter resets");
  got = c.Recover("alice", Text("correct horse"));
  std::printf("    %s; attempts remaining %u\n", got.message.c_str(), got.attempts_remaining.value_or(0));

  Step(6, "an attacker makes 3 wrong guesses in a row");
  for (const char* guess : {"123456", "qwerty", "letmein"}) {
    Outcome g = c.Recover("alice", Text(guess));
    std::printf("    guess \"%s\": %s\n", guess, g.message.c_str());
  }
  Step(7, "alice now tries the right password");
  Outcome after = c.Recover("alice", Text("correct horse"));
  std::printf("    %s: %s\n", ClientErrorKindName(after.kind), after.message.c_str());
  bool destroyed = after.kind == ClientErrorKind::kLocked && after.secret.empty();
  std::printf("    -> the record was destroyed after its last attempt: %s\n", destroyed ? "yes" : "NO");

  Step(8, "Stopping the node and removing the temp dir");
  return destroyed && w.kind == ClientErrorKind::kWrongPassword ? 0 : 1;
}

}  // namespace keyward::cli
