#include "tlog/tiles.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

namespace keyward::tlog {
namespace {

TEST(Tiles, PathEncoding) {
  EXPECT_EQ(EncodeTileIndex(0), "000");
  EXPECT_EQ(EncodeTileIndex(999), "999");
  EXPECT_EQ(EncodeTileIndex(1000), "x001/000");
  EXPECT_EQ(EncodeTileIndex(1234067), "x001/x234/067");
  EXPECT_EQ(TilePath({0, 1234067, 256, false}), "tile/0/x001/x234/067");
  EXPECT_EQ(TilePath({1, 1234067, 8, false}), "tile/1/x001/x234/067.p/8");
  EXPECT_EQ(TilePath({-1, 1234067, 256, true}), "tile/entries/x001/x234/067");
  EXPECT_EQ(TilePath({-1, 5, 3, true}), "tile/entries/005.p/3");
  for (const char* p : {"tile/0/x001/x234/067", "tile/1/x001/x234/067.p/8", "tile/entries/x001/x234/067",
                        "tile/entries/005.p/3", "tile/63/000", "tile/0/x018/x446/x744/x073/x709/x551/615"}) {
    auto t = ParseTilePath(p);
    ASSERT_TRUE(t.ok()) << p << ": " << t.status().ToString();
    EXPECT_EQ(TilePath(*t), p);
  }
  EXPECT_EQ(ParseTilePath("tile/0/x018/x446/x744/x073/x709/x551/615")->n, UINT64_MAX);
  for (const char* p : {"", "tile/", "tile/0", "tile/0/", "/tile/0/000", "tile/64/000", "tile/00/000",
                        "tile/0/0000", "tile/0/67", "tile/0/x000/067", "tile/0/001/234", "tile/0/x001",
                        "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/08", "tile/0/000.p",
                        "tile/0/000/", "tile/data/000", "tile/0/x018/x446/x744/x073/x709/x551/616",
                        "tile/0/x1/000", "tile/-1/000", "tile/entries/000.p/", "tile/0/000.q/5"}) {
    EXPECT_FALSE(ParseTilePath(p).ok()) << p;
  }
}

// tlog-tiles example: 70,000 leaves = 273 full + partial(112) at L0, full + partial(17) at L1,
// partial(1) at L2.
TEST(Tiles, TilesForSize70000) {
  auto tiles = HashTilesForSize(70000);
  std::map<int, std::vector<Tile>> by_level;
  for (const auto& t : tiles) by_level[t.level].push_back(t);
  ASSERT_EQ(by_level.size(), 3u);
  EXPECT_EQ(by_level[0].size(), 274u);
  EXPECT_EQ(by_level[0].back().width, 112u);
  EXPECT_EQ(by_level[1].size(), 2u);
  EXPECT_EQ(by_level[1].back().width, 17u);
  EXPECT_EQ(by_level[2].size(), 1u);
  EXPECT_EQ(by_level[2].back().width, 1u);
  // Growing 70000 → 70001 rewrites only the partial tiles that change.
  auto changed = NewHashTiles(70000, 70001);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0], (Tile{0, 273, 113, false}));
  EXPECT_EQ(NewHashTiles(70000, 70000).size(), 0u);
  EXPECT_EQ(*HashTileForIndex(1, 69887, 70000), (Tile{1, 1, 17, false}));
  EXPECT_EQ(*HashTileForIndex(0, 69999, 70000), (Tile{0, 273, 112, false}));
  // Record 69999 sits in a level-8 node that is not complete yet.
  EXPECT_EQ(HashTileForIndex(1, 69999, 70000).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(*EntryTileForIndex(69999, 70000), (Tile{-1, 273, 112, true}));
}

class MemoryTiles final : public TileReader {
 public:
  std::map<std::string, Bytes> files;
  mutable int reads = 0;
  StatusOr<std::vector<Bytes>> ReadTiles(std::span<const Tile> tiles) const override {
    std::vector<Bytes> out;
    for (const auto& t : tiles) {
      ++reads;
      auto it = files.find(TilePath(t));
      if (it == files.end()) return NotFound("no tile " + TilePath(t));
      out.push_back(it->second);
    }
    return out;
  }
};

// Tile contents for a tree of 70,000 leaves match hashes computed directly, and a TileHashReader
// over those tiles reproduces tree hashes and proofs.
TEST(Tiles, ContentsMatchDirectHashes) {
  constexpr uint64_t kSize = 70000;
  MemoryHashStore store;
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < kSize; ++i) {
    leaves.push_back(LeafHash(AsBytes("entry " + std::to_string(i))));
    store.AppendLeafHash(leaves.back());
  }
  MemoryTiles tiles;
  for (const auto& t : HashTilesForSize(kSize)) {
    auto data = ReadHashTileData(t, store);
    ASSERT_TRUE(data.ok());
    ASSERT_EQ(data->size(), t.width * 32u);
    tiles.files[TilePath(t)] = *data;
  }
  // Hash i of tile (L, N) = MTH of leaves [(N·256+i)·256^L, (N·256+i+1)·256^L).
  auto check = [&](const Tile& t, uint32_t i) {
    uint64_t span = uint64_t{1} << (8 * t.level);
    uint64_t lo = (t.n * 256 + i) * span;
    Hash want = RootFromLeafHashes(std::span(leaves).subspan(lo, span));
    const Bytes& d = tiles.files[TilePath(t)];
    EXPECT_TRUE(std::equal(want.begin(), want.end(), d.begin() + i * 32)) << TilePath(t) << " #" << i;
  };
  check({0, 0, 256, false}, 0);
  check({0, 273, 112, false}, 111);
  check({1, 0, 256, false}, 255);
  check({1, 1, 17, false}, 16);
  check({2, 0, 1, false}, 0);

