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

v1::Vault::Stub* FleetRuntime::VaultStub(uint32_t member) {
  const FleetMember* m = manifest.Find(member);
  if (m == nullptr) return nullptr;
  std::lock_guard lock(stubs_mu);
  auto& stub = leader_stubs[member];
  if (!stub) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    stub = v1::Vault::NewStub(grpc::CreateCustomChannel(m->client_address, grpc::InsecureChannelCredentials(), args));
  }
  return stub.get();
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
  rt->transport = std::make_unique<FleetTransport>(peers);
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
    ASSIGN_OR_RETURN(secrets, OpenFleetSecrets(manifest, AsBytes(req.sealed_secrets()),
                                               manifest.members[0].kx_public_key, kx_));
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

}  // namespace keyward::node
