#include "log/tile_storage.h"

#include <algorithm>
#include <set>
#include <system_error>

#include "log/durable_file.h"

namespace keyward::log {
namespace {

constexpr size_t kMaxBundleBytes = tlog::kTileWidth * (tlog::kMaxEntryBytes + 2);
constexpr size_t kMaxNoteFileBytes = 1 << 20;

tlog::Tile EntryTile(uint64_t n, uint32_t width) {
  tlog::Tile t;
  t.level = -1;
  t.n = n;
  t.width = width;
  t.entries = true;
  return t;
}

// Widest partial bundle N.p/<W> present on disk (0 if none).
uint32_t WidestPartial(const std::filesystem::path& partial_dir) {
  uint32_t best = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(partial_dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.empty() || name.size() > 3 || name[0] == '0') continue;
    if (!std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    uint32_t w = static_cast<uint32_t>(std::stoul(name));
    if (w < tlog::kTileWidth) best = std::max(best, w);
  }
  return best;
}

void RemoveTemporaries(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> doomed;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename().string().rfind(".tmp-", 0) == 0) doomed.push_back(it->path());
  }
  for (const auto& p : doomed) std::filesystem::remove(p, ec);
}

Status SyncDirs(const std::set<std::filesystem::path>& dirs) {
  for (const auto& d : dirs) RETURN_IF_ERROR(FsyncDir(d));
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<TileStorage>> TileStorage::Open(const std::filesystem::path& dir,
                                                         const CheckpointParser& parse_checkpoint) {
  RETURN_IF_ERROR(MakeDirs(dir));
  std::unique_ptr<TileStorage> s(new TileStorage(dir));
  RETURN_IF_ERROR(s->Recover(parse_checkpoint));
  return s;
}

void TileStorage::AddRecordHash(const tlog::Hash& leaf_hash) {
  uint64_t index = hashes_.store.AppendLeafHash(leaf_hash);
  hashes_.index.emplace(leaf_hash, index);  // keeps the first index of a duplicate
}

std::optional<uint64_t> TileStorage::Find(const tlog::Hash& leaf_hash) const {
  auto it = hashes_.index.find(leaf_hash);
  if (it == hashes_.index.end()) return std::nullopt;
  return it->second;
}

StatusOr<bool> TileStorage::LoadBundles() {
  for (uint64_t n = 0;; ++n) {
    auto full_path = dir_ / tlog::TilePath(EntryTile(n, tlog::kTileWidth));
    auto data = ReadFileBytes(full_path, kMaxBundleBytes);
    if (data.ok()) {
      auto entries = tlog::ParseEntryBundle(*data, tlog::kTileWidth);
      if (!entries.ok()) {
        return IoError("corrupt entry bundle " + full_path.string() + ": " +
                       entries.status().message() + "; restore the log directory from a backup");
      }
      for (const auto& e : *entries) AddRecordHash(tlog::LeafHash(e));
      continue;
    }
    if (data.status().code() != ErrorCode::kNotFound) return data.status();
    auto partial_dir = (dir_ / tlog::TilePath(EntryTile(n, 1))).parent_path();
    uint32_t width = WidestPartial(partial_dir);
    if (width == 0) return true;
    auto path = dir_ / tlog::TilePath(EntryTile(n, width));
    ASSIGN_OR_RETURN(Bytes pdata, ReadFileBytes(path, kMaxBundleBytes));
    auto entries = tlog::ParseEntryBundle(pdata, width);
    if (!entries.ok()) {
      return IoError("corrupt entry bundle " + path.string() + ": " + entries.status().message() +
                     "; restore the log directory from a backup");
    }
    for (const auto& e : *entries) AddRecordHash(tlog::LeafHash(e));
    tail_entries_ = std::move(*entries);
    return true;
  }
}

Status TileStorage::Recover(const CheckpointParser& parse_checkpoint) {
  RemoveTemporaries(dir_);
  auto bundles = LoadBundles();
  if (!bundles.ok()) return bundles.status();
  auto note = ReadFileText(dir_ / "checkpoint", kMaxNoteFileBytes);
  if (note.ok()) {
    ASSIGN_OR_RETURN(PublishedTree tree, parse_checkpoint(*note));
    if (tree.size > size()) {
      return IoError("the checkpoint in " + dir_.string() + " commits to " + std::to_string(tree.size) +
                     " records but only " + std::to_string(size()) +
                     " are on disk; the entry bundles were lost or rolled back — restore from a backup");
    }
    ASSIGN_OR_RETURN(tlog::Hash root, TreeHash(tree.size));
    if (root != tree.root) {
      return IoError("the records on disk do not match the published checkpoint's root (size " +
                     std::to_string(tree.size) + "); the log directory is corrupt — restore from a backup");
    }
    published_size_ = tree.size;
    published_note_ = std::move(*note);
  } else if (note.status().code() != ErrorCode::kNotFound) {
    return note.status();
  }
  // Hash tiles for records that a crash left without them (idempotent rewrite).
  if (size() > published_size_) RETURN_IF_ERROR(WriteHashTiles(published_size_, size()));
  return Status::Ok();
}

Status TileStorage::WriteEntryBundles(uint64_t old_size, std::span<const Bytes> entries) {
  std::set<std::filesystem::path> dirs;
  std::vector<Bytes> cur = tail_entries_;
  size_t i = 0;
  uint64_t new_size = old_size + entries.size();
  for (uint64_t n = old_size / tlog::kTileWidth; n * tlog::kTileWidth < new_size; ++n) {
    while (cur.size() < tlog::kTileWidth && i < entries.size()) cur.push_back(entries[i++]);
    auto path = dir_ / tlog::TilePath(EntryTile(n, static_cast<uint32_t>(cur.size())));
    RETURN_IF_ERROR(WriteFileDurably(path, tlog::FormatEntryBundle(cur), {.sync_dir = false}));
    dirs.insert(path.parent_path());
    if (cur.size() == tlog::kTileWidth) cur.clear();
  }
  KW_CHECK(i == entries.size());
  RETURN_IF_ERROR(SyncDirs(dirs));
  if (old_size % tlog::kTileWidth != 0) {
    superseded_now_.push_back(dir_ / tlog::TilePath(EntryTile(
        old_size / tlog::kTileWidth, static_cast<uint32_t>(old_size % tlog::kTileWidth))));
  }
  tail_entries_ = std::move(cur);
  return Status::Ok();
}

Status TileStorage::WriteHashTiles(uint64_t old_size, uint64_t new_size) {
  std::set<std::filesystem::path> dirs;
  for (const auto& tile : tlog::NewHashTiles(old_size, new_size)) {
    ASSIGN_OR_RETURN(Bytes data, tlog::ReadHashTileData(tile, hashes_.store));
    auto path = dir_ / tlog::TilePath(tile);
    RETURN_IF_ERROR(WriteFileDurably(path, data, {.sync_dir = false}));
    dirs.insert(path.parent_path());
  }
  RETURN_IF_ERROR(SyncDirs(dirs));
  if (old_size > 0) {
    auto now = tlog::HashTilesForSize(new_size);
    for (const auto& t : tlog::HashTilesForSize(old_size)) {
      if (!t.full() && std::find(now.begin(), now.end(), t) == now.end()) {
        superseded_now_.push_back(dir_ / tlog::TilePath(t));
      }
    }
  }
  return Status::Ok();
}

Status TileStorage::Append(std::span<const Bytes> entries) {
  RETURN_IF_ERROR(poisoned_);
  if (entries.empty()) return Status::Ok();
  uint64_t old_size = size();
  for (const auto& e : entries) {
    KW_CHECK(e.size() <= tlog::kMaxEntryBytes);
    AddRecordHash(tlog::LeafHash(e));
  }
  Status st = WriteEntryBundles(old_size, entries);
  if (st.ok()) st = WriteHashTiles(old_size, size());
  if (!st.ok()) poisoned_ = st.WithContext("log storage failed (restart to recover from disk)");
  return st;
}

Status TileStorage::PublishCheckpoint(uint64_t tree_size, std::string note) {
  RETURN_IF_ERROR(poisoned_);
  KW_CHECK(tree_size <= size() && tree_size >= published_size_);
  Status st = WriteFileDurably(dir_ / "checkpoint", AsBytes(note));
  if (!st.ok()) {
    poisoned_ = st.WithContext("log storage failed (restart to recover from disk)");
    return st;
  }
  published_size_ = tree_size;
  published_note_ = std::move(note);
  DeleteSuperseded();
  return Status::Ok();
}

void TileStorage::DeleteSuperseded() {
  std::error_code ec;
  for (const auto& p : superseded_prev_) std::filesystem::remove(p, ec);
  superseded_prev_ = std::move(superseded_now_);
  superseded_now_.clear();
}

StatusOr<tlog::Hash> TileStorage::TreeHash(uint64_t tree_size) const {
  if (tree_size > size()) return InvalidArgument("tree size beyond the log");
  return tlog::TreeHash(tree_size, hashes_.store);
}

StatusOr<std::vector<tlog::Hash>> TileStorage::InclusionProof(uint64_t index, uint64_t tree_size) const {
  if (tree_size > size()) return InvalidArgument("tree size beyond the log");
  return tlog::InclusionProof(index, tree_size, hashes_.store);
}

StatusOr<std::vector<tlog::Hash>> TileStorage::ConsistencyProof(uint64_t old_size,
                                                                uint64_t new_size) const {
  if (new_size > size()) return InvalidArgument("tree size beyond the log");
  return tlog::ConsistencyProof(old_size, new_size, hashes_.store);
}

}  // namespace keyward::log
