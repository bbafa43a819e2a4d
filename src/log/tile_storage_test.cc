#include "log/tile_storage.h"

#include <gtest/gtest.h>

#include <filesystem>

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

Status Publish(TileStorage& s) {
  ASSIGN_OR_RETURN(tlog::Hash root, s.TreeHash(s.size()));
  return s.PublishCheckpoint(s.size(), std::to_string(s.size()) + " " + tlog::HashToBase64(root));
}

TEST(TileStorage, AppendWritesTilesMatchingTheMemoryTree) {
  TempDir dir;
  auto s = TileStorage::Open(dir.path(), PlainParser());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  tlog::MemoryHashStore ref;
  uint64_t n = 0;
  for (uint64_t batch : {1, 7, 250, 300, 1, 70000 - 559}) {
    auto e = Entries(n, batch);
    ASSERT_TRUE((*s)->Append(e).ok());
    for (const auto& x : e) ref.AppendRecord(x);
    n += batch;
    ASSERT_TRUE(Publish(**s).ok());
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
    ASSERT_TRUE((*s)->Append(Entries(0, 600)).ok());
    ASSERT_TRUE(Publish(**s).ok());
    root = *(*s)->TreeHash(600);
  }
  auto s = TileStorage::Open(dir.path(), PlainParser());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->size(), 600u);
  EXPECT_EQ((*s)->published_size(), 600u);
  EXPECT_EQ(*(*s)->TreeHash(600), root);
  EXPECT_EQ((*s)->Find(tlog::LeafHash(ToBytes("entry 599"))), 599u);
  EXPECT_FALSE((*s)->Find(tlog::LeafHash(ToBytes("entry 600"))).has_value());
  ASSERT_TRUE((*s)->Append(Entries(600, 10)).ok());
  EXPECT_EQ((*s)->size(), 610u);
}

TEST(TileStorage, RecordsWrittenButNotPublishedAreKeptAndTheirTilesRewritten) {
  TempDir dir;
  {
    auto s = TileStorage::Open(dir.path(), PlainParser());
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Append(Entries(0, 100)).ok());
    ASSERT_TRUE(Publish(**s).ok());
    ASSERT_TRUE((*s)->Append(Entries(100, 200)).ok());  // "crash" before publishing
  }
  // A crash may also lose the hash tiles of the unpublished batch: remove them.
  std::filesystem::remove(dir.path() / "tile/0/001.p/44");
  std::filesystem::remove(dir.path() / "tile/0/000");
  // ... and leave a temporary file behind.
  ASSERT_TRUE(WriteFileDurably(dir.path() / "tile/0/.tmp-deadbeef", AsBytes("junk")).ok());
  auto s = TileStorage::Open(dir.path(), PlainParser());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->published_size(), 100u);
  EXPECT_EQ((*s)->size(), 300u);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "tile/0/000"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "tile/0/001.p/44"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "tile/0/.tmp-deadbeef"));
}

TEST(TileStorage, RefusesACheckpointThatTheBundlesDoNotSupport) {
  TempDir dir;
  {
    auto s = TileStorage::Open(dir.path(), PlainParser());
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Append(Entries(0, 300)).ok());
    ASSERT_TRUE(Publish(**s).ok());
  }
  std::filesystem::remove(dir.path() / "tile/entries/001.p/44");  // rolled-back disk
  auto s = TileStorage::Open(dir.path(), PlainParser());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("restore from a backup"), std::string::npos) << s.status().ToString();
}

TEST(TileStorage, RefusesRecordsThatDoNotMatchTheCheckpointRoot) {
  TempDir dir;
  {
    auto s = TileStorage::Open(dir.path(), PlainParser());
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Append(Entries(0, 5)).ok());
    ASSERT_TRUE(Publish(**s).ok());
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
  ASSERT_TRUE((*s)->Append(Entries(0, 1000)).ok());
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
