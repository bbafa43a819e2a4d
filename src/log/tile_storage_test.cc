#include "log/tile_storage.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "log/durable_file.h"
#include "support/vectors.h"
#include "tlog/tiles.h"

namespace keyward::log {
namespace {

using testing::TempDir;

// Checkpoints in these tests are "size root-base64" lines (the signature part is the server's job).
TileStorage::CheckpointParser PlainParser() {
  return [](std::string_view note) -> StatusOr<TileStorage::PublishedTree> {
    size_t sp = note.find(' ');
    if (sp == std::string_view::npos) return InvalidArgument("bad test checkpoint");
    TileStorage::PublishedTree t;
    t.size = std::stoull(std::string(note.substr(0, sp)));
    ASSIGN_OR_RETURN(t.root, tlog::HashFromBase64(note.substr(sp + 1)));
    return t;
  };
}

std::vector<Bytes> Entries(uint64_t from, uint64_t count) {
  std::vector<Bytes> out;
  for (uint64_t i = from; i < from + count; ++i) out.push_back(ToBytes("entry " + std::to_string(i)));
  return out;
}

// Commits entries with a test checkpoint "size root".
Status Add(TileStorage& s, const std::vector<Bytes>& e, bool publish = true) {
  return s.Commit(e, [&](uint64_t size) -> StatusOr<std::string> {
    if (!publish) return Unavailable("no witnesses");
    ASSIGN_OR_RETURN(tlog::Hash root, s.TreeHash(size));
    return std::to_string(size) + " " + tlog::HashToBase64(root);
  });
}

TEST(TileStorage, AppendWritesTilesMatchingTheMemoryTree) {
  TempDir dir;
  auto s = TileStorage::Open(dir.path(), PlainParser());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  tlog::MemoryHashStore ref;
  uint64_t n = 0;
  for (uint64_t batch : {1, 7, 250, 300, 1, 70000 - 559}) {
    auto e = Entries(n, batch);
    ASSERT_TRUE(Add(**s, e).ok());
    for (const auto& x : e) ref.AppendRecord(x);
    n += batch;
    ASSERT_TRUE((*s)->Flush().ok());
  }
  ASSERT_EQ((*s)->size(), 70000u);
  // Every tile of the final tree is on disk with the right contents.
  for (const auto& tile : tlog::HashTilesForSize(70000)) {
    auto data = ReadFileBytes(dir.path() / tlog::TilePath(tile), 1 << 20);
    ASSERT_TRUE(data.ok()) << tlog::TilePath(tile);
    EXPECT_EQ(*data, *tlog::ReadHashTileData(tile, ref)) << tlog::TilePath(tile);
  }
  auto last = ReadFileBytes(dir.path() / "tile/entries/273.p/112", 1 << 24);
  ASSERT_TRUE(last.ok());
  auto entries = tlog::ParseEntryBundle(*last, 112);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->back(), ToBytes("entry 69999"));
  EXPECT_EQ(*(*s)->TreeHash(70000), *tlog::TreeHash(70000, ref));
  // Superseded partial bundles are eventually deleted; the current one stays.
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "tile/entries/000.p/1"));
}

TEST(TileStorage, RecoversRecordsAndIndexAfterReopen) {
  TempDir dir;
  tlog::Hash root;
  {
    auto s = TileStorage::Open(dir.path(), PlainParser());
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(Add(**s, Entries(0, 600)).ok());
    ASSERT_TRUE((*s)->Flush().ok());
    root = *(*s)->TreeHash(600);
  }
  auto s = TileStorage::Open(dir.path(), PlainParser());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->size(), 600u);
  EXPECT_EQ((*s)->published_size(), 600u);
  EXPECT_EQ(*(*s)->TreeHash(600), root);
  EXPECT_EQ((*s)->Find(tlog::LeafHash(ToBytes("entry 599"))), 599u);
  EXPECT_FALSE((*s)->Find(tlog::LeafHash(ToBytes("entry 600"))).has_value());
  ASSERT_TRUE(Add(**s, Entries(600, 10)).ok());
  EXPECT_EQ((*s)->size(), 610u);
}

