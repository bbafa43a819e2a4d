// TileStorage: the log's durable state under one directory, laid out exactly as the C2SP
// tlog-tiles read API serves it, so any static web server, object store or CDN can serve DIR:
//
//   DIR/checkpoint                      the latest checkpoint whose tiles are all fsynced
//   DIR/tile/<L>/<N>[.p/<W>]            hash tiles
//   DIR/tile/entries/<N>[.p/<W>]        entry bundles
//   DIR/.wal                            write-ahead log of the batches since DIR/checkpoint
//   .tmp-* files                        temporaries of interrupted writes, removed at Open
//
// Durability (docs/log.md "Files on disk and fsync order"). Commit() is ONE durable step per batch:
// it appends one record {first index, entries, signed checkpoint note} to DIR/.wal and fdatasyncs
// it; only then are the batch's entry bundles and hash tiles written (temp + rename, no fsync) and
// the checkpoint served. So an acknowledged entry and every checkpoint ever served are in the WAL,
// and the tiles they reference can always be regenerated from it. Flush() (about once a second and
// at shutdown) makes the tiles themselves durable (fsync of each tile the new DIR/checkpoint adds,
// and of their directories), then writes DIR/checkpoint (temp +
// fsync + rename + fsync DIR) LAST, then empties the WAL. So DIR/checkpoint — what a static server
// publishes — never references a tile that is not on disk. Every file appears by atomic rename:
// no reader ever sees a torn tile.
//
// Recovery (Open): read DIR/checkpoint (size S), read records [0, S) from the entry bundles (synced
// before that checkpoint was written), check the root, then replay the WAL (a torn final record —
// a batch that was never acknowledged — is ignored), rewrite the tiles of the replayed records, and
// Flush(). Records stored without a checkpoint (a batch whose witnesses did not answer) are kept
// and published by the next checkpoint; a client retry is deduplicated to the same index.
//
// Memory: all stored hashes (~64 bytes per record) and a leaf-hash → index map are kept in memory;
// see docs/log.md "Scaling path".
//
// Thread-safety: NOT thread-safe; one writer (the integrator thread) owns it. Proof functions are
// const and may run concurrently with each other but not with Commit.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "tlog/merkle.h"
#include "tlog/tiles.h"

namespace keyward::log {

struct HashKey {
  size_t operator()(const tlog::Hash& h) const {
    size_t v;
    static_assert(sizeof v <= sizeof h);
    std::memcpy(&v, h.data(), sizeof v);
    return v;
  }
};

class TileStorage {
 public:
  // Opens (creating if needed) the log directory and recovers its state. `verify_checkpoint`
  // parses the published checkpoint note and returns its (size, root); the caller checks its
  // signature with the log's own key.
  struct PublishedTree {
    uint64_t size = 0;
    tlog::Hash root{};
  };
  using CheckpointParser = std::function<StatusOr<PublishedTree>(std::string_view note)>;
  static StatusOr<std::unique_ptr<TileStorage>> Open(const std::filesystem::path& dir,
                                                     const CheckpointParser& parse_checkpoint);

  // Number of records stored durably (>= the published checkpoint's size).
  uint64_t size() const { return hashes_.size(); }
  // Size of the last published (served) checkpoint, and its note text ("" if none yet).
  uint64_t published_size() const { return published_size_; }
  const std::string& published_note() const { return published_note_; }

  // Index of a stored record with this leaf hash.
  std::optional<uint64_t> Find(const tlog::Hash& leaf_hash) const;

  // Produces the signed (and cosigned) checkpoint note for the tree of `size` records, or an
  // error if it cannot (e.g. witness quorum not reached).
  using NoteMaker = std::function<StatusOr<std::string>(uint64_t size)>;

  // Appends records (each ≤ tlog::kMaxEntryBytes, possibly none), asks `make_note` for the
  // checkpoint of the new size, and makes both durable in one WAL record; then writes the tiles and
  // publishes the note. If make_note fails, the records are still stored (durably) but not
  // published, and its error is returned. On an I/O error the storage is poisoned: this and every
  // later mutating call fail (restart the daemon; recovery replays the WAL).
  Status Commit(std::span<const Bytes> entries, const NoteMaker& make_note);

  // Makes the tiles durable, writes DIR/checkpoint, empties the WAL, deletes old partial tiles.
  // Cheap when nothing changed since the last call.
  Status Flush();

  StatusOr<tlog::Hash> TreeHash(uint64_t tree_size) const;
  StatusOr<std::vector<tlog::Hash>> InclusionProof(uint64_t index, uint64_t tree_size) const;
  StatusOr<std::vector<tlog::Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  explicit TileStorage(std::filesystem::path dir) : dir_(std::move(dir)) {}
 public:
  ~TileStorage();
  TileStorage(const TileStorage&) = delete;
  TileStorage& operator=(const TileStorage&) = delete;

 private:
  Status Recover(const CheckpointParser& parse_checkpoint);
  Status LoadBundles(uint64_t count);
  Status ReplayWal(const CheckpointParser& parse_checkpoint, uint64_t* valid_bytes);
  Status WriteWalRecord(uint64_t first_index, std::span<const Bytes> entries, std::string_view note);
  Status WriteHashTiles(uint64_t old_size, uint64_t new_size);
  Status WriteEntryBundles(uint64_t old_size, std::span<const Bytes> entries);
  Status WriteTiles(uint64_t old_size, std::span<const Bytes> entries);
  Status SyncPublishedTiles();
  void AddRecordHash(const tlog::Hash& leaf_hash);

  std::filesystem::path dir_;
  struct Hashes {
    tlog::MemoryHashStore store;
    std::unordered_map<tlog::Hash, uint64_t, HashKey> index;
    uint64_t size() const { return store.size(); }
  } hashes_;
  std::vector<Bytes> tail_entries_;  // records of the last, incomplete entry bundle
  uint64_t published_size_ = 0;
  std::string published_note_;
  uint64_t flushed_size_ = 0;     // size of DIR/checkpoint
  std::string flushed_note_;
  bool dirty_ = false;            // tiles or WAL written since the last Flush
  int wal_fd_ = -1;
  Status poisoned_;  // first I/O error of a mutating call
  // Partial tiles replaced by wider ones: deleted two flushes later, so that clients holding a
  // recent checkpoint can still fetch them (C2SP tlog-tiles lets logs delete partial tiles) and
  // recovery always finds the exact-width bundles of DIR/checkpoint.
  std::vector<std::filesystem::path> superseded_now_;
  std::vector<std::filesystem::path> superseded_prev_;
};

}  // namespace keyward::log
