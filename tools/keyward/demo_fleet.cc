// The fleet stage of `keyward demo`: a 3-node fleet on loopback, each node its own process with its
// own SoftHSM2 token (DIR/nI/hsm), created with `keyward fleet init`; then a user registers and
// recovers through a follower (forwarded to the leader), a wrong guess is counted on a majority,
// the leader is killed with SIGKILL, and the survivors elect a new leader that still holds the
// record and the counter. Ends with a clean shutdown. docs/replication.md §6 explains each step.
#include <signal.h>
#include <unistd.h>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "commands.h"
#include "demo_process.h"
#include "keyward/client.h"
#include "keyward/v1/peer.grpc.pb.h"
#include "node/account_token.h"

namespace keyward::cli {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

void Step(const char* n, const char* what) { std::printf("\n[%s] %s\n", n, what); std::fflush(stdout); }

crypto::SecretBytes Text(std::string_view s) { return crypto::SecretBytes(AsBytes(s)); }

struct FleetNode {
  DemoChild proc;
  std::string client, peer, log;
  std::unique_ptr<v1::Peer::Stub> stub;
  bool up = false;
};

std::optional<v1::FleetStatusResponse> StatusOf(FleetNode& n) {
  if (!n.up) return std::nullopt;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 500ms);
  v1::FleetStatusRequest req;
  v1::FleetStatusResponse resp;
  if (!n.stub->Status(&ctx, req, &resp).ok()) return std::nullopt;
  return resp;
}

// Index of a ready leader, polling up to `bound`; -1 if none.
int WaitForLeader(std::array<FleetNode, 3>& nodes, std::chrono::milliseconds bound) {
  auto end = Clock::now() + bound;
  while (Clock::now() < end) {
    for (int i = 0; i < 3; ++i) {
      auto s = StatusOf(nodes[static_cast<size_t>(i)]);
      if (s && s->ready_leader()) return i;
    }
    std::this_thread::sleep_for(50ms);  // poll interval of a bounded wait
  }
  return -1;
}

bool WaitAllVoters(std::array<FleetNode, 3>& nodes, std::chrono::milliseconds bound) {
  auto end = Clock::now() + bound;
  while (Clock::now() < end) {
    int voters = 0;
    for (auto& n : nodes) {
      auto s = StatusOf(n);
      if (s && s->self_voter() && s->voters() == 3) ++voters;
    }
    if (voters == 3) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

void PrintStatus(std::array<FleetNode, 3>& nodes) {
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto s = StatusOf(nodes[i]);
    if (!s) {
      std::printf("    node %zu  %-21s down\n", i + 1, nodes[i].peer.c_str());
      continue;
    }
    std::printf("    node %zu  %-21s %-9s term %llu  commit %llu  voters %u\n", i + 1, nodes[i].peer.c_str(),
                s->role().c_str(), static_cast<unsigned long long>(s->term()),
                static_cast<unsigned long long>(s->commit_index()), s->voters());
  }
}

void PrintLogTails(const std::array<FleetNode, 3>& nodes) {
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::ifstream in(nodes[i].log);
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line)) lines.push_back(line);
    std::fprintf(stderr, "--- node %zu log (last lines) ---\n", i + 1);
    for (size_t k = lines.size() > 10 ? lines.size() - 10 : 0; k < lines.size(); ++k) {
      std::fprintf(stderr, "%s\n", lines[k].c_str());
    }
  }
}

// Retries on kUnavailable (an election in progress) for at most `bound`.
template <typename Op>
Outcome Retry(Op op, std::chrono::milliseconds bound) {
  auto end = Clock::now() + bound;
  Outcome o;
  do {
    o = op();
    if (o.kind != ClientErrorKind::kUnavailable) return o;
    std::this_thread::sleep_for(100ms);
  } while (Clock::now() < end);
  return o;
}

int Fail(const std::array<FleetNode, 3>& nodes, const std::string& why) {
  std::fprintf(stderr, "fleet demo: %s\n", why.c_str());
  PrintLogTails(nodes);
  return 1;
}

}  // namespace