TEST(TileStorage, CrashAfterCommitRecoversFromTheWalEvenWithoutTiles) {
  TempDir dir;
  {
    auto s = TileStorage::Open(dir.path(), PlainParser());
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(Add(**s, Entries(0, 100)).ok());
    ASSERT_TRUE((*s)->Flush().ok());
    ASSERT_TRUE(Add(**s, Entries(100, 150)).ok());        // acknowledged, not flushed
    ASSERT_TRUE(Add(**s, Entries(250, 50), false).ok() == false);  // stored, not published
  }
  // A machine crash may lose unsynced tiles: remove them all beyond the flushed checkpoint, and
  // leave a torn WAL tail and a temporary file behind.
  std::filesystem::remove(dir.path() / "tile/0/001.p/44");
  std::filesystem::remove(dir.path() / "tile/0/000");
  std::filesystem::remove(dir.path() / "tile/entries/000");
  std::filesystem::remove(dir.path() / "tile/entries/001.p/44");
  { std::ofstream(dir.path() / ".wal", std::ios::app) << "torn"; }
  ASSERT_TRUE(WriteFileDurably(dir.path() / "tile/0/.tmp-deadbeef", AsBytes("junk")).ok());
  auto s = TileStorage::Open(dir.path(), PlainParser());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->published_size(), 250u);
  EXPECT_EQ((*s)->size(), 300u);
  EXPECT_EQ((*s)->Find(tlog::LeafHash(ToBytes("entry 299"))), 299u);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "tile/0/000"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "tile/0/001.p/44"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "tile/entries/000"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "tile/0/.tmp-deadbeef"));
  auto cp = ReadFileText(dir.path() / "checkpoint", 1000);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->substr(0, 4), "250 ");  // recovery flushed the replayed checkpoint
  // Publishing the stored records later works, and survives another reopen.
  ASSERT_TRUE(Add(**s, {}).ok());
  EXPECT_EQ((*s)->published_size(), 300u);
  s->reset();
  auto again = TileStorage::Open(dir.path(), PlainParser());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->published_size(), 300u);
}

TEST(TileStorage, RefusesACheckpointThatTheBundlesDoNotSupport) {
  TempDir dir;
  {
    auto s = TileStorage::Open(dir.path(), PlainParser());
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(Add(**s, Entries(0, 300)).ok());
    ASSERT_TRUE((*s)->Flush().ok());
  }
  std::filesystem::remove(dir.path() / "tile/entries/001.p/44");  // rolled-back disk
  std::filesystem::remove(dir.path() / ".wal");
  auto s = TileStorage::Open(dir.path(), PlainParser());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("restore from a backup"), std::string::npos) << s.status().ToString();
}

TEST(TileStorage, RefusesRecordsThatDoNotMatchTheCheckpointRoot) {
  TempDir dir;
  {
    auto s = TileStorage::Open(dir.path(), PlainParser());
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(Add(**s, Entries(0, 5)).ok());
    ASSERT_TRUE((*s)->Flush().ok());
  }
  auto other = Entries(10, 5);
  ASSERT_TRUE(WriteFileDurably(dir.path() / "tile/entries/000.p/5", tlog::FormatEntryBundle(other)).ok());
  auto s = TileStorage::Open(dir.path(), PlainParser());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("corrupt"), std::string::npos) << s.status().ToString();
}

TEST(TileStorage, ProofsVerify) {
  TempDir dir;
  auto s = TileStorage::Open(dir.path(), PlainParser());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(Add(**s, Entries(0, 1000)).ok());
  auto root = *(*s)->TreeHash(1000);
  for (uint64_t i : {0u, 1u, 255u, 256u, 999u}) {
    auto p = (*s)->InclusionProof(i, 1000);
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(tlog::VerifyInclusion(i, 1000, tlog::LeafHash(ToBytes("entry " + std::to_string(i))), *p, root).ok());
  }
  auto old_root = *(*s)->TreeHash(333);
  auto c = (*s)->ConsistencyProof(333, 1000);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(tlog::VerifyConsistency(333, 1000, old_root, root, *c, tlog::ConsistencyFromZero::kReject).ok());
}

}  // namespace
}  // namespace keyward::log
