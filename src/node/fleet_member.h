// FleetMember state of one node: its identity (keystore-held keys) and, once it belongs to a fleet,
// the FleetRuntime (manifest, VaultCore, transport, replica). Shared by the Peer and Vault services.
//
// Ownership: FleetState owns the keystore-derived identity and the runtime; the services borrow it.
// Thread-safety: all methods are thread-safe; runtime() returns a shared_ptr that stays valid for
// the caller even if the node shuts down meanwhile.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "core/vault_core.h"
#include "crypto/ed25519.h"
#include "crypto/opaque_server_keys.h"
#include "keyward/v1/peer.grpc.pb.h"
#include "keyward/v1/vault.grpc.pb.h"
#include "node/fleet_manifest.h"
#include "node/fleet_poller.h"
#include "node/fleet_replica.h"
#include "node/fleet_transport.h"
#include "pkcs11/keystore.h"

namespace keyward::node {

struct FleetRuntime {
  FleetManifest manifest;  // guarded by stubs_mu (grows with `keyward fleet add`): read via Manifest()
  uint32_t id = 0;
  std::unique_ptr<crypto::opaque::InMemoryServerKeys> keys;
  std::unique_ptr<core::VaultCore> core;
  std::shared_mutex core_mu;  // see FleetReplica
  std::unique_ptr<FleetTransport> transport;
  std::unique_ptr<FleetReplica> replica;  // declared last: stopped first
  std::mutex stubs_mu;
  struct MemberStub {
    std::string client_address;  // as in the manifest
    std::unique_ptr<v1::Vault::Stub> stub;
  };
  std::map<uint32_t, MemberStub> leader_stubs;  // guarded by stubs_mu

  ~FleetRuntime();
  // A stub to member `id`'s client address (cached); null if `id` is not in the manifest. If
  // `client_address` is given, it receives that address (the leader hint of fleet_forwarder.h).
  v1::Vault::Stub* VaultStub(uint32_t id, std::string* client_address = nullptr);
  FleetManifest Manifest();
};

class FleetState {
 public:
  struct Config {
    std::string client_address;
    std::string peer_address;
    FleetReplicaOptions replica;  // timing; id/manifest/founder are filled in at join
    size_t max_records = size_t{1} << 20;
    // The queue the peer transport's calls complete on: a node passes its Peer server's poller
    // (one thread for all peer I/O; must outlive the FleetState's Shutdown). Null: the transport
    // polls a queue of its own.
    FleetPoller* peer_poller = nullptr;
  };
  // Loads or creates the identity keys in `keystore`; if the keystore holds a membership, starts the
  // runtime as a joiner (a restart).
  static StatusOr<std::unique_ptr<FleetState>> Open(std::unique_ptr<pkcs11::Keystore> keystore, Config config);

  const raft::KxPublicKey& kx_public_key() const { return kx_.public_key; }
  const crypto::Ed25519PublicKey& sign_public_key() const { return signer_->public_key(); }
  // The bound addresses (after port 0 was resolved); reported by Identity.
  void SetAddresses(std::string client_address, std::string peer_address);
  std::string client_address() const;
  std::string peer_address() const;
  std::shared_ptr<FleetRuntime> runtime() const;

  // keyward.v1.Peer.Init: become member `request.member_id()` of the manifest.
  Status Join(const v1::InitRequest& request, v1::InitResponse* response);
  // keyward.v1.Peer.UpdateManifest (`keyward fleet add`): adopt a manifest that appends one member
  // (core: peer channel, Raft manifest, transport; token: the stored membership); optionally box
  // the fleet secrets for the new member; sign the update statement.
  Status UpdateManifest(const v1::UpdateManifestRequest& request, v1::UpdateManifestResponse* response);
  void Shutdown();

 private:
  FleetState() = default;
  Status StartRuntime(FleetManifest manifest, uint32_t id, const FleetSecrets& secrets, bool founder);

  std::unique_ptr<pkcs11::Keystore> keystore_;
  raft::KxKeyPair kx_;
  std::unique_ptr<crypto::Ed25519Signer> signer_;
  Config config_;
  mutable std::mutex mu_;
  std::shared_ptr<FleetRuntime> runtime_;
  std::mutex update_mu_;  // one manifest update at a time
};

}  // namespace keyward::node