int RunFleetDemo() {
  namespace fs = std::filesystem;
  DemoTempDir temp("keyward-fleet-demo");
  if (temp.path.empty()) {
    std::fprintf(stderr, "fleet demo: cannot create a temp dir\n");
    return 1;
  }
  const fs::path dir = temp.path;
  auto start = Clock::now();
  auto since = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };

  std::printf("\nKeyward fleet demo: 3 nodes on 127.0.0.1, each its own process and SoftHSM2 token (in %s)\n",
              dir.c_str());
  crypto::SystemRng rng;
  std::string app_key_path = (dir / "app.key").string();
  if (!node::AppKey::Generate(rng).Save(app_key_path).ok()) return Fail({}, "cannot write the app key");
  auto loaded = node::AppKey::Load(app_key_path);
  if (!loaded.ok()) return Fail({}, loaded.status().message());
  auto app_key = std::make_shared<node::AppKey>(std::move(*loaded));

  Step("F1", "Starting 3 x `keyward node --fleet-join` (identity keys created in each node's own token)");
  std::array<FleetNode, 3> nodes;
  for (size_t i = 0; i < nodes.size(); ++i) {
    FleetNode& n = nodes[i];
    std::string data = (dir / ("n" + std::to_string(i + 1))).string();
    n.log = (dir / ("n" + std::to_string(i + 1) + ".log")).string();
    if (!SpawnSelf({"node", "--fleet-join", "--data-dir", data, "--listen", "127.0.0.1:0", "--peer-listen",
                    "127.0.0.1:0", "--app-key", app_key_path, "--no-rate-limit", "--log-level", "warn",
                    "--election-timeout-ms", "300"},
                   n.log, &n.proc)) {
      return Fail(nodes, "cannot start node " + std::to_string(i + 1));
    }
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    FleetNode& n = nodes[i];
    auto ready = WaitReady(n.proc.out_fd, 30000);
    if (!ready) return Fail(nodes, "node " + std::to_string(i + 1) + " did not become ready within 30 s");
    auto info = nlohmann::json::parse(*ready, nullptr, false);
    if (info.is_discarded() || !info.contains("peer_listen")) return Fail(nodes, "bad READY line: " + *ready);
    n.client = info["listen"];
    n.peer = info["peer_listen"];
    n.stub = v1::Peer::NewStub(grpc::CreateChannel(n.peer, grpc::InsecureChannelCredentials()));
    n.up = true;
    std::printf("    node %zu: clients %s, peers %s\n", i + 1, n.client.c_str(), n.peer.c_str());
  }

  Step("F2", "`keyward fleet init`: manifest of the 3 identities; node 1 generates the OPAQUE secrets and "
             "boxes them to the others; each member signs a statement");
  std::string out = (dir / "fleet").string();
  auto init = RunSelf({"fleet", "init", "--fleet-id", "demo-fleet", "--out", out, "--nodes",
                       nodes[0].peer + "," + nodes[1].peer + "," + nodes[2].peer},
                      60000);
  if (!init) return Fail(nodes, "fleet init failed");
  auto summary = nlohmann::json::parse(*init, nullptr, false);
  if (summary.is_discarded()) return Fail(nodes, "fleet init printed no JSON summary");
  std::printf("    fleet key %s\n    wrote manifest.json, statements.json, trust.policy\n",
              summary["fleet_public_key"].get<std::string>().c_str());
  if (WaitForLeader(nodes, 15s) < 0 || !WaitAllVoters(nodes, 15s)) {
    return Fail(nodes, "the fleet did not elect a leader with 3 voters within 15 s");
  }
  PrintStatus(nodes);
  int leader = WaitForLeader(nodes, 5s);
  if (leader < 0) return Fail(nodes, "no leader");
  size_t via = static_cast<size_t>((leader + 1) % 3);  // a follower: it forwards to the leader

  VaultClient::Config config;
  config.vault_address = nodes[via].client;
  config.trust_policy_path = summary["trust_policy"];
  config.call_timeout = 5000ms;
  config.credentials = [app_key](std::string_view user) -> StatusOr<Bytes> {
    return app_key->Mint(AsBytes(user), node::NowUnixSeconds() + 300);
  };
  auto client = VaultClient::Create(std::move(config));
  if (!client.ok()) return Fail(nodes, client.status().message());
  auto& c = **client;

  Step("F3", "bob registers through a follower (forwarded to the leader); acknowledged once a majority stored it");
  std::printf("    client talks to node %zu (%s); the leader is node %d\n", via + 1, nodes[via].client.c_str(),
              leader + 1);
  Outcome r = Retry([&] { return c.Register("bob", Text("tr0ub4dor&3"), Text("bob's wallet seed: 4c1d-88aa"),
                                            {.max_attempts = 3}); },
                    10s);
  std::printf("    %s\n", r.message.c_str());
  if (!r.ok()) return Fail(nodes, "register failed");

  Step("F4", "bob recovers it");
  Outcome got = Retry([&] { return c.Recover("bob", Text("tr0ub4dor&3")); }, 10s);
  if (!got.ok()) return Fail(nodes, "recover failed: " + got.message);
  std::printf("    recovered \"%.*s\"; attempts remaining %u\n", static_cast<int>(got.secret.size()),
              reinterpret_cast<const char*>(got.secret.Reveal().data()), got.attempts_remaining.value_or(0));

  Step("F5", "a wrong guess: counted on a majority of the fleet before the vault answers");
  Outcome w1 = Retry([&] { return c.Recover("bob", Text("password1")); }, 10s);
  std::printf("    %s\n", w1.message.c_str());
  if (w1.kind != ClientErrorKind::kWrongPassword) return Fail(nodes, "the wrong guess was not refused");

  Step("F6", "SIGKILL the leader");
  auto t_kill = Clock::now();
  nodes[static_cast<size_t>(leader)].proc.Kill();
  nodes[static_cast<size_t>(leader)].up = false;
  std::printf("    node %d killed\n", leader + 1);
  int next = WaitForLeader(nodes, 10s);
  if (next < 0) return Fail(nodes, "no new leader within 10 s");
  std::printf("    node %d is the new leader after %.2f s\n", next + 1,
              std::chrono::duration<double>(Clock::now() - t_kill).count());
  PrintStatus(nodes);

  Step("F7", "another wrong guess: the counter survived the failover");
  Outcome w2 = Retry([&] { return c.Recover("bob", Text("hunter2")); }, 10s);
  std::printf("    %s\n", w2.message.c_str());
  bool counted = w2.kind == ClientErrorKind::kWrongPassword && w1.attempts_remaining.has_value() &&
                 w2.attempts_remaining.has_value() && *w2.attempts_remaining + 1 == *w1.attempts_remaining;
  std::printf("    -> attempts remaining went %u -> %u: %s\n", w1.attempts_remaining.value_or(0),
              w2.attempts_remaining.value_or(0), counted ? "no guess lost" : "UNEXPECTED");

  Step("F8", "bob recovers with the right password on the 2 surviving nodes");
  got = Retry([&] { return c.Recover("bob", Text("tr0ub4dor&3")); }, 10s);
  if (!got.ok()) return Fail(nodes, "recover after the failover failed: " + got.message);
  std::printf("    recovered \"%.*s\"; attempts remaining %u (reset)\n", static_cast<int>(got.secret.size()),
              reinterpret_cast<const char*>(got.secret.Reveal().data()), got.attempts_remaining.value_or(0));

  Step("F9", "Clean shutdown (SIGTERM) of the surviving nodes, temp dir removed");
  bool clean = true;
  for (auto& n : nodes) {
    if (n.up) clean = n.proc.Stop() && clean;
    n.up = false;
  }
  std::printf("    %s; fleet stage took %.1f s\n", clean ? "both exited cleanly" : "a node did not exit cleanly",
              since());
  return counted && clean ? 0 : 1;
}

}  // namespace keyward::cli
