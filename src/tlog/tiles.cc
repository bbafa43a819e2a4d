#include "tlog/tiles.h"

#include <algorithm>
#include <map>

#include "tlog/checkpoint.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::tlog {
namespace {

// Number of complete level-(8·level) nodes in a tree of `size` records.
uint64_t NodesAtTileLevel(int level, uint64_t size) {
  int shift = kTileHeight * level;
  return shift >= 64 ? 0 : size >> shift;
}

uint32_t WidthOf(uint64_t nodes, uint64_t n) {
  uint64_t start = n * kTileWidth;
  if (nodes <= start) return 0;
  return static_cast<uint32_t>(std::min<uint64_t>(kTileWidth, nodes - start));
}

bool IsThreeDigits(std::string_view s) {
  return s.size() == 3 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string EncodeTileIndex(uint64_t n) {
  auto three = [](uint64_t v) {
    std::string s = std::to_string(v % 1000);
    return std::string(3 - s.size(), '0') + s;
  };
  std::string out = three(n);
  while (n >= 1000) {
    n /= 1000;
    out = "x" + three(n) + "/" + out;
  }
  return out;
}

std::string TilePath(const Tile& tile) {
  std::string out = "tile/";
  out += tile.entries ? std::string("entries") : std::to_string(tile.level);
  out += "/" + EncodeTileIndex(tile.n);
  if (tile.width != kTileWidth) out += ".p/" + std::to_string(tile.width);
  return out;
}

// path  = "tile/" (level | "entries") "/" index [".p/" width]
// index = *("x" 3DIGIT "/") 3DIGIT, canonical (no leading "x000/" group)   (tlog-tiles §Merkle Tree)
// level = 0..63 without leading zeros; width = 1..255 without leading zeros
StatusOr<Tile> ParseTilePath(std::string_view path) {
  const auto bad = [&](std::string_view why) {
    return InvalidArgument("malformed tile path '" + std::string(path.substr(0, 128)) + "': " + std::string(why));
  };
  if (path.size() > 128) return bad("too long");
  if (!path.starts_with("tile/")) return bad("must start with tile/");
  std::vector<std::string_view> parts;
  for (std::string_view rest = path.substr(5);;) {
    size_t slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  if (parts.size() < 2) return bad("missing index");
  Tile tile;
  if (parts[0] == "entries") {
    tile.entries = true;
    tile.level = -1;
  } else {
    auto level = ParseDecimalU64(parts[0]);
    if (!level.ok() || *level > kMaxTileLevel) return bad("level must be 0..63 or 'entries'");
    tile.level = static_cast<int>(*level);
  }
  size_t end = parts.size();
  // A partial tile: "...NNN.p/W".
  if (end >= 3 && parts[end - 2].ends_with(".p")) {
    auto w = ParseDecimalU64(parts[end - 1]);
    if (!w.ok() || *w == 0 || *w >= kTileWidth) return bad("partial width must be 1..255");
    tile.width = static_cast<uint32_t>(*w);
    parts[end - 2].remove_suffix(2);
    --end;
  }
  uint64_t n = 0;
  size_t groups = end - 1;
  if (groups > 7) return bad("index too large");
  for (size_t i = 1; i < end; ++i) {
    std::string_view g = parts[i];
    bool last = i == end - 1;
    if (!last) {
      if (!g.starts_with("x")) return bad("non-final index groups must start with x");
      g.remove_prefix(1);
    }
    if (!IsThreeDigits(g)) return bad("index groups must be 3 digits");
    uint64_t v = static_cast<uint64_t>((g[0] - '0') * 100 + (g[1] - '0') * 10 + (g[2] - '0'));
    if (i == 1 && !last && v == 0) return bad("index has a leading zero group");
    if (n > (UINT64_MAX - v) / 1000) return bad("index does not fit in 64 bits");
    n = n * 1000 + v;
  }
  tile.n = n;
  // Canonical form only: re-encoding must give the same path.
  if (TilePath(tile) != path) return bad("not in canonical form");
  return tile;
}

StatusOr<Tile> HashTileForIndex(int level, uint64_t index, uint64_t tree_size) {
  if (level < 0 || level > kMaxTileLevel) return InvalidArgument("tile level must be 0..63");
  if (index >= tree_size) return InvalidArgument("record index is not below the tree size");
  uint64_t nodes = NodesAtTileLevel(level, tree_size);
  uint64_t node = kTileHeight * level >= 64 ? 0 : index >> (kTileHeight * level);
  if (node >= nodes) {
    return NotFound("the level-" + std::to_string(level) + " tile node for this record is not complete yet");
  }
  Tile t;
  t.level = level;
  t.n = node / kTileWidth;
  t.width = WidthOf(nodes, t.n);
  KW_CHECK(t.width >= 1);
  return t;
}

StatusOr<Tile> EntryTileForIndex(uint64_t index, uint64_t tree_size) {
  if (index >= tree_size) return InvalidArgument("record index is not below the tree size");
  Tile t;
  t.entries = true;
  t.level = -1;
  t.n = index / kTileWidth;
  t.width = WidthOf(tree_size, t.n);
  return t;
}

std::vector<Tile> HashTilesForSize(uint64_t tree_size) {
  return NewHashTiles(0, tree_size);
}

std::vector<Tile> NewHashTiles(uint64_t old_size, uint64_t new_size) {
  std::vector<Tile> out;
  for (int level = 0; level <= kMaxTileLevel; ++level) {
    uint64_t new_nodes = NodesAtTileLevel(level, new_size);
    if (new_nodes == 0) break;
    uint64_t old_nodes = NodesAtTileLevel(level, old_size);
    for (uint64_t n = old_nodes / kTileWidth; n * kTileWidth < new_nodes; ++n) {
      uint32_t w = WidthOf(new_nodes, n);
      if (w != WidthOf(old_nodes, n)) out.push_back(Tile{level, n, w, false});
    }
  }
  return out;
}

StatusOr<Bytes> ReadHashTileData(const Tile& tile, const HashReader& reader) {
  if (tile.entries || tile.level < 0 || tile.level > kMaxTileLevel || tile.width < 1 ||
      tile.width > kTileWidth) {
    return InvalidArgument("not a hash tile");
  }
  std::vector<uint64_t> indexes;
  indexes.reserve(tile.width);
  for (uint32_t i = 0; i < tile.width; ++i) {
    indexes.push_back(StoredHashIndex(kTileHeight * tile.level, tile.n * kTileWidth + i));
  }
  ASSIGN_OR_RETURN(std::vector<Hash> hashes, reader.ReadHashes(indexes));
  if (hashes.size() != indexes.size()) return Internal("hash reader returned the wrong number of hashes");
  Bytes out;
  out.reserve(hashes.size() * 32);
  for (const Hash& h : hashes) out.insert(out.end(), h.begin(), h.end());
  return out;
}

Bytes FormatEntryBundle(std::span<const Bytes> entries) {
  KW_CHECK(entries.size() <= kTileWidth);
  wire::Writer w;
  for (const Bytes& e : entries) w.U16Prefixed(e);  // KW_CHECKs each entry <= 65535 bytes
  return w.Take();
}

// bundle = 1*256(uint16 length ‖ entry)   (tlog-tiles §Log entries)
StatusOr<std::vector<Bytes>> ParseEntryBundle(ByteSpan data, size_t expected_count) {
  wire::Reader r(data);
  std::vector<Bytes> out;
  while (!r.empty()) {
    if (out.size() >= kTileWidth) return InvalidArgument("entry bundle has more than 256 entries");
    std::span<const uint8_t> e;
    if (!r.U16Prefixed(&e)) return InvalidArgument("entry bundle is truncated inside an entry");
    out.emplace_back(e.begin(), e.end());
  }
  if (expected_count != 0 && out.size() != expected_count) {
    return InvalidArgument("entry bundle has " + std::to_string(out.size()) + " entries, want " +
                           std::to_string(expected_count));
  }
  return out;
}

StatusOr<std::vector<Hash>> TileHashReader::ReadHashes(std::span<const uint64_t> indexes) const {
  struct Need {
    Tile tile;
    uint32_t first;  // position of the first level-8L hash in the tile
    uint32_t count;  // 2^r hashes to fold
  };
  std::vector<Need> needs;
  needs.reserve(indexes.size());
  std::map<std::pair<int, uint64_t>, size_t> tile_slot;
  std::vector<Tile> tiles;
  for (uint64_t index : indexes) {
    int level;
    uint64_t n;
    SplitStoredHashIndex(index, &level, &n);
    int tl = level / kTileHeight;
    int r = level % kTileHeight;
    if (tl > kMaxTileLevel) return InvalidArgument("stored hash index out of range");
    uint64_t first_node = n << r;
    uint64_t end_node = (n + 1) << r;
    uint64_t nodes = NodesAtTileLevel(tl, tree_size_);
    if (end_node > nodes) {
      return NotFound("stored hash " + std::to_string(index) + " is beyond a tree of size " +
                      std::to_string(tree_size_));
    }
    Tile t{tl, first_node / kTileWidth, WidthOf(nodes, first_node / kTileWidth), false};
    auto key = std::make_pair(t.level, t.n);
    if (!tile_slot.count(key)) {
      tile_slot[key] = tiles.size();
      tiles.push_back(t);
    }
    needs.push_back({t, static_cast<uint32_t>(first_node % kTileWidth), 1u << r});
  }
  ASSIGN_OR_RETURN(std::vector<Bytes> data, tiles_.ReadTiles(tiles));
  if (data.size() != tiles.size()) return Internal("tile reader returned the wrong number of tiles");
  for (size_t i = 0; i < tiles.size(); ++i) {
    if (data[i].size() != size_t{tiles[i].width} * 32) {
      return InvalidArgument("tile " + TilePath(tiles[i]) + " has " + std::to_string(data[i].size()) +
                             " bytes, want " + std::to_string(tiles[i].width * 32));
    }
  }
  std::vector<Hash> out;
  out.reserve(needs.size());
  std::vector<Hash> row;
  for (const Need& need : needs) {
    const Bytes& d = data[tile_slot[{need.tile.level, need.tile.n}]];
    row.assign(need.count, Hash{});
    for (uint32_t k = 0; k < need.count; ++k) {
      std::copy_n(d.begin() + (need.first + k) * 32, 32, row[k].begin());
    }
    out.push_back(RootFromLeafHashes(row));  // a complete subtree: plain pairwise folding
  }
  return out;
}

}  // namespace keyward::tlog
