#include "node/fleet_member.h"

#include <spdlog/spdlog.h>

#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::node {
namespace {

constexpr std::string_view kIdentityName = "fleet-peer-identity";
constexpr std::string_view kSigningName = "fleet-member-signing";
constexpr std::string_view kMembershipName = "fleet-membership";
constexpr std::string_view kSetupName = "fleet-opaque-setup";
constexpr std::string_view kSealingName = "fleet-sealing-key";

Status Replace(pkcs11::Keystore& ks, std::string_view name, const crypto::SecretBytes& value) {
  ASSIGN_OR_RETURN(bool have, ks.HasSecret(name));
  if (have) RETURN_IF_ERROR(ks.DeleteSecret(name));
  return ks.PutSecret(name, value);
}

}  // namespace

FleetRuntime::~FleetRuntime() {
  if (replica) replica->Stop();
  if (transport) transport->Stop();
}

FleetManifest FleetRuntime::Manifest() {
  std::lock_guard lock(stubs_mu);
  return manifest;
}

v1::Vault::Stub* FleetRuntime::VaultStub(uint32_t member, std::string* client_address) {
  std::lock_guard lock(stubs_mu);
  const FleetMember* m = manifest.Find(member);
  if (m == nullptr) return nullptr;
  MemberStub& entry = leader_stubs[member];
  if (!entry.stub) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    entry.client_address = m->client_address;
    entry.stub = v1::Vault::NewStub(
        grpc::CreateCustomChannel(m->client_address, grpc::InsecureChannelCredentials(), args));
  }
  if (client_address != nullptr) *client_address = entry.client_address;
  return entry.stub.get();
}

StatusOr<std::unique_ptr<FleetState>> FleetState::Open(std::unique_ptr<pkcs11::Keystore> keystore, Config config) {
  std::unique_ptr<FleetState> s(new FleetState());
  s->config_ = std::move(config);
  s->keystore_ = std::move(keystore);
  crypto::SystemRng rng;
  ASSIGN_OR_RETURN(crypto::SecretBytes seed, pkcs11::GetOrCreateSecret(*s->keystore_, kIdentityName, 32, rng));
  s->kx_ = raft::KxKeyPair::FromSeed(std::span<const uint8_t, 32>(seed.Reveal().data(), 32));
  ASSIGN_OR_RETURN(s->signer_, pkcs11::GetOrCreateEd25519Key(*s->keystore_, kSigningName));
  ASSIGN_OR_RETURN(bool member, s->keystore_->HasSecret(kMembershipName));
  if (member) {
    ASSIGN_OR_RETURN(crypto::SecretBytes m, s->keystore_->GetSecret(kMembershipName));
    wire::Reader r(m.Reveal());
    uint32_t id = 0;
    if (!r.U32(&id)) return Internal("fleet-membership in the keystore is truncated");
    ASSIGN_OR_RETURN(FleetManifest manifest, FleetManifest::Decode(r.rest()));
    FleetSecrets secrets;
    ASSIGN_OR_RETURN(secrets.opaque_setup, s->keystore_->GetSecret(kSetupName));
    ASSIGN_OR_RETURN(secrets.sealing_key, s->keystore_->GetSecret(kSealingName));
    RETURN_IF_ERROR(s->StartRuntime(std::move(manifest), id, secrets, /*founder=*/false));
    spdlog::info("event=fleet_rejoin member={} (no state: healing from the majority)", id);
  }
  return s;
}

void FleetState::SetAddresses(std::string client_address, std::string peer_address) {
  std::lock_guard lock(mu_);
  config_.client_address = std::move(client_address);
  config_.peer_address = std::move(peer_address);
}

std::string FleetState::client_address() const {
  std::lock_guard lock(mu_);
  return config_.client_address;
}

std::string FleetState::peer_address() const {
  std::lock_guard lock(mu_);
  return config_.peer_address;
}

std::shared_ptr<FleetRuntime> FleetState::runtime() const {
  std::lock_guard lock(mu_);
  return runtime_;
}

