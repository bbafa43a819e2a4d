// `keyward fleet add|remove`: change a running fleet's membership (docs/replication.md §6
// "Operating a fleet").
//
//   add:    a new `keyward node --fleet-join` node (fresh token) becomes member N+1. Every reachable
//           member adopts the manifest with the new identity appended and signs the update; the
//           member named by --via boxes the fleet secrets for the new node (crypto_box from its
//           identity key, bound to the new manifest); the new node opens the box, joins as a Raft
//           joiner, and the leader adds it as a learner, streams it the snapshot, and promotes it.
//   remove: the leader removes a member from the Raft configuration, never below the minimum of
//           voters. The identity stays in the manifest (ids are never reused): a removed member that
//           comes back is re-added by healing, so stop it (or wipe its token) first.
//   sync:   a member that was down during `fleet add` (reported as "not_updated") still has the old
//           manifest and cannot talk to the added member; once it is back, sync sends it each update
//           it missed, in order (every step appends one identity, as in add), from the manifest of a
//           current member, and checks its signed update statements.
//
// Exit codes: 0 ok, 1 usage, 2 a node could not be reached or refused, 3 an answer does not verify.
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "commands.h"
#include "crypto/ed25519.h"
#include "crypto/ristretto.h"
#include "keyward/v1/peer.grpc.pb.h"
#include "node/fleet_manifest.h"

