// `keyward fleet init|status`: create a fleet from running `keyward node --fleet-join` members and
// inspect it (docs/replication.md "Fleet creation"). `keyward fleet add|remove` are in
// fleet_membership.cc, `keyward fleet bench` in fleet_bench.cc.
// Exit codes: 0 ok, 1 usage, 2 a node could not be reached or refused, 3 a member's answer does
// not verify.
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "commands.h"
#include "crypto/ed25519.h"
#include "keyward/v1/peer.grpc.pb.h"
#include "node/fleet_manifest.h"
#include "trust/pinned.h"

namespace keyward::cli {

// manifest.json as written by `fleet init` and `fleet add` (shared with fleet_membership.cc).
nlohmann::json FleetManifestJson(const node::FleetManifest& manifest, const std::string& fleet_key) {
  nlohmann::json m = {{"fleet_id", manifest.fleet_id},
                      {"manifest_hex", HexEncode(manifest.Encode())},
                      {"manifest_sha256", HexEncode(manifest.Hash())},
                      {"fleet_public_key", HexEncode(AsBytes(fleet_key))},
                      {"members", nlohmann::json::array()}};
  for (const auto& mem : manifest.members) {
    m["members"].push_back({{"id", mem.id},
                            {"kx_public_key", HexEncode(mem.kx_public_key)},
                            {"sign_public_key", HexEncode(mem.sign_public_key)},
                            {"peer_address", mem.peer_address},
                            {"client_address", mem.client_address}});
  }
  return m;
}

namespace {

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::unique_ptr<v1::Peer::Stub> PeerStub(const std::string& address) {
  return v1::Peer::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

void Deadline(grpc::ClientContext* ctx, int seconds) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

bool WriteFile(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  return static_cast<bool>(out.flush());
}

std::string Hex(const std::string& s) { return HexEncode(AsBytes(s)); }

struct InitArgs {
  std::string nodes;
  std::string fleet_id = "fleet";
  std::string ns = "keyward.fleet";
  std::string out;
};

int RunInit(const InitArgs& a) {
  std::vector<std::string> peers = SplitList(a.nodes);
  if (peers.empty() || peers.size() > node::kMaxFleetMembers) {
    std::fprintf(stderr, "fleet init: --nodes must list 1..7 peer addresses HOST:PORT\n");
    return 1;
  }
  // 1. Collect every member's identity.
  node::FleetManifest manifest;
  manifest.fleet_id = a.fleet_id;
  std::vector<std::unique_ptr<v1::Peer::Stub>> stubs;
  for (size_t i = 0; i < peers.size(); ++i) {
    stubs.push_back(PeerStub(peers[i]));
    grpc::ClientContext ctx;
    Deadline(&ctx, 10);
    v1::IdentityRequest req;
    v1::IdentityResponse id;
    grpc::Status s = stubs.back()->Identity(&ctx, req, &id);
    if (!s.ok()) {
      std::fprintf(stderr, "fleet init: node %s: %s\n", peers[i].c_str(), s.error_message().c_str());
      return 2;
    }
    if (id.initialized()) {
      std::fprintf(stderr, "fleet init: node %s is already a fleet member (start it with a fresh --data-dir)\n",
                   peers[i].c_str());
      return 2;
    }
    node::FleetMember m;
    m.id = static_cast<uint32_t>(i + 1);
    if (id.kx_public_key().size() != 32 || id.sign_public_key().size() != 32) {
      std::fprintf(stderr, "fleet init: node %s sent malformed identity keys\n", peers[i].c_str());
      return 3;
    }
    std::copy(id.kx_public_key().begin(), id.kx_public_key().end(), m.kx_public_key.begin());
    std::copy(id.sign_public_key().begin(), id.sign_public_key().end(), m.sign_public_key.begin());
    m.peer_address = peers[i];
    m.client_address = id.client_address();
    manifest.members.push_back(m);
  }
  Bytes manifest_bytes = manifest.Encode();
  // 2. The founder (member 1) generates the fleet secrets and boxes them for the others; 3. the
  // others open their box. Each returns its signed statement.
  std::vector<v1::InitResponse> answers(peers.size());
  for (size_t i = 0; i < peers.size(); ++i) {
    v1::InitRequest req;
    req.set_manifest(std::string(AsChars(manifest_bytes)));
    req.set_member_id(static_cast<uint32_t>(i + 1));
    req.set_founder(i == 0);
    if (i > 0) {
      if (answers[0].sealed_secrets_size() != static_cast<int>(peers.size())) {
        std::fprintf(stderr, "fleet init: the founder returned %d boxes for %zu members\n",
                     answers[0].sealed_secrets_size(), peers.size());
        return 3;
      }
      req.set_sealed_secrets(answers[0].sealed_secrets(static_cast<int>(i)));
    }
    grpc::ClientContext ctx;
    Deadline(&ctx, 30);
    grpc::Status s = stubs[i]->Init(&ctx, req, &answers[i]);
    if (!s.ok()) {
      std::fprintf(stderr, "fleet init: member %zu (%s) refused: %s\n", i + 1, peers[i].c_str(),
                   s.error_message().c_str());
      return 2;
    }
  }
  // 4. Check every statement against the manifest's signing keys; all must name the same fleet key.
  const std::string& fleet_key = answers[0].fleet_public_key();
  nlohmann::json statements = nlohmann::json::array();
  for (size_t i = 0; i < peers.size(); ++i) {
    const auto& ans = answers[i];
    crypto::ristretto::ElementBytes key{};
    if (ans.fleet_public_key() != fleet_key || fleet_key.size() != key.size()) {
      std::fprintf(stderr, "fleet init: member %zu reports another fleet key\n", i + 1);
      return 3;
    }
    std::copy(fleet_key.begin(), fleet_key.end(), key.begin());
    Bytes expected = node::MemberStatement(manifest, static_cast<uint32_t>(i + 1), key);
    if (AsBytes(ans.statement()).size() != expected.size() ||
        !std::equal(expected.begin(), expected.end(), AsBytes(ans.statement()).begin()) ||
        !crypto::Ed25519VerifyBytes(manifest.members[i].sign_public_key, expected, AsBytes(ans.signature()))) {
      std::fprintf(stderr, "fleet init: member %zu's signed statement does not verify\n", i + 1);
      return 3;
    }
    statements.push_back({{"member", i + 1},
                          {"statement", Hex(ans.statement())},
                          {"signature", Hex(ans.signature())},
                          {"sign_public_key", HexEncode(manifest.members[i].sign_public_key)}});
  }
  crypto::ristretto::ElementBytes key{};
  std::copy(fleet_key.begin(), fleet_key.end(), key.begin());
  auto policy = trust::PinnedPolicy::Create(a.ns, {{a.fleet_id, key}});
  if (!policy.ok()) {
    std::fprintf(stderr, "fleet init: %s\n", policy.status().message().c_str());
    return 1;
  }
  nlohmann::json m = FleetManifestJson(manifest, fleet_key);
  std::filesystem::path out = a.out;
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec || !WriteFile(out / "manifest.json", m.dump(2) + "\n") ||
      !WriteFile(out / "statements.json", statements.dump(2) + "\n") ||
      !WriteFile(out / "trust.policy", policy->Serialize())) {
    std::fprintf(stderr, "fleet init: cannot write into %s\n", out.string().c_str());
    return 2;
  }
  nlohmann::json summary = {{"fleet_public_key", Hex(fleet_key)},
                            {"manifest", std::filesystem::absolute(out / "manifest.json").string()},
                            {"statements", std::filesystem::absolute(out / "statements.json").string()},
                            {"trust_policy", std::filesystem::absolute(out / "trust.policy").string()}};
  std::printf("%s\n", summary.dump().c_str());
  return 0;
}

int RunStatus(const std::string& nodes) {
  std::vector<std::string> peers = SplitList(nodes);
  if (peers.empty()) {
    std::fprintf(stderr, "fleet status: --nodes must list peer addresses HOST:PORT\n");
    return 1;
  }
  int rc = 0;
  for (const std::string& p : peers) {
    grpc::ClientContext ctx;
    Deadline(&ctx, 3);
    v1::FleetStatusRequest req;
    v1::FleetStatusResponse st;
    grpc::Status s = PeerStub(p)->Status(&ctx, req, &st);
    nlohmann::json j = {{"node", p}};
    if (!s.ok()) {
      j["error"] = s.error_message();
      rc = 2;
    } else {
      j.update({{"id", st.id()}, {"role", st.role()}, {"term", st.term()}, {"leader", st.leader()},
                {"commit", st.commit_index()}, {"applied", st.applied_index()}, {"voters", st.voters()},
                {"self_voter", st.self_voter()}, {"ready_leader", st.ready_leader()},
                {"entries_proposed", st.entries_proposed()}, {"commands_proposed", st.commands_proposed()}});
    }
    std::printf("%s\n", j.dump().c_str());
  }
  return rc;
}

}  // namespace

void AddFleetBenchCommand(CLI::App* fleet);
void AddFleetMembershipCommands(CLI::App* fleet);

void RegisterFleetCommand(CLI::App& app) {
  auto* fleet = app.add_subcommand("fleet", "Create and inspect a replicated fleet (docs/replication.md)");
  fleet->require_subcommand(1);
  auto init = std::make_shared<InitArgs>();
  auto* ic = fleet->add_subcommand(
      "init",
      "Create a fleet from running `keyward node --fleet-join` nodes: collects their identity keys,\n"
      "writes the manifest, has member 1 generate the fleet's OPAQUE secrets and seal them to the\n"
      "others, and writes OUT/manifest.json, OUT/statements.json (the members' signed statements)\n"
      "and OUT/trust.policy (pins the fleet key for clients). Prints a JSON summary.");
  ic->add_option("--nodes", init->nodes, "Peer addresses HOST:PORT,... (members 1..N in this order)")->required();
  ic->add_option("--fleet-id", init->fleet_id, "Fleet id (manifest and trust policy)")->capture_default_str();
  ic->add_option("--namespace", init->ns, "Namespace of the trust policy")->capture_default_str();
  ic->add_option("--out", init->out, "Directory for manifest.json, statements.json, trust.policy")->required();
  ic->callback([init] { ExitCode() = RunInit(*init); });
  auto nodes = std::make_shared<std::string>();
  auto* sc = fleet->add_subcommand("status", "Print each node's Raft role, term, leader, indices and group-commit counters (entries and commands it proposed as leader), as JSON lines");
  sc->add_option("--nodes", *nodes, "Peer addresses HOST:PORT,...")->required();
  sc->callback([nodes] { ExitCode() = RunStatus(*nodes); });
  AddFleetMembershipCommands(fleet);
  AddFleetBenchCommand(fleet);
}

}  // namespace keyward::cli
