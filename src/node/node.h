// RunNode: the `keyward node` daemon — one vault core (trusted library) hosted by untrusted code:
// keystore → core, gRPC server (keyward.v1.Vault), optional metrics/health listener, structured
// logs on stderr, READY line on stdout, graceful shutdown on SIGTERM/SIGINT.
//
// Key material (names inside the keystore, docs/operations.md):
//   "fleet-opaque-setup"  128 bytes: OPRF seed (64) || server private key (32) || fake-record
//                         public key (32), the @serenity-kit ServerSetup layout
//   "fleet-sealing-key"   32 bytes: the core's record sealing key
// Both are created on first start if absent, wrapped by the token's AES key (src/pkcs11), and
// unwrapped into the core's wiping memory at start (ristretto255 cannot run inside PKCS#11).
//
// Dev mode (--dev --data-dir DIR): a SoftHSM2 token in DIR/hsm, DIR/app.key (account-authority
// key, created once) and DIR/trust.policy (pins the fleet key; rewritten at each start).
//
// Records live in the core's memory only (no persistence until replication lands): restarting a
// node loses them. Thread-safety: RunNode is called once per process, from main().
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "common/status.h"
#include "node/rate_limiter.h"

namespace keyward::node {

inline constexpr size_t kMaxRequestBytes = 16 * 1024;  // gRPC max receive message size

struct NodeOptions {
  std::string listen = "127.0.0.1:7443";
  std::string metrics_listen;  // empty: off
  bool dev = false;
  std::filesystem::path data_dir;  // dev mode
  std::string app_key_path;        // required outside dev mode; dev default DATA_DIR/app.key
  // Keystore outside dev mode.
  std::string pkcs11_module;
  std::string token_label;
  std::string pin_source;  // "env:NAME" or "file:PATH"
  std::string fleet_id = "dev";
  std::string trust_namespace = "keyward.dev";
  // Over-the-air trust: serve the newest delivered bundle of `trust_namespace` from this directory
  // inline (node/bundle_source.h), rescanning every bundle_poll. Empty: off.
  std::filesystem::path bundle_dir;
  std::chrono::milliseconds bundle_poll{1000};
  size_t max_records = size_t{1} << 20;
  RateLimiterOptions rate_limit;
  std::string log_level = "info";
  // Threads polling the Vault service's completion queues (VaultServer, vault_async.h); each runs
  // handlers, a single node's KE2 included, where requests arrive. 1 costs the least CPU per
  // recovery (docs/benchmarks.md, issue 3); more let a single node use more cores.
  int grpc_threads = 1;
};

// Runs until SIGTERM/SIGINT. Returns an error (already logged) if start-up fails.
Status RunNode(const NodeOptions& options);

}  // namespace keyward::node
