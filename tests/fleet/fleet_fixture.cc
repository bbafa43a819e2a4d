#include "fleet/fleet_fixture.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace keyward::testing {

using namespace std::chrono_literals;

void FleetFixture::StartFleet(FleetOptions options) {
  options_ = std::move(options);
  crypto::SystemRng rng;
  app_key_path_ = (dir_.path() / "app.key").string();
  ASSERT_TRUE(node::AppKey::Generate(rng).Save(app_key_path_).ok());
  auto loaded = node::AppKey::Load(app_key_path_);
  ASSERT_TRUE(loaded.ok());
  app_key_ = std::make_shared<node::AppKey>(std::move(*loaded));
  members_.resize(options_.slots);
  std::string nodes;
  for (size_t i = 0; i < options_.initial; ++i) {
    ASSERT_NO_FATAL_FAILURE(Start(i));
    nodes += (i == 0 ? "" : ",") + members_[i].peer;
  }
  auto init = Cli({"fleet", "init", "--out", (dir_.path() / "fleet").string(), "--nodes", nodes});
  ASSERT_TRUE(init.has_value()) << "fleet init failed";
  trust_policy_ = nlohmann::json::parse(*init)["trust_policy"];
  if (options_.make_clients) {
    for (size_t i = 0; i < options_.initial; ++i) members_[i].vault = Client(members_[i].client);
  }
}

void FleetFixture::Start(size_t i, const std::string& client, const std::string& peer) {
  std::vector<std::string> argv = {KeywardBinary(), "node", "--fleet-join", "--data-dir",
                                   (dir_.path() / ("n" + std::to_string(i))).string(), "--listen", client,
                                   "--peer-listen", peer, "--app-key", app_key_path_};
  argv.insert(argv.end(), options_.node_flags.begin(), options_.node_flags.end());
  auto proc = Subprocess::Start({.argv = argv});
  ASSERT_TRUE(proc.ok()) << proc.status().ToString();
  FleetMember& m = members_[i];
  m.proc = std::move(*proc);
  auto line = m.proc->WaitForLine("READY ", 30s);
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  auto ready = nlohmann::json::parse(*line);  // WaitForLine strips the prefix
  m.client = ready["listen"];
  m.peer = ready["peer_listen"];
  m.stub = v1::Peer::NewStub(grpc::CreateChannel(m.peer, grpc::InsecureChannelCredentials()));
}

void FleetFixture::Restart(size_t i) {
  FleetMember& m = members_[i];
  std::string client = m.client, peer = m.peer;
  ASSERT_NO_FATAL_FAILURE(Start(i, client, peer));  // the addresses in the manifest
  m.vault = Client(m.client);
}

void FleetFixture::Kill(size_t i) {
  ASSERT_TRUE(members_[i].proc->Signal(SIGKILL).ok());
  (void)members_[i].proc->Wait(5s);
  members_[i].proc.reset();
}

std::optional<std::string> FleetFixture::Cli(std::vector<std::string> args, int want_exit) {
  args.insert(args.begin(), KeywardBinary());
  auto p = Subprocess::Start({.argv = args});
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return std::nullopt;
  auto line = (*p)->ReadLine(60s);
  auto status = (*p)->Wait(30s);
  EXPECT_TRUE(status.ok() && WIFEXITED(*status)) << args[2];
  if (!status.ok() || !WIFEXITED(*status)) return std::nullopt;
  EXPECT_EQ(WEXITSTATUS(*status), want_exit) << args[2] << ": " << (line.ok() ? *line : "");
  if (WEXITSTATUS(*status) != want_exit) return std::nullopt;
  return line.ok() ? *line : std::string();
}

VaultClient::Config FleetFixture::ClientConfig(const std::string& address) {
  VaultClient::Config config;
  config.vault_address = address;
  config.trust_policy_path = trust_policy_;
  config.ksf = crypto::KsfConfig::Identity();
  config.call_timeout = 3000ms;
  config.follow_leader_hint = options_.follow_leader_hint;
  auto key = app_key_;
  config.credentials = [key](std::string_view user) -> StatusOr<Bytes> {
    return key->Mint(AsBytes(user), node::NowUnixSeconds() + 600);
  };
  config.authority_credentials = [key](std::string_view user) -> StatusOr<Bytes> {
    return key->Mint(AsBytes(user), node::NowUnixSeconds() + 600, node::CredentialScope::kAccountAuthority);
  };
  return config;
}

std::unique_ptr<VaultClient> FleetFixture::Client(const std::string& address) {
  auto c = VaultClient::Create(ClientConfig(address));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (!c.ok()) return nullptr;
  return std::move(*c);
}

std::optional<v1::FleetStatusResponse> FleetFixture::StatusOf(size_t i) {
  if (i >= members_.size() || !members_[i].proc) return std::nullopt;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 300ms);
  v1::FleetStatusResponse resp;
  if (!members_[i].stub->Status(&ctx, v1::FleetStatusRequest(), &resp).ok()) return std::nullopt;
  return resp;
}

int FleetFixture::Leader() { return WaitForLeader(0ms); }

int FleetFixture::WaitForLeader(std::chrono::milliseconds bound, int skip) {
  auto end = Clock::now() + bound;
  do {
    for (size_t i = 0; i < members_.size(); ++i) {
      if (static_cast<int>(i) == skip) continue;
      auto s = StatusOf(i);
      if (s && s->ready_leader()) return static_cast<int>(i);
    }
    if (Clock::now() >= end) break;
    std::this_thread::sleep_for(20ms);  // poll interval of a bounded wait
  } while (true);
  return -1;
}

uint32_t FleetFixture::VotersSeenByLeader() {
  int l = Leader();
  if (l < 0) return 0;
  auto s = StatusOf(static_cast<size_t>(l));
  return s ? s->voters() : 0;
}

int FleetFixture::SelfVoters() {
  int n = 0;
  for (size_t i = 0; i < members_.size(); ++i) {
    auto s = StatusOf(i);
    if (s && s->self_voter()) ++n;
  }
  return n;
}

bool FleetFixture::WaitAllVoters(std::chrono::milliseconds bound, size_t n) {
  if (n == 0) n = members_.size();
  auto end = Clock::now() + bound;
  while (Clock::now() < end) {
    size_t voters = 0;
    uint64_t commit = 0;
    std::vector<uint64_t> applied;
    for (size_t i = 0; i < n; ++i) {
      auto s = StatusOf(i);
      if (!s) break;
      if (s->self_voter() && s->voters() == n) ++voters;
      if (s->ready_leader()) commit = s->commit_index();
      applied.push_back(s->applied_index());
    }
    if (voters == n && commit > 0 &&
        std::all_of(applied.begin(), applied.end(), [&](uint64_t a) { return a >= commit; })) {
      return true;
    }
    std::this_thread::sleep_for(20ms);  // poll interval of a bounded wait
  }
  return false;
}

bool FleetFixture::WaitFor(const std::function<bool()>& done, std::chrono::milliseconds bound) {
  auto end = Clock::now() + bound;
  while (Clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);  // poll interval of a bounded wait
  }
  return done();
}

}  // namespace keyward::testing