void FleetState::Shutdown() {
  std::shared_ptr<FleetRuntime> rt;
  {
    std::lock_guard lock(mu_);
    rt = std::move(runtime_);
  }
  if (rt && rt->replica) rt->replica->Stop();
  if (rt && rt->transport) rt->transport->Stop();
}

Status FleetState::StartRuntime(FleetManifest manifest, uint32_t id, const FleetSecrets& secrets, bool founder) {
  auto rt = std::make_shared<FleetRuntime>();
  rt->manifest = std::move(manifest);
  rt->id = id;
  ASSIGN_OR_RETURN(rt->keys, crypto::opaque::InMemoryServerKeys::FromServerSetup(secrets.opaque_setup.Reveal()));
  core::CoreConfig cc;
  cc.max_records = config_.max_records;
  ASSIGN_OR_RETURN(rt->core, core::VaultCore::Create(*rt->keys, secrets.sealing_key.Clone(), cc));
  std::map<raft::NodeId, std::string> peers;
  FleetReplicaOptions ro = config_.replica;
  ro.id = id;
  ro.founder = founder;
  ro.manifest.clear();
  for (const FleetMember& m : rt->manifest.members) {
    ro.manifest[m.id] = m.kx_public_key;
    if (m.id != id) peers[m.id] = m.peer_address;
  }
  rt->transport = std::make_unique<FleetTransport>(peers, config_.peer_poller);
  FleetTransport* transport = rt->transport.get();
  rt->replica = std::make_unique<FleetReplica>(
      ro, raft::KxKeyPair{kx_.public_key, kx_.secret_key.Clone()}, *rt->core, rt->core_mu,
      [transport](raft::NodeId to, Bytes env) { transport->Send(to, std::move(env)); });
  rt->replica->Start();
  std::lock_guard lock(mu_);
  runtime_ = std::move(rt);
  return Status::Ok();
}

Status FleetState::Join(const v1::InitRequest& req, v1::InitResponse* resp) {
  if (runtime()) return FailedPrecondition("this node is already a fleet member; start it with a fresh --data-dir to join another fleet");
  ASSIGN_OR_RETURN(FleetManifest manifest, FleetManifest::Decode(AsBytes(req.manifest())));
  const FleetMember* self = manifest.Find(req.member_id());
  if (self == nullptr) return InvalidArgument("member_id is not in the manifest");
  if (self->kx_public_key != kx_.public_key || self->sign_public_key != signer_->public_key()) {
    return InvalidArgument("the manifest lists other keys for member " + std::to_string(req.member_id()) +
                           " than this node's identity");
  }
  crypto::SystemRng rng;
  FleetSecrets secrets;
  if (req.founder()) {
    if (req.member_id() != 1) return InvalidArgument("the founder must be member 1");
    auto fresh = crypto::opaque::InMemoryServerKeys::Generate(rng);
    secrets.opaque_setup = fresh->ExportServerSetup();
    secrets.sealing_key = crypto::SecretBytes(core::kSealingKeySize);
    rng.Fill(secrets.sealing_key.RevealMutable());
    for (const FleetMember& m : manifest.members) {
      resp->add_sealed_secrets(m.id == self->id ? std::string()
                               : std::string(AsChars(SealFleetSecrets(manifest, secrets, kx_, m.kx_public_key, rng))));
    }
  } else {
    if (req.member_id() == 1) return InvalidArgument("member 1 is the founder");
    // The box comes from the founder (fleet init) or from the member that sealed it for a member
    // added later (fleet add); either way it opens only for this node and this exact manifest.
    uint32_t sealer = req.sealer_id() == 0 ? 1 : req.sealer_id();
    const FleetMember* from = manifest.Find(sealer);
    if (from == nullptr || sealer == self->id) return InvalidArgument("sealer_id is not another member of the manifest");
    ASSIGN_OR_RETURN(secrets, OpenFleetSecrets(manifest, AsBytes(req.sealed_secrets()), from->kx_public_key, kx_));
  }
  RETURN_IF_ERROR(Replace(*keystore_, kSetupName, secrets.opaque_setup));
  RETURN_IF_ERROR(Replace(*keystore_, kSealingName, secrets.sealing_key));
  wire::Writer w;
  w.U32(self->id).Bytes(manifest.Encode());
  RETURN_IF_ERROR(Replace(*keystore_, kMembershipName, crypto::SecretBytes(w.bytes())));
  uint32_t id = self->id;
  RETURN_IF_ERROR(StartRuntime(manifest, id, secrets, req.founder()));
  auto rt = runtime();
  const auto& fleet_key = rt->core->fleet_public_key();
  Bytes statement = MemberStatement(manifest, id, fleet_key);
  ASSIGN_OR_RETURN(crypto::Ed25519Signature sig, signer_->Sign(statement));
  resp->set_statement(std::string(AsChars(statement)));
  resp->set_signature(std::string(AsChars(sig)));
  resp->set_fleet_public_key(std::string(AsChars(fleet_key)));
  spdlog::info("event=fleet_joined member={} founder={} fleet={}", id, req.founder(), manifest.fleet_id);
  return Status::Ok();
}

