// BundleSource: the vault node's supply of the newest delivered validation bundle and of the logged
// trust-policy updates for inline over-the-air delivery (issue 5, docs/trust.md "Over-the-air
// mode"; vault.proto fields client_bundle_epoch / validation_bundle and client_policy_version /
// policy_updates).
//
// The node is UNTRUSTED here as everywhere: it does not verify signatures or proofs (clients do);
// it only parses enough to know a bundle's namespace and epoch, so it can answer "the client holds
// an older epoch → attach mine". It serves the bundle with the highest epoch for its namespace
// among the regular files `*.bundle` in `dir` (docs/formats.md "Delivered bundle"; what
// `keyward bundle submit` writes). Operators deploy a new epoch by writing a new file there
// (write to a temporary name, then rename into place); the node picks it up without restart.
//
// Policy updates (trust/rotation.h) are delivered containers in the same directory, told apart by
// their envelope's payloadType. The node serves every update of its namespace present in the
// directory whose version is above the request's client_policy_version, oldest first (a client
// several rotations behind catches up in one response; each update must satisfy the quorum of the
// one before), within kMaxInlineResponseBytes together with the bundle. Unlike bundles, the update
// set is exactly what the directory holds at the last scan (an operator withdraws a bad update by
// deleting its file); for two files with the same version, the later file name wins (logged).
//
// Reloading: a background thread rescans the directory every `poll_interval` when the directory's
// or any bundle file's (mtime, size) changed. Bounded: at most kMaxBundleFiles files are looked at
// and each is at most kMaxInlineBundleBytes (a gRPC response must stay small). A file that cannot
// be read or parsed, is for another namespace, or is too large is logged (spdlog warn, once per
// file version) and skipped; the last good bundle stays in service — a bad file never takes the
// bundle away and never crashes the node. An epoch never goes backwards while the node runs: a
// lower-epoch file only wins after the higher one is removed (and a restart).
//
// Thread-safety: Attach() and Current() are safe from any thread (gRPC handlers) and lock-free on
// the read path apart from one shared_ptr copy under a mutex. The destructor stops the thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"

namespace keyward::node {

inline constexpr size_t kMaxBundleFiles = 64;
inline constexpr size_t kMaxInlineBundleBytes = 48 * 1024;
// What one response may carry in validation_bundle + policy_updates together (clients accept 64 KiB
// responses). Updates that do not fit are sent in the next response (the client's version is then
// higher); the bundle is skipped for one response if the updates leave no room for it.
inline constexpr size_t kMaxInlineResponseBytes = 56 * 1024;

struct InlineBundle {
  uint64_t epoch = 0;  // a fleets bundle's epoch, or a policy update's version
  std::string bytes;   // the delivered bundle, exactly as in the file
  std::string file;    // where it came from (logs)
};
// Policy updates by version (ascending).
using InlinePolicyUpdates = std::vector<std::shared_ptr<const InlineBundle>>;

class BundleSource {
 public:
  struct Options {
    std::filesystem::path dir;
    std::string ns;  // the namespace whose bundles this node serves
    std::chrono::milliseconds poll_interval{1000};
  };
  // Scans `dir` once (it must exist and be a directory) and starts the reload thread. Having no
  // valid bundle yet is not an error: Attach() then attaches nothing until one appears.
  static StatusOr<std::unique_ptr<BundleSource>> Start(Options options);
  ~BundleSource();
  BundleSource(const BundleSource&) = delete;
  BundleSource& operator=(const BundleSource&) = delete;

  // The bundle in service, or nullptr.
  std::shared_ptr<const InlineBundle> Current() const;
  // The policy updates in service (ascending versions; empty: none).
  std::shared_ptr<const InlinePolicyUpdates> PolicyUpdates() const;
  // If a bundle is in service and client_epoch < its epoch, copies it into *field. Returns whether
  // it attached one.
  bool Attach(uint64_t client_epoch, std::string* field) const;

  // What every vault response gets (VaultService and any other service answering Vault RPCs call
  // this with the request and its response): the policy updates above req.client_policy_version()
  // (oldest first) into resp->policy_updates, then the bundle if req.client_bundle_epoch() is older,
  // all within kMaxInlineResponseBytes.
  template <typename Req, typename Resp>
  void AttachTo(const Req& req, Resp* resp) const {
    size_t used = 0;
    if (auto updates = PolicyUpdates(); updates && !updates->empty()) {
      for (const auto& u : *updates) {
        if (u->epoch <= req.client_policy_version()) continue;
        if (used + u->bytes.size() > kMaxInlineResponseBytes) break;
        used += u->bytes.size();
        resp->add_policy_updates(u->bytes);
      }
    }
    std::shared_ptr<const InlineBundle> b = Current();
    if (b && req.client_bundle_epoch() < b->epoch && used + b->bytes.size() <= kMaxInlineResponseBytes) {
      *resp->mutable_validation_bundle() = b->bytes;
    }
  }
  // Rescans now (tests; the thread does the same periodically). Returns the epoch in service (0: none).
  uint64_t Rescan();

  // Parses a delivered bundle far enough to learn (namespace, epoch); no signature is checked.
  // Fails for policy updates (PeekDelivered tells both apart).
  static StatusOr<std::pair<std::string, uint64_t>> PeekNamespaceAndEpoch(std::string_view bytes);
  struct Peeked {
    bool policy_update = false;  // else a fleets bundle
    std::string ns;
    uint64_t number = 0;  // epoch (bundle) or version (policy update)
  };
  static StatusOr<Peeked> PeekDelivered(std::string_view bytes);

 private:
  explicit BundleSource(Options options) : options_(std::move(options)) {}
  void Loop();
  // (mtime ns, size) per file name, to skip rescans when nothing changed.
  using Fingerprint = std::map<std::string, std::pair<int64_t, uintmax_t>>;
  Fingerprint Fingerprints() const;

  const Options options_;
  mutable std::mutex mu_;
  std::shared_ptr<const InlineBundle> current_;  // guarded by mu_
  std::shared_ptr<const InlinePolicyUpdates> updates_;  // guarded by mu_
  std::mutex scan_mu_;                           // serialises Rescan()
  Fingerprint last_seen_;                        // guarded by scan_mu_
  std::map<std::string, std::pair<int64_t, uintmax_t>> warned_;  // guarded by scan_mu_
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by stop_mu_
  std::thread thread_;
};

}  // namespace keyward::node
