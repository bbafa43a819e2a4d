#include "log/tile_storage.h"

#include <algorithm>
#include <set>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/hash.h"
#include "log/durable_file.h"
#include "wire/reader.h"
#include "wire/writer.h"

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

void RemoveTemporaries(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> doomed;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename().string().rfind(".tmp-", 0) == 0) doomed.push_back(it->path());
  }
  for (const auto& p : doomed) std::filesystem::remove(p, ec);
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

TileStorage::~TileStorage() {
  if (wal_fd_ >= 0) ::close(wal_fd_);
}

// Reads records [0, count) from the entry bundles. For the last, partial bundle of width w it
// prefers the exact file N.p/w (fsynced before DIR/checkpoint was written), then the full bundle or
// a wider partial one (their first w records are the same if they are intact; the root check after
// loading catches anything else).
Status TileStorage::LoadBundles(uint64_t count) {
  for (uint64_t n = 0; n * tlog::kTileWidth < count; ++n) {
    uint32_t w = static_cast<uint32_t>(std::min<uint64_t>(tlog::kTileWidth, count - n * tlog::kTileWidth));
    std::vector<uint32_t> candidates = {w};
    if (w < tlog::kTileWidth) {
      candidates.push_back(tlog::kTileWidth);
      for (uint32_t x = tlog::kTileWidth - 1; x > w; --x) candidates.push_back(x);
    }
    bool loaded = false;
    Status last = NotFound("missing");
    for (uint32_t c : candidates) {
      auto path = dir_ / tlog::TilePath(EntryTile(n, c));
      auto data = ReadFileBytes(path, kMaxBundleBytes);
      if (!data.ok()) {
        if (data.status().code() != ErrorCode::kNotFound) return data.status();
        continue;
      }
      auto entries = tlog::ParseEntryBundle(*data, c);
      if (!entries.ok()) {
        last = IoError("corrupt entry bundle " + path.string() + ": " + entries.status().message());
        continue;
      }
      entries->resize(w);
      for (const auto& e : *entries) AddRecordHash(tlog::LeafHash(e));
      if (w < tlog::kTileWidth) tail_entries_ = std::move(*entries);
      loaded = true;
      break;
    }
    if (!loaded) {
      return IoError("the checkpoint in " + dir_.string() + " commits to " + std::to_string(count) +
                     " records but entry bundle " + std::to_string(n) + " is missing or corrupt (" + last.message() +
                     "); the log directory was damaged or rolled back — restore from a backup");
    }
  }
  return Status::Ok();
}

// WAL record (this file's own format):
//   frame   = u32 payload-length ‖ payload ‖ SHA-256(payload)
//   payload = u64 first-index ‖ u32 count ‖ count × (u16 length ‖ entry) ‖ u32 length ‖ note
// A frame that is cut short or whose hash does not match ends the log (a torn, unacknowledged
// final write); anything after it is ignored.
Status TileStorage::WriteWalRecord(uint64_t first_index, std::span<const Bytes> entries, std::string_view note) {
  wire::Writer payload;
  payload.U64(first_index).U32(static_cast<uint32_t>(entries.size()));
  for (const auto& e : entries) payload.U16Prefixed(e);
  payload.U32Prefixed(AsBytes(note));
  wire::Writer frame(payload.bytes().size() + 40);
  frame.U32Prefixed(payload.bytes());
  auto digest = crypto::Sha256(payload.bytes());
  frame.Bytes(digest);
  ByteSpan data = frame.bytes();
  size_t off = 0;
  while (off < data.size()) {
    ssize_t k = ::write(wal_fd_, data.data() + off, data.size() - off);
    if (k < 0) {
      if (errno == EINTR) continue;
      return IoError(std::string("writing the WAL: ") + std::strerror(errno) + "; check disk space");
    }
    off += static_cast<size_t>(k);
  }
  if (::fdatasync(wal_fd_) != 0) return IoError(std::string("fdatasync of the WAL: ") + std::strerror(errno));
  return Status::Ok();
}

