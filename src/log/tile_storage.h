// TileStorage: the log's durable state under one directory, laid out exactly as the C2SP
// tlog-tiles read API serves it, so any static web server, object store or CDN can serve DIR:
//
//   DIR/checkpoint                      the latest published (cosigned) checkpoint note
//   DIR/tile/<L>/<N>[.p/<W>]            hash tiles
//   DIR/tile/entries/<N>[.p/<W>]        entry bundles
//   DIR/.tmp-*  (and in subdirectories) temporaries of interrupted writes, removed at Open
//
// Durability (docs/log.md "fsync order"): Append() writes the new entry bundles, fsyncs them and
// their directories, then the new hash tiles likewise; PublishCheckpoint() is called only after
// that and writes the checkpoint last (temp + fsync + rename + fsync DIR). So a crash never
// publishes a checkpoint whose tiles are not on disk. Every file is written by atomic rename, so a
// reader never sees a torn tile.
//
// Recovery (Open): the entry bundles are the source of truth. Open reads full bundles 0,1,2,... and
// then the widest partial bundle after them, recomputes every hash, checks that the published
// checkpoint is a prefix of what it read (same root), and rewrites the hash tiles for records that a
// crash left without them. Records found beyond the published checkpoint (a batch that was written
// but not yet published when the process died) are kept: they get published by the next checkpoint,
// and a client that retries gets the same index back (deduplication).
//
// Memory: all stored hashes (~64 bytes per record) and a leaf-hash → index map are kept in memory;
// see docs/log.md "Scaling path".
//
// Thread-safety: NOT thread-safe; one writer (the integrator thread) owns it. Proof functions are
// const and may run concurrently with each other but not with Append.
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
  // Size of the last published checkpoint, and its note text ("" if none yet).
  uint64_t published_size() const { return published_size_; }
  const std::string& published_note() const { return published_note_; }

  // Index of a stored record with this leaf hash.
  std::optional<uint64_t> Find(const tlog::Hash& leaf_hash) const;

  // Appends records (each ≤ tlog::kMaxEntryBytes) and writes their entry bundles and hash tiles
  // durably, in that order. On an I/O error the storage is poisoned: this and every later
  // mutating call fail (restart the daemon; recovery re-reads the bundles from disk). Files already
  // renamed into place are harmless.
  Status Append(std::span<const Bytes> entries);

  // Durably publishes `note` (a checkpoint for `size` records, size <= size()), last.
  Status PublishCheckpoint(uint64_t size, std::string note);

  StatusOr<tlog::Hash> TreeHash(uint64_t tree_size) const;
  StatusOr<std::vector<tlog::Hash>> InclusionProof(uint64_t index, uint64_t tree_size) const;
  StatusOr<std::vector<tlog::Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  explicit TileStorage(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Status Recover(const CheckpointParser& parse_checkpoint);
  StatusOr<bool> LoadBundles();
  Status WriteHashTiles(uint64_t old_size, uint64_t new_size);
  Status WriteEntryBundles(uint64_t old_size, std::span<const Bytes> entries);
  void AddRecordHash(const tlog::Hash& leaf_hash);
  void DeleteSuperseded();

  std::filesystem::path dir_;
  struct Hashes {
    tlog::MemoryHashStore store;
    std::unordered_map<tlog::Hash, uint64_t, HashKey> index;
    uint64_t size() const { return store.size(); }
  } hashes_;
  std::vector<Bytes> tail_entries_;  // records of the last, incomplete entry bundle
  uint64_t published_size_ = 0;
  std::string published_note_;
  Status poisoned_;  // first I/O error of a mutating call
  // Partial tiles replaced by wider ones: deleted one publication later, so that clients holding
  // the previous checkpoint can still fetch them (C2SP tlog-tiles lets logs delete partial tiles).
  std::vector<std::filesystem::path> superseded_now_;
  std::vector<std::filesystem::path> superseded_prev_;
};

}  // namespace keyward::log