namespace keyward::cli {

nlohmann::json FleetManifestJson(const node::FleetManifest& manifest, const std::string& fleet_key);

namespace {

std::unique_ptr<v1::Peer::Stub> Stub(const std::string& address) {
  return v1::Peer::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

void Deadline(grpc::ClientContext* ctx, int seconds) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

bool Verify(const std::array<uint8_t, 32>& key, ByteSpan expected, const std::string& statement,
            const std::string& signature) {
  ByteSpan got = AsBytes(statement);
  return got.size() == expected.size() && std::equal(expected.begin(), expected.end(), got.begin()) &&
         crypto::Ed25519VerifyBytes(key, expected, AsBytes(signature));
}

struct AddArgs {
  std::string via, node, out;
};

int RunAdd(const AddArgs& a) {
  // 1. The new node's identity, and the fleet's current manifest from --via.
  v1::IdentityResponse id;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx, 10);
    grpc::Status s = Stub(a.node)->Identity(&ctx, v1::IdentityRequest(), &id);
    if (!s.ok()) {
      std::fprintf(stderr, "fleet add: new node %s: %s\n", a.node.c_str(), s.error_message().c_str());
      return 2;
    }
  }
  if (id.initialized()) {
    std::fprintf(stderr, "fleet add: node %s is already a fleet member (start it with a fresh --data-dir)\n",
                 a.node.c_str());
    return 2;
  }
  if (id.kx_public_key().size() != 32 || id.sign_public_key().size() != 32) {
    std::fprintf(stderr, "fleet add: node %s sent malformed identity keys\n", a.node.c_str());
    return 3;
  }
  v1::FleetStatusResponse st;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx, 10);
    grpc::Status s = Stub(a.via)->Status(&ctx, v1::FleetStatusRequest(), &st);
    if (!s.ok() || st.manifest().empty()) {
      std::fprintf(stderr, "fleet add: member %s: %s\n", a.via.c_str(),
                   s.ok() ? "is not a fleet member" : s.error_message().c_str());
      return 2;
    }
  }
  auto current = node::FleetManifest::Decode(AsBytes(st.manifest()));
  if (!current.ok()) {
    std::fprintf(stderr, "fleet add: %s sent a bad manifest: %s\n", a.via.c_str(), current.status().message().c_str());
    return 3;
  }
  if (current->members.size() >= node::kMaxFleetMembers) {
    std::fprintf(stderr, "fleet add: the manifest already lists %zu identities, the maximum\n",
                 current->members.size());
    return 2;
  }
  node::FleetManifest next = *current;
  node::FleetMember added;
  added.id = static_cast<uint32_t>(current->members.size() + 1);
  std::copy(id.kx_public_key().begin(), id.kx_public_key().end(), added.kx_public_key.begin());
  std::copy(id.sign_public_key().begin(), id.sign_public_key().end(), added.sign_public_key.begin());
  added.peer_address = a.node;
  added.client_address = id.client_address();
  next.members.push_back(added);
  if (Status ok = node::CheckManifestExtends(*current, next); !ok.ok()) {
    std::fprintf(stderr, "fleet add: %s\n", ok.message().c_str());
    return 2;
  }
  std::string next_bytes(AsChars(next.Encode()));
  Bytes update_statement = node::ManifestUpdateStatement(*current, next);

  // 2. --via adopts it and seals the fleet secrets for the new member; 3. every other member adopts it.
  nlohmann::json updates = nlohmann::json::array();
  std::string box;
  uint32_t sealer = 0;
  std::vector<uint32_t> missed;
  auto update = [&](const std::string& address, uint32_t seal_for, v1::UpdateManifestResponse* resp) {
    v1::UpdateManifestRequest req;
    req.set_manifest(next_bytes);
    req.set_seal_for(seal_for);
    grpc::ClientContext ctx;
    Deadline(&ctx, 10);
    return Stub(address)->UpdateManifest(&ctx, req, resp);
  };
  auto record = [&](const v1::UpdateManifestResponse& resp) {
    const node::FleetMember* m = current->Find(resp.id());
    if (m == nullptr || !Verify(m->sign_public_key, update_statement, resp.statement(), resp.signature())) return false;
    updates.push_back({{"member", resp.id()},
                       {"statement", HexEncode(AsBytes(resp.statement()))},
                       {"signature", HexEncode(AsBytes(resp.signature()))},
                       {"sign_public_key", HexEncode(m->sign_public_key)}});
    return true;
  };
  {
    v1::UpdateManifestResponse resp;
    grpc::Status s = update(a.via, added.id, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "fleet add: member %s refused the new manifest: %s\n", a.via.c_str(),
                   s.error_message().c_str());
      return 2;
    }
    if (!record(resp) || resp.sealed_secrets().empty()) {
      std::fprintf(stderr, "fleet add: %s's signed update statement does not verify\n", a.via.c_str());
      return 3;
    }
    box = resp.sealed_secrets();
    sealer = resp.id();
  }
  for (const node::FleetMember& m : current->members) {
    if (m.id == sealer) continue;
    v1::UpdateManifestResponse resp;
    grpc::Status s = update(m.peer_address, 0, &resp);
    if (!s.ok()) {
      // A member that is down cannot talk to the new member until it adopts the manifest: run
      // `fleet sync` for it once it is back.
      std::fprintf(stderr,
                   "fleet add: warning: member %u (%s) did not take the new manifest: %s; when it is back, run "
                   "`keyward fleet sync --via %s --node %s`\n",
                   m.id, m.peer_address.c_str(), s.error_message().c_str(), a.via.c_str(), m.peer_address.c_str());
      missed.push_back(m.id);
      continue;
    }
    if (!record(resp)) {
      std::fprintf(stderr, "fleet add: member %u's signed update statement does not verify\n", m.id);
      return 3;
    }
  }

  // 4. The new node joins with the box; it answers with its signed member statement.
  v1::InitResponse joined;
  {
    v1::InitRequest req;
    req.set_manifest(next_bytes);
    req.set_member_id(added.id);
    req.set_sealed_secrets(box);
    req.set_sealer_id(sealer);
    grpc::ClientContext ctx;
    Deadline(&ctx, 30);
    grpc::Status s = Stub(a.node)->Init(&ctx, req, &joined);
    if (!s.ok()) {
      std::fprintf(stderr, "fleet add: new node %s refused to join: %s\n", a.node.c_str(), s.error_message().c_str());
      return 2;
    }
  }
  crypto::ristretto::ElementBytes fleet_key{};
  if (joined.fleet_public_key() != st.fleet_public_key() || st.fleet_public_key().size() != fleet_key.size()) {
    std::fprintf(stderr, "fleet add: the new member reports another fleet key than the fleet's\n");
    return 3;
  }
  std::copy(st.fleet_public_key().begin(), st.fleet_public_key().end(), fleet_key.begin());
  Bytes expected = node::MemberStatement(next, added.id, fleet_key);
  if (!Verify(added.sign_public_key, expected, joined.statement(), joined.signature())) {
    std::fprintf(stderr, "fleet add: the new member's signed statement does not verify\n");
    return 3;
  }
  nlohmann::json statement = {{"member", added.id},
                              {"statement", HexEncode(AsBytes(joined.statement()))},
                              {"signature", HexEncode(AsBytes(joined.signature()))},
                              {"sign_public_key", HexEncode(added.sign_public_key)}};
  nlohmann::json summary = {{"member", added.id},
                            {"manifest_sha256", HexEncode(next.Hash())},
                            {"sealed_by", sealer},
                            {"not_updated", missed}};
  if (!a.out.empty()) {
    std::filesystem::path out = a.out;
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    nlohmann::json evidence = {{"previous_manifest_sha256", HexEncode(current->Hash())},
                               {"manifest_sha256", HexEncode(next.Hash())},
                               {"update_statements", updates},
                               {"member_statement", statement}};
    std::string name = "update-" + std::to_string(added.id) + ".json";
    std::ofstream m(out / "manifest.json", std::ios::trunc), u(out / name, std::ios::trunc);
    m << FleetManifestJson(next, st.fleet_public_key()).dump(2) << "\n";
    u << evidence.dump(2) << "\n";
    if (ec || !m.flush() || !u.flush()) {
      std::fprintf(stderr, "fleet add: cannot write into %s\n", out.string().c_str());
      return 2;
    }
    summary["manifest"] = std::filesystem::absolute(out / "manifest.json").string();
    summary["evidence"] = std::filesystem::absolute(out / name).string();
  }
  std::printf("%s\n", summary.dump().c_str());
  return 0;
}

