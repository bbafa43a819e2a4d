// C2SP tlog-tiles (v0.1.0): tile paths, hash-tile contents, entry bundles, and a HashReader over
// tiles.
//
//   tile/<L>/<N>[.p/<W>]         hash tile: level L (0..63), index N, partial width W (1..255)
//   tile/entries/<N>[.p/<W>]     entry bundle
//   N is written in 3-digit groups, all but the last prefixed "x": 1234067 → x001/x234/067.
//
// A full hash tile is 256 hashes × 32 bytes; hash i of tile (L, N) is the Merkle node at tree
// level 8·L with index N·256 + i, i.e. MTH(D[(N·256+i)·256^L : (N·256+i+1)·256^L]). A partial tile
// holds the first W of those. An entry bundle is a sequence of big-endian uint16 length-prefixed
// entries (so entries are at most 65535 bytes).
//
// Thread-safety: value types and pure functions; TileHashReader is as thread-safe as its TileReader.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "tlog/merkle.h"

namespace keyward::tlog {

constexpr int kTileHeight = 8;
constexpr uint64_t kTileWidth = 256;      // hashes or entries per full tile
constexpr int kMaxTileLevel = 63;
constexpr size_t kMaxEntryBytes = 65535;  // uint16 length prefix

// A tile. Invariants: 1 <= width <= 256; level in 0..63 for hash tiles; level is -1 for entry
// bundles (entries == true).
struct Tile {
  int level = 0;
  uint64_t n = 0;
  uint32_t width = kTileWidth;
  bool entries = false;

  bool operator==(const Tile&) const = default;
  bool full() const { return width == kTileWidth; }
};

// "x001/x234/067" for 1234067; "000" for 0.
std::string EncodeTileIndex(uint64_t n);
// "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]".
std::string TilePath(const Tile& tile);
// Strict parse of a path produced by TilePath (leading "tile/" required, no leading slash, no
// non-canonical index groups, width 1..255 only after ".p/"). InvalidArgument otherwise.
StatusOr<Tile> ParseTilePath(std::string_view path);

// The hash tile at `level` that contains the level-(8·level) node covering record `index`, with the
// width it has in a tree of `tree_size` records. NotFound if that node is not complete yet (the
// tree is too small), InvalidArgument if index >= tree_size or level > 63.
StatusOr<Tile> HashTileForIndex(int level, uint64_t index, uint64_t tree_size);
// The entry bundle that holds record `index` in a tree of `tree_size` records.
// InvalidArgument if index >= tree_size.
StatusOr<Tile> EntryTileForIndex(uint64_t index, uint64_t tree_size);

// All hash tiles (full and the final partial ones) of a tree of `tree_size` records, lowest level
// first. For 70,000: 273 full + 1 partial (112) at L0, 1 full + 1 partial (17) at L1, 1 partial (1)
// at L2.
std::vector<Tile> HashTilesForSize(uint64_t tree_size);
// Hash tiles that change when the tree grows from old_size to new_size (what a log writes after
// integrating a batch): every tile of new_size that is not byte-identical in old_size.
std::vector<Tile> NewHashTiles(uint64_t old_size, uint64_t new_size);

// Contents of a hash tile (width × 32 bytes) from stored hashes. The tile must lie within
// the tree the reader holds.
StatusOr<Bytes> ReadHashTileData(const Tile& tile, const HashReader& reader);

// Entry bundles.
Bytes FormatEntryBundle(std::span<const Bytes> entries);
// Strict: each entry uint16-prefixed, no trailing bytes; if expected_count > 0, exactly that many.
StatusOr<std::vector<Bytes>> ParseEntryBundle(ByteSpan data, size_t expected_count = 0);

// Fetches tiles (from disk, HTTP, memory). Returns the contents of each tile in order.
class TileReader {
 public:
  virtual ~TileReader() = default;
  virtual StatusOr<std::vector<Bytes>> ReadTiles(std::span<const Tile> tiles) const = 0;
};

// A HashReader for a tree of `tree_size` records served as tiles: it reads the level-8L hashes
// from tiles and recomputes inner hashes. The hashes are NOT authenticated here: verify what you
// derive from them (TreeHash against a checkpoint root, or proofs with VerifyInclusion).
class TileHashReader final : public HashReader {
 public:
  TileHashReader(uint64_t tree_size, const TileReader& tiles) : tree_size_(tree_size), tiles_(tiles) {}
  StatusOr<std::vector<Hash>> ReadHashes(std::span<const uint64_t> indexes) const override;

 private:
  uint64_t tree_size_;
  const TileReader& tiles_;
};

}  // namespace keyward::tlog
