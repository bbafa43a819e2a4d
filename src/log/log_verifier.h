// LogVerifier: the client side of `keyward log verify`. It fetches a log's checkpoint over HTTP,
// verifies the log signature (and, with a tlog-policy, the witness quorum), proves consistency with
// the checkpoint remembered in a state file by fetching hash tiles, then replaces the state file
// atomically; optionally (full) it re-downloads every entry bundle and recomputes the root.
//
// State file: the last verified checkpoint note, verbatim (written temp + fsync + rename).
//
// Thread-safety: functions are reentrant; one call per state file at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "tlog/checkpoint.h"
#include "tlog/policy.h"
#include "tlog/tiles.h"

namespace keyward::log {

// tlog::TileReader over HTTP GET <base>/<tile path>.
class HttpTileReader final : public tlog::TileReader {
 public:
  explicit HttpTileReader(std::string base_url) : base_(std::move(base_url)) {}
  StatusOr<std::vector<Bytes>> ReadTiles(std::span<const tlog::Tile> tiles) const override;

 private:
  std::string base_;
};

struct LogVerifyOptions {
  std::string url;                     // log base URL (http://host:port[/prefix])
  std::string vkey;                    // the log's verifier key
  std::optional<tlog::Policy> policy;  // require its witness quorum
  std::string state_path;              // "" = no state
  bool full = false;                   // recompute the whole tree from entry bundles
  // Called during full verification with (records done, total).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct LogVerifyReport {
  tlog::Checkpoint checkpoint;
  std::vector<std::string> witnesses;  // policy names of verified cosigners
  std::optional<uint64_t> consistent_from;
  bool full_checked = false;
};

StatusOr<LogVerifyReport> VerifyLog(const LogVerifyOptions& options);

}  // namespace keyward::log