Status TileStorage::ReplayWal(const CheckpointParser& parse_checkpoint, uint64_t* valid_bytes) {
  *valid_bytes = 0;
  auto wal = ReadFileBytes(dir_ / ".wal", size_t{1} << 34);
  if (!wal.ok()) return wal.status().code() == ErrorCode::kNotFound ? Status::Ok() : wal.status();
  wire::Reader frames(*wal);
  while (!frames.empty()) {
    std::span<const uint8_t> payload;
    std::array<uint8_t, 32> digest;
    if (!frames.U32Prefixed(&payload) || !frames.Fixed(&digest) || crypto::Sha256(payload) != digest) break;
    *valid_bytes = wal->size() - frames.remaining();
    wire::Reader r(payload);
    uint64_t first = 0;
    uint32_t count = 0;
    std::vector<Bytes> entries;
    if (!r.U64(&first) || !r.U32(&count)) return IoError("malformed WAL record; restore from a backup");
    for (uint32_t i = 0; i < count; ++i) {
      std::span<const uint8_t> e;
      if (!r.U16Prefixed(&e)) return IoError("malformed WAL record; restore from a backup");
      entries.emplace_back(e.begin(), e.end());
    }
    std::span<const uint8_t> note;
    if (!r.U32Prefixed(&note) || !r.Finish()) return IoError("malformed WAL record; restore from a backup");
    // Already in the synced bundles (a record without entries publishes the size it starts at).
    if (count > 0 ? first + count <= size() : first < size()) continue;
    if (first != size()) {
      return IoError("WAL record starts at " + std::to_string(first) + " but the log has " + std::to_string(size()) +
                     " records; the log directory is damaged — restore from a backup");
    }
    uint64_t old_size = size();
    for (const auto& e : entries) AddRecordHash(tlog::LeafHash(e));
    RETURN_IF_ERROR(WriteTiles(old_size, entries));
    if (!note.empty()) {
      std::string text(AsChars(note));
      ASSIGN_OR_RETURN(PublishedTree tree, parse_checkpoint(text));
      ASSIGN_OR_RETURN(tlog::Hash root, TreeHash(tree.size));
      if (tree.size != size() || root != tree.root) {
        return IoError("a checkpoint in the WAL does not match its records; restore from a backup");
      }
      published_size_ = tree.size;
      published_note_ = std::move(text);
    }
  }
  return Status::Ok();
}