int RunRemove(const std::string& via, uint32_t member) {
  // Find the leader through --via, then ask it.
  v1::FleetStatusResponse st;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx, 10);
    grpc::Status s = Stub(via)->Status(&ctx, v1::FleetStatusRequest(), &st);
    if (!s.ok() || st.manifest().empty()) {
      std::fprintf(stderr, "fleet remove: member %s: %s\n", via.c_str(),
                   s.ok() ? "is not a fleet member" : s.error_message().c_str());
      return 2;
    }
  }
  auto manifest = node::FleetManifest::Decode(AsBytes(st.manifest()));
  if (!manifest.ok()) {
    std::fprintf(stderr, "fleet remove: %s sent a bad manifest\n", via.c_str());
    return 3;
  }
  if (manifest->Find(member) == nullptr) {
    std::fprintf(stderr, "fleet remove: the manifest has no member %u\n", member);
    return 1;
  }
  const node::FleetMember* leader = manifest->Find(st.leader());
  if (leader == nullptr) {
    std::fprintf(stderr, "fleet remove: %s knows no leader right now; retry\n", via.c_str());
    return 2;
  }
  v1::RemoveMemberRequest req;
  req.set_member_id(member);
  v1::RemoveMemberResponse resp;
  grpc::ClientContext ctx;
  Deadline(&ctx, 10);
  grpc::Status s = Stub(leader->peer_address)->RemoveMember(&ctx, req, &resp);
  if (!s.ok()) {
    std::fprintf(stderr, "fleet remove: the leader (member %u at %s) refused: %s\n", leader->id,
                 leader->peer_address.c_str(), s.error_message().c_str());
    return 2;
  }
  nlohmann::json out = {{"removed", member}, {"leader", leader->id}, {"voters", resp.voters()}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

// The fleet status of `address` (its manifest decoded into *manifest); prints why not and returns
// the exit code (0 ok).
int StatusWithManifest(const char* cmd, const std::string& address, v1::FleetStatusResponse* st,
                       node::FleetManifest* manifest) {
  grpc::ClientContext ctx;
  Deadline(&ctx, 10);
  grpc::Status s = Stub(address)->Status(&ctx, v1::FleetStatusRequest(), st);
  if (!s.ok() || st->manifest().empty()) {
    std::fprintf(stderr, "fleet %s: member %s: %s\n", cmd, address.c_str(),
                 s.ok() ? "is not a fleet member" : s.error_message().c_str());
    return 2;
  }
  auto decoded = node::FleetManifest::Decode(AsBytes(st->manifest()));
  if (!decoded.ok()) {
    std::fprintf(stderr, "fleet %s: %s sent a bad manifest: %s\n", cmd, address.c_str(),
                 decoded.status().message().c_str());
    return 3;
  }
  *manifest = std::move(*decoded);
  return 0;
}

int RunSync(const std::string& via, const std::string& target) {
  v1::FleetStatusResponse via_st, target_st;
  node::FleetManifest full, stale;
  if (int rc = StatusWithManifest("sync", via, &via_st, &full); rc != 0) return rc;
  if (int rc = StatusWithManifest("sync", target, &target_st, &stale); rc != 0) return rc;
  if (stale.fleet_id != full.fleet_id) {
    std::fprintf(stderr, "fleet sync: %s serves fleet '%s', %s serves '%s'\n", target.c_str(), stale.fleet_id.c_str(),
                 via.c_str(), full.fleet_id.c_str());
    return 2;
  }
  if (stale.members.size() > full.members.size()) {
    std::fprintf(stderr,
                 "fleet sync: %s holds a newer manifest (%zu identities) than %s (%zu): swap --via and --node\n",
                 target.c_str(), stale.members.size(), via.c_str(), full.members.size());
    return 2;
  }
  for (size_t i = 0; i < stale.members.size(); ++i) {
    if (!(stale.members[i] == full.members[i])) {
      std::fprintf(stderr, "fleet sync: the manifests of %s and %s differ at member %zu: not the same fleet history\n",
                   target.c_str(), via.c_str(), i + 1);
      return 3;
    }
  }
  const node::FleetMember* self = full.Find(target_st.id());
  if (self == nullptr) {
    std::fprintf(stderr, "fleet sync: %s reports member id %u, which the manifest does not list\n", target.c_str(),
                 target_st.id());
    return 3;
  }
  // One update per missed identity, oldest first: each appends exactly one (CheckManifestExtends).
  nlohmann::json adopted = nlohmann::json::array(), statements = nlohmann::json::array();
  node::FleetManifest current = stale;
  while (current.members.size() < full.members.size()) {
    node::FleetManifest next = current;
    next.members.push_back(full.members[current.members.size()]);
    v1::UpdateManifestRequest req;
    req.set_manifest(std::string(AsChars(next.Encode())));
    v1::UpdateManifestResponse resp;
    grpc::ClientContext ctx;
    Deadline(&ctx, 10);
    grpc::Status s = Stub(target)->UpdateManifest(&ctx, req, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "fleet sync: %s refused the manifest with member %u: %s\n", target.c_str(),
                   next.members.back().id, s.error_message().c_str());
      return 2;
    }
    if (resp.id() != self->id ||
        !Verify(self->sign_public_key, node::ManifestUpdateStatement(current, next), resp.statement(),
                resp.signature())) {
      std::fprintf(stderr, "fleet sync: member %u's signed update statement does not verify\n", self->id);
      return 3;
    }
    adopted.push_back(next.members.back().id);
    statements.push_back({{"member", resp.id()},
                          {"previous_manifest_sha256", HexEncode(current.Hash())},
                          {"manifest_sha256", HexEncode(next.Hash())},
                          {"statement", HexEncode(AsBytes(resp.statement()))},
                          {"signature", HexEncode(AsBytes(resp.signature()))},
                          {"sign_public_key", HexEncode(self->sign_public_key)}});
    current = std::move(next);
  }
  nlohmann::json out = {{"member", self->id},
                        {"adopted", adopted},
                        {"manifest_sha256", HexEncode(full.Hash())},
                        {"update_statements", statements}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace

void AddFleetMembershipCommands(CLI::App* fleet) {
  auto add = std::make_shared<AddArgs>();
  auto* ac = fleet->add_subcommand(
      "add",
      "Add a new member to a running fleet: NODE is a `keyward node --fleet-join` started with a fresh\n"
      "--data-dir. Every reachable member adopts the manifest with NODE's identity appended and signs\n"
      "the update; the member at --via boxes the fleet secrets for NODE; NODE joins as a learner,\n"
      "catches up by snapshot and becomes a voter. Prints a JSON summary; with --out writes the new\n"
      "manifest.json and update-N.json (the signed statements). Anyone who can run this can add a\n"
      "core of their choosing: see docs/threat-model.md.");
  ac->add_option("--via", add->via, "Peer address HOST:PORT of a current member (it seals the secrets)")->required();
  ac->add_option("--node", add->node, "Peer address HOST:PORT of the new node")->required();
  ac->add_option("--out", add->out, "Directory for the new manifest.json and update-N.json (e.g. the init --out)");
  ac->callback([add] { ExitCode() = RunAdd(*add); });

  auto via = std::make_shared<std::string>();
  auto member = std::make_shared<uint32_t>(0);
  auto* rc = fleet->add_subcommand(
      "remove",
      "Remove member ID from the fleet's Raft configuration (asks the leader, found through --via).\n"
      "Refused if it would leave fewer voters than the nodes' --fleet-min-voters. The identity stays in\n"
      "the manifest: stop the removed node first, or healing re-adds it when it talks again.");
  rc->add_option("--via", *via, "Peer address HOST:PORT of any current member")->required();
  rc->add_option("--member", *member, "Member id to remove (see manifest.json or `fleet status`)")
      ->required()
      ->check(CLI::Range(1u, 255u));
  rc->callback([via, member] { ExitCode() = RunRemove(*via, *member); });

  auto sync_via = std::make_shared<std::string>();
  auto sync_node = std::make_shared<std::string>();
  auto* sc = fleet->add_subcommand(
      "sync",
      "Send a member the manifest updates it missed while it was down during `fleet add` (listed in\n"
      "add's \"not_updated\"): the manifest comes from --via, the member at --node adopts each missed\n"
      "identity in order and signs each update; the statements are checked against its key. Nothing\n"
      "to do is not an error. Prints a JSON summary with the adopted member ids and the statements.");
  sc->add_option("--via", *sync_via, "Peer address HOST:PORT of a member that has the current manifest")
      ->required();
  sc->add_option("--node", *sync_node, "Peer address HOST:PORT of the member to bring up to date")->required();
  sc->callback([sync_via, sync_node] { ExitCode() = RunSync(*sync_via, *sync_node); });
}

}  // namespace keyward::cli