Status FleetState::UpdateManifest(const v1::UpdateManifestRequest& req, v1::UpdateManifestResponse* resp) {
  std::shared_ptr<FleetRuntime> rt = runtime();
  if (!rt) return FailedPrecondition("this node is not a fleet member yet; run `keyward fleet init` first");
  std::lock_guard update(update_mu_);
  ASSIGN_OR_RETURN(FleetManifest next, FleetManifest::Decode(AsBytes(req.manifest())));
  FleetManifest current = rt->Manifest();
  RETURN_IF_ERROR(CheckManifestExtends(current, next));
  if (next.members.size() > current.members.size()) {
    FleetMember added = next.members.back();
    std::vector<raft::NodeId> ids;
    for (const FleetMember& m : next.members) ids.push_back(m.id);
    FleetTransport* transport = rt->transport.get();
    Status applied = rt->replica->RunOnLoop(
        [added, ids, transport](raft::Raft& r, raft::PeerChannel& channel) -> Status {
          if (Status s = channel.AddPeer(added.id, added.kx_public_key); !s.ok()) return s;
          if (Status s = r.SetManifest(ids); !s.ok()) return s;
          transport->AddPeer(added.id, added.peer_address);
          return Status::Ok();
        },
        std::chrono::seconds(5));
    if (!applied.ok()) return applied;
    wire::Writer w;
    w.U32(rt->id).Bytes(next.Encode());
    RETURN_IF_ERROR(Replace(*keystore_, kMembershipName, crypto::SecretBytes(w.bytes())));
    {
      std::lock_guard lock(rt->stubs_mu);
      rt->manifest = next;
    }
    spdlog::info("event=fleet_manifest_updated members={} added={} peer={}", next.members.size(), added.id,
                 added.peer_address);
  }
  if (req.seal_for() != 0) {
    const FleetMember* target = next.Find(req.seal_for());
    if (target == nullptr || target->id != next.members.back().id || target->id == rt->id) {
      return InvalidArgument("seal_for must be the member the update adds");
    }
    crypto::SystemRng rng;
    FleetSecrets secrets;
    ASSIGN_OR_RETURN(secrets.opaque_setup, keystore_->GetSecret(kSetupName));
    ASSIGN_OR_RETURN(secrets.sealing_key, keystore_->GetSecret(kSealingName));
    resp->set_sealed_secrets(std::string(AsChars(SealFleetSecrets(next, secrets, kx_, target->kx_public_key, rng))));
  }
  Bytes statement = ManifestUpdateStatement(current, next);
  ASSIGN_OR_RETURN(crypto::Ed25519Signature sig, signer_->Sign(statement));
  resp->set_id(rt->id);
  resp->set_statement(std::string(AsChars(statement)));
  resp->set_signature(std::string(AsChars(sig)));
  return Status::Ok();
}

}  // namespace keyward::node