Status TileStorage::Recover(const CheckpointParser& parse_checkpoint) {
  RemoveTemporaries(dir_);
  auto note = ReadFileText(dir_ / "checkpoint", kMaxNoteFileBytes);
  if (note.ok()) {
    ASSIGN_OR_RETURN(PublishedTree tree, parse_checkpoint(*note));
    RETURN_IF_ERROR(LoadBundles(tree.size));
    ASSIGN_OR_RETURN(tlog::Hash root, TreeHash(tree.size));
    if (root != tree.root) {
      return IoError("the records on disk do not match the published checkpoint's root (size " +
                     std::to_string(tree.size) + "); the log directory is corrupt — restore from a backup");
    }
    published_size_ = flushed_size_ = tree.size;
    published_note_ = flushed_note_ = std::move(*note);
  } else if (note.status().code() != ErrorCode::kNotFound) {
    return note.status();
  }
  uint64_t valid_bytes = 0;
  RETURN_IF_ERROR(ReplayWal(parse_checkpoint, &valid_bytes));
  wal_fd_ = ::open((dir_ / ".wal").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (wal_fd_ < 0) return IoError("opening " + (dir_ / ".wal").string() + ": " + std::strerror(errno));
  // Cut a torn tail off, so that new records are not appended after bytes replay stops at.
  if (::ftruncate(wal_fd_, static_cast<off_t>(valid_bytes)) != 0 || ::fdatasync(wal_fd_) != 0) {
    return IoError("truncating the WAL's torn tail: " + std::string(std::strerror(errno)));
  }
  dirty_ = true;
  return Flush();
}

Status TileStorage::WriteEntryBundles(uint64_t old_size, std::span<const Bytes> entries) {
  std::vector<Bytes> cur = tail_entries_;
  size_t i = 0;
  uint64_t new_size = old_size + entries.size();
  for (uint64_t n = old_size / tlog::kTileWidth; n * tlog::kTileWidth < new_size; ++n) {
    while (cur.size() < tlog::kTileWidth && i < entries.size()) cur.push_back(entries[i++]);
    auto path = dir_ / tlog::TilePath(EntryTile(n, static_cast<uint32_t>(cur.size())));
    RETURN_IF_ERROR(WriteFileDurably(path, tlog::FormatEntryBundle(cur), {.sync_dir = false, .sync_file = false}));
    if (cur.size() == tlog::kTileWidth) cur.clear();
  }
  KW_CHECK(i == entries.size());
  if (old_size % tlog::kTileWidth != 0) {
    superseded_now_.push_back(dir_ / tlog::TilePath(EntryTile(
        old_size / tlog::kTileWidth, static_cast<uint32_t>(old_size % tlog::kTileWidth))));
  }
  tail_entries_ = std::move(cur);
  return Status::Ok();
}

Status TileStorage::WriteHashTiles(uint64_t old_size, uint64_t new_size) {
  for (const auto& tile : tlog::NewHashTiles(old_size, new_size)) {
    ASSIGN_OR_RETURN(Bytes data, tlog::ReadHashTileData(tile, hashes_.store));
    auto path = dir_ / tlog::TilePath(tile);
    RETURN_IF_ERROR(WriteFileDurably(path, data, {.sync_dir = false, .sync_file = false}));
  }
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

// Entry bundles first, then hash tiles (not fsynced here: the WAL holds the data; Flush syncs).
Status TileStorage::WriteTiles(uint64_t old_size, std::span<const Bytes> entries) {
  if (entries.empty()) return Status::Ok();
  RETURN_IF_ERROR(WriteEntryBundles(old_size, entries));
  return WriteHashTiles(old_size, old_size + entries.size());
}

Status TileStorage::Commit(std::span<const Bytes> entries, const NoteMaker& make_note) {
  RETURN_IF_ERROR(poisoned_);
  uint64_t old_size = size();
  for (const auto& e : entries) {
    KW_CHECK(e.size() <= tlog::kMaxEntryBytes);
    AddRecordHash(tlog::LeafHash(e));
  }
  auto note = make_note(size());
  std::string_view text = note.ok() ? std::string_view(*note) : std::string_view();
  Status st = Status::Ok();
  if (!entries.empty() || !text.empty()) st = WriteWalRecord(old_size, entries, text);
  if (st.ok()) st = WriteTiles(old_size, entries);
  if (!st.ok()) {
    poisoned_ = st.WithContext("log storage failed (restart to recover from disk)");
    return st;
  }
  dirty_ = true;
  if (!note.ok()) return note.status();
  published_size_ = size();
  published_note_ = std::move(*note);
  return Status::Ok();
}

// fsyncs exactly the tiles DIR/checkpoint will reference that were written since the last flush
// (entry bundles and hash tiles of [flushed_size_, published_size_) at their published widths) and
// every directory on their paths, instead of syncfs(2): on a shared filesystem syncfs also waits for
// everybody else's dirty data.
Status TileStorage::SyncPublishedTiles() {
  const uint64_t from = flushed_size_, to = published_size_;
  if (to <= from) return Status::Ok();
  std::vector<std::filesystem::path> files;
  for (uint64_t n = from / tlog::kTileWidth; n * tlog::kTileWidth < to; ++n) {
    uint32_t w = static_cast<uint32_t>(std::min<uint64_t>(tlog::kTileWidth, to - n * tlog::kTileWidth));
    files.push_back(dir_ / tlog::TilePath(EntryTile(n, w)));
  }
  for (const auto& t : tlog::NewHashTiles(from, to)) files.push_back(dir_ / tlog::TilePath(t));
  std::set<std::filesystem::path> dirs;
  const size_t root_len = dir_.native().size();
  for (const auto& f : files) {
    int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return IoError("opening " + f.string() + " to fsync it: " + std::strerror(errno));
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    if (rc != 0) return IoError("fsync of " + f.string() + ": " + std::strerror(saved));
    for (auto d = f.parent_path(); d.native().size() >= root_len && d != d.parent_path(); d = d.parent_path()) {
      if (!dirs.insert(d).second) break;  // its ancestors are in already
    }
  }
  for (const auto& d : dirs) RETURN_IF_ERROR(FsyncDir(d));
  return Status::Ok();
}

Status TileStorage::Flush() {
  RETURN_IF_ERROR(poisoned_);
  if (!dirty_) return Status::Ok();
  Status st = SyncPublishedTiles();
  if (st.ok() && published_note_ != flushed_note_) {
    st = WriteFileDurably(dir_ / "checkpoint", AsBytes(published_note_));
  }
  // Records after published_size_ (unpublished) stay in the WAL: keep it unless all is published.
  if (st.ok() && size() == published_size_ && ::ftruncate(wal_fd_, 0) != 0) {
    st = IoError(std::string("truncating the WAL: ") + std::strerror(errno));
  }
  if (st.ok() && ::fdatasync(wal_fd_) != 0) st = IoError(std::string("fdatasync of the WAL: ") + std::strerror(errno));
  if (!st.ok()) {
    poisoned_ = st.WithContext("log storage failed (restart to recover from disk)");
    return st;
  }
  flushed_size_ = published_size_;
  flushed_note_ = published_note_;
  dirty_ = size() != published_size_;
  std::error_code ec;
  for (const auto& p : superseded_prev_) std::filesystem::remove(p, ec);
  superseded_prev_ = std::move(superseded_now_);
  superseded_now_.clear();
  return Status::Ok();
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
