// HttpConsistencyFetcher: the online ConsistencyFetcher (trust/verify.h step 8) over a log's C2SP
// tlog-tiles HTTP API (c2sp.org/tlog-tiles; `keyward log serve` serves it). The URL is the one of
// the policy's `log VKEY URL` line.
//
// FetchConsistencyProof(origin, url, m, n) reads the hash tiles a tree of n records needs for
// PROOF(m, D[n]) (RFC 9162 §2.1.4: tlog::TileHashReader + tlog::ConsistencyProof, which fetch
// O(log n) tiles, at most one per tile level and side) and returns the proof. The tiles are NOT
// trusted: the caller verifies the proof against the stored and the new checkpoint roots, so a log
// (or a man in the middle) serving other tiles can only make the check fail, never pass.
//
// Partial tiles (C2SP tlog-tiles "Partial tiles"): a log may delete a partial tile once a wider one
// exists. A 404 on a partial tile makes the fetcher try the full tile, then the partial tile of the
// log's current (unverified) /checkpoint size, and use the tile's first `width` hashes.
//
// Bounded: each HTTP request has connect and read timeouts, the whole call a total budget, at most
// `max_tiles` tile requests, each response at most one full tile. Errors are Unavailable /
// FailedPrecondition (no URL, not http://) with what failed and where; the
// verifier then applies the offline rule and says so (ConsistencyCheck::kFetchFailed).
//
// Thread-safety: FetchConsistencyProof is reentrant (no shared mutable state); one instance may be
// shared by threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tlog/merkle.h"
#include "trust/verify.h"

namespace keyward::trust {

class HttpConsistencyFetcher final : public ConsistencyFetcher {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds read_timeout{3000};
    std::chrono::milliseconds total_timeout{8000};  // per FetchConsistencyProof call
    size_t max_tiles = 256;                         // tile requests per call
  };
  HttpConsistencyFetcher() = default;
  explicit HttpConsistencyFetcher(Options options) : options_(options) {}

  StatusOr<std::vector<tlog::Hash>> FetchConsistencyProof(std::string_view origin,
                                                          const std::optional<std::string>& url,
                                                          uint64_t old_size, uint64_t new_size) override;

 private:
  Options options_;
};

}  // namespace keyward::trust
