// FleetFixture: the GoogleTest fixture of the real-process fleet tests (tests/fleet): `keyward node
// --fleet-join` members as child processes (each with its own data dir and SoftHSM2 token in the
// test's temp dir, ephemeral loopback ports read from READY), `keyward fleet init`, an SDK client
// per member, Peer.Status polling (leader, voters), retries over the members, and kill / restart.
//
// Use: derive a fixture, call StartFleet() from SetUp (after preparing anything the node flags
// refer to), then wait for whatever the test needs (WaitForLeader, WaitAllVoters, WaitFor).
// The fixture owns every child process; they are SIGKILLed and reaped when the fixture is
// destroyed. Helpers report failures with gtest assertions: wrap calls of the void ones in
// ASSERT_NO_FATAL_FAILURE.
//
// Thread-safety: one test thread.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "keyward/client.h"
#include "keyward/v1/peer.grpc.pb.h"
#include "node/account_token.h"
#include "support/subprocess.h"
#include "support/vectors.h"

namespace keyward::testing {

// One member slot. `proc` is null while the member is not running (never started, or killed).
struct FleetMember {
  std::unique_ptr<Subprocess> proc;
  std::string client, peer;               // client (Vault) and peer addresses from its READY line
  std::unique_ptr<v1::Peer::Stub> stub;   // Peer service of `peer` (Status etc.)
  std::unique_ptr<VaultClient> vault;     // SDK client of `client`; made by StartFleet / Restart
};

struct FleetOptions {
  size_t slots = 3;    // members_.size(); slots past `initial` are for later Start(i) (fleet add)
  size_t initial = 3;  // members started by StartFleet and listed in `fleet init --nodes`
  // Flags after `node --fleet-join --data-dir D --listen A --peer-listen P --app-key K`.
  std::vector<std::string> node_flags = {"--no-rate-limit", "--log-level", "warn", "--election-timeout-ms", "300"};
  bool make_clients = true;  // give each initial member an SDK client (needs keyward_client)
  // VaultClient::Config::follow_leader_hint of Client(). Off by default: each member's client stays
  // on its member (followers relay), so Retry's rotation decides where a call goes; a hinted client
  // would sit on a stopped leader until its call timeout.
  bool follow_leader_hint = false;
  std::chrono::milliseconds retry_poll{10};  // pause of Retry after an UNAVAILABLE answer
};

inline crypto::SecretBytes Secret(std::string_view s) { return crypto::SecretBytes(AsBytes(s)); }

class FleetFixture : public ::testing::Test {
 protected:
  using Clock = std::chrono::steady_clock;

  // Generates the app key, starts options.initial members, runs `fleet init` (trust_policy_ from
  // its output) and, if options.make_clients, makes their SDK clients. Does not wait for a leader.
  void StartFleet(FleetOptions options = {});

  // Starts member `i` (data dir dir_/n<i>) and reads its addresses and Peer stub; restarts reuse
  // the addresses of the manifest by passing them here.
  void Start(size_t i, const std::string& client = "127.0.0.1:0", const std::string& peer = "127.0.0.1:0");
  // Restarts a killed member on its old addresses (it rejoins empty and heals) with a new client.
  void Restart(size_t i);
  // SIGKILLs member `i`, reaps it and clears its `proc`.
  void Kill(size_t i);

  // Runs the CLI (`keyward <args>`); returns its first stdout line if it exits with `want_exit`
  // (a non-fatal failure and nullopt otherwise).
  std::optional<std::string> Cli(std::vector<std::string> args, int want_exit = 0);
  // An SDK client of `address` with the fleet's trust policy, identity KSF, 3 s calls,
  // options_.follow_leader_hint, and user and account-authority credentials minted with the app key.
  std::unique_ptr<VaultClient> Client(const std::string& address);
  // The Config that Client() uses, to adjust before VaultClient::Create (e.g. a member list in
  // vault_address, follow_leader_hint, call_timeout).
  VaultClient::Config ClientConfig(const std::string& address);

  // Peer.Status of member `i` (300 ms deadline); nullopt if it is not running or does not answer.
  std::optional<v1::FleetStatusResponse> StatusOf(size_t i);
  // Index of a member that is a ready leader now, -1 if none (one pass over the slots).
  int Leader();
  // Index of a ready leader among the members other than `skip`, polling until `bound`; -1 if none.
  int WaitForLeader(std::chrono::milliseconds bound, int skip = -1);
  // Voters in the configuration of the current leader (0 if there is no leader).
  uint32_t VotersSeenByLeader();
  // Members that report themselves a voter.
  int SelfVoters();
  // Polls until slots 0..n-1 (n = 0: all slots) all answer, each is a voter of an n-voter fleet,
  // there is a ready leader with a commit index > 0 and every member applied it; false at `bound`.
  bool WaitAllVoters(std::chrono::milliseconds bound, size_t n = 0);
  // Polls `done` every 50 ms until it is true or `bound` passes; returns its last value.
  bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds bound);

  // Retries `op(VaultClient&)` on kUnavailable, rotating over the running members with a client,
  // until another answer or `bound`; counts the UNAVAILABLE tries in *ambiguous if given.
  template <typename Op>
  Outcome Retry(Op op, std::chrono::milliseconds bound, int* ambiguous = nullptr) {
    auto end = Clock::now() + bound;
    Outcome o;
    while (Clock::now() < end) {
      FleetMember& m = members_[(next_++) % members_.size()];
      if (!m.proc || !m.vault) continue;
      o = op(*m.vault);
      if (o.kind != ClientErrorKind::kUnavailable) return o;
      if (ambiguous != nullptr) ++*ambiguous;
      std::this_thread::sleep_for(options_.retry_poll);  // poll interval of a bounded retry
    }
    return o;
  }

  TempDir dir_;
  FleetOptions options_;
  std::string app_key_path_, trust_policy_;
  std::shared_ptr<node::AppKey> app_key_;
  std::vector<FleetMember> members_;
  size_t next_ = 0;  // Retry's rotation
};

}  // namespace keyward::testing