  TileHashReader reader(kSize, tiles);
  auto root = TreeHash(kSize, reader);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(*root, *TreeHash(kSize, store));
  for (uint64_t idx : {uint64_t{0}, uint64_t{255}, uint64_t{65535}, uint64_t{65536}, uint64_t{69999}}) {
    auto proof = InclusionProof(idx, kSize, reader);
    ASSERT_TRUE(proof.ok());
    EXPECT_EQ(*proof, *InclusionProof(idx, kSize, store));
    EXPECT_TRUE(VerifyInclusion(idx, kSize, leaves[idx], *proof, *root).ok());
  }
  EXPECT_EQ(*ConsistencyProof(12345, kSize, reader), *ConsistencyProof(12345, kSize, store));
  // Beyond the tree: NotFound rather than a wrong hash.
  TileHashReader small(1000, tiles);
  EXPECT_FALSE(TreeHash(kSize, small).ok());
  // A truncated tile is rejected.
  tiles.files["tile/2/000.p/1"].pop_back();
  EXPECT_FALSE(TreeHash(kSize, reader).ok());
}

TEST(Tiles, EntryBundles) {
  std::vector<Bytes> entries = {Bytes{}, ToBytes("hello"), Bytes(65535, 7)};
  Bytes bundle = FormatEntryBundle(entries);
  EXPECT_EQ(bundle.size(), 2u + 2 + 5 + 2 + 65535);
  auto parsed = ParseEntryBundle(bundle, 3);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, entries);
  EXPECT_FALSE(ParseEntryBundle(bundle, 2).ok());
  Bytes truncated(bundle.begin(), bundle.end() - 1);
  EXPECT_FALSE(ParseEntryBundle(truncated).ok());
  EXPECT_FALSE(ParseEntryBundle(Bytes{0x00}).ok());
  std::vector<Bytes> too_many(257, Bytes{1});
  Bytes big;
  for (const auto& e : too_many) big.insert(big.end(), {0x00, 0x01, e[0]});
  EXPECT_FALSE(ParseEntryBundle(big).ok());
}

RC_GTEST_PROP(TilesProperty, PathRoundTrip, ()) {
  Tile t;
  t.entries = *rc::gen::arbitrary<bool>();
  t.level = t.entries ? -1 : *rc::gen::inRange(0, 64);
  t.n = *rc::gen::arbitrary<uint64_t>();
  t.width = *rc::gen::inRange<uint32_t>(1, 257);
  auto parsed = ParseTilePath(TilePath(t));
  RC_ASSERT(parsed.ok());
  RC_ASSERT(*parsed == t);
}

}  // namespace
}  // namespace keyward::tlog
