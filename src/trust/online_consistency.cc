#include "trust/online_consistency.h"

#include <algorithm>
#include <atomic>

#include "log/http_util.h"
#include "tlog/checkpoint.h"
#include "tlog/note.h"
#include "tlog/tiles.h"

namespace keyward::trust {
namespace {

using Clock = std::chrono::steady_clock;

// Hashes at tile level `level` (tree level 8·level) that are complete in a tree of `size` records.
uint64_t NodesAtTileLevel(int level, uint64_t size) {
  const int shift = level * tlog::kTileHeight;
  return shift >= 64 ? 0 : size >> shift;
}

// tlog::TileReader over HTTP GET <base>/<tile path> with the fetcher's bounds.
class BoundedHttpTileReader final : public tlog::TileReader {
 public:
  BoundedHttpTileReader(std::string base, const HttpConsistencyFetcher::Options& options)
      : base_(std::move(base)), options_(options), deadline_(Clock::now() + options.total_timeout) {}

  StatusOr<std::vector<Bytes>> ReadTiles(std::span<const tlog::Tile> tiles) const override {
    std::vector<Bytes> out;
    out.reserve(tiles.size());
    for (const tlog::Tile& t : tiles) {
      ASSIGN_OR_RETURN(Bytes data, ReadHashTile(t));
      out.push_back(std::move(data));
    }
    return out;
  }

 private:
  // GET base/path: the body on 200, nullopt on 404, an error otherwise.
  StatusOr<std::optional<std::string>> Get(const std::string& path, size_t max_bytes) const {
    if (requests_.fetch_add(1) >= options_.max_tiles) {
      return Unavailable("more than " + std::to_string(options_.max_tiles) + " tile requests to " + base_);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left <= std::chrono::milliseconds(0)) {
      return Unavailable("fetching tiles from " + base_ + " took longer than " +
                              std::to_string(options_.total_timeout.count()) + " ms");
    }
    log::HttpOptions http;
    http.connect_timeout = std::min(options_.connect_timeout, left);
    http.read_timeout = std::min(options_.read_timeout, left);
    http.max_response_bytes = max_bytes;
    const std::string url = base_ + "/" + path;
    ASSIGN_OR_RETURN(log::HttpResult r, log::HttpGet(url, http));
    if (r.status == 404) return std::optional<std::string>();
    if (r.status != 200) return Unavailable("GET " + url + ": HTTP " + std::to_string(r.status));
    return std::optional<std::string>(std::move(r.body));
  }

  // The first t.width hashes of hash tile t: the tile itself, else (a log may delete a partial tile
  // once a wider one exists) the full tile, else the partial tile of the log's current size.
  StatusOr<Bytes> ReadHashTile(const tlog::Tile& t) const {
    const size_t want = size_t{t.width} * 32;
    ASSIGN_OR_RETURN(std::optional<std::string> body, Get(tlog::TilePath(t), want));
    if (!body && !t.full()) {
      tlog::Tile wider = t;
      wider.width = tlog::kTileWidth;
      ASSIGN_OR_RETURN(body, Get(tlog::TilePath(wider), tlog::kTileWidth * 32));
      if (!body) {
        // The log's current size (unverified: it only picks which tile to read; the hashes are
        // checked by the proof verification).
        ASSIGN_OR_RETURN(std::optional<std::string> note, Get("checkpoint", tlog::kMaxNoteBytes));
        if (note) {
          StatusOr<tlog::Note> parsed = tlog::ParseNote(*note);
          StatusOr<tlog::Checkpoint> cp =
              parsed.ok() ? tlog::ParseCheckpoint(parsed->text) : StatusOr<tlog::Checkpoint>(parsed.status());
          if (cp.ok()) {
            const uint64_t nodes = NodesAtTileLevel(t.level, cp->size);
            const uint64_t first = t.n * tlog::kTileWidth;
            if (nodes > first && nodes - first > t.width) {
              wider.width = static_cast<uint32_t>(std::min<uint64_t>(tlog::kTileWidth, nodes - first));
              ASSIGN_OR_RETURN(body, Get(tlog::TilePath(wider), size_t{wider.width} * 32));
            }
          }
        }
      }
    }
    if (!body) return Unavailable("the log at " + base_ + " does not serve " + tlog::TilePath(t) + " (HTTP 404)");
    if (body->size() < want || body->size() % 32 != 0) {
      return Unavailable("the log at " + base_ + " served " + std::to_string(body->size()) + " bytes for " +
                         tlog::TilePath(t) + ", want " + std::to_string(want));
    }
    return Bytes(body->begin(), body->begin() + static_cast<std::ptrdiff_t>(want));
  }

  std::string base_;
  HttpConsistencyFetcher::Options options_;
  Clock::time_point deadline_;
  mutable std::atomic<size_t> requests_{0};
};

}  // namespace

StatusOr<std::vector<tlog::Hash>> HttpConsistencyFetcher::FetchConsistencyProof(
    std::string_view origin, const std::optional<std::string>& url, uint64_t old_size, uint64_t new_size) {
  if (!url || url->empty()) {
    return FailedPrecondition("the trust policy gives no URL for log \"" + std::string(origin) +
                              "\" (add it to the `log` line to check consistency online)");
  }
  if (old_size == 0 || old_size >= new_size) {
    return InvalidArgument("a consistency proof needs 0 < old size < new size");
  }
  StatusOr<log::SplitUrl> split = log::ParseHttpUrl(*url);
  if (!split.ok()) return FailedPrecondition("log URL: " + split.status().message());
  const std::string base = split->origin + split->path;
  BoundedHttpTileReader tiles(base, options_);
  tlog::TileHashReader hashes(new_size, tiles);
  StatusOr<std::vector<tlog::Hash>> proof = tlog::ConsistencyProof(old_size, new_size, hashes);
  if (!proof.ok()) {
    return proof.status().WithContext("reading the tiles of log \"" + std::string(origin) + "\" at " + base);
  }
  return proof;
}

}  // namespace keyward::trust
