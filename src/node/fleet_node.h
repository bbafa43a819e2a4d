// FleetNode: the `keyward node --fleet-join` daemon — one member of a replicated fleet
// (docs/replication.md). It serves keyward.v1.Vault to clients (the single node's VaultService over
// a FleetCoreHost: the leader executes; the others relay calls to the leader, FleetForwarder; with
// --bundle-dir every member serves delivered bundles inline) and keyward.v1.Peer to the other members (envelopes
// for the core's Raft, plus the fleet-creation calls used by `keyward fleet init`).
//
// Key material in the node's own keystore (a SoftHSM2 token per node with --data-dir):
//   "fleet-peer-identity"    secret, 32 bytes: seed of the core's X25519 identity (peer channel)
//   "fleet-member-signing"   Ed25519 key: signs the member statement at fleet creation
//   "fleet-membership"       secret: u32 member id ‖ fleet manifest (fleet_manifest.h)
//   "fleet-opaque-setup", "fleet-sealing-key"   the fleet secrets (from the founder's box)
// A restarted member finds its membership and secrets in its token and rejoins as a Raft joiner:
// it holds no records until the leader re-adds it and it catches up from the majority.
//
// Thread-safety: RunFleetNode is called once per process, from main().
#pragma once

#include <string>

#include "common/status.h"
#include "node/node.h"

namespace keyward::node {

struct FleetNodeOptions {
  std::string peer_listen = "127.0.0.1:7444";  // keyward.v1.Peer
  uint32_t tick_ms = 10;
  uint32_t election_timeout_ms = 300;  // randomized in [t, 2t)
  uint32_t remove_silent_after_ms = 0;  // the leader removes a member silent this long; 0: never
  uint32_t min_voters = 0;              // removals never go below this; 0: the manifest's majority
  uint32_t batch_window_us = 2000;      // a leader's batching window (FleetReplicaOptions::batch_window)
};

// Runs until SIGTERM/SIGINT. READY line: {"listen", "peer_listen", "kx_public_key",
// "initialized", "app_key"[, "metrics"]}.
Status RunFleetNode(const NodeOptions& options, const FleetNodeOptions& fleet);

}  // namespace keyward::node
