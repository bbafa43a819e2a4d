// Sequencer: the log's single integrator thread. POST /add handlers enqueue entries; the thread
// takes everything queued (up to max_batch) as one batch, deduplicates it against the log and
// within itself, appends it to TileStorage (entry bundles, then hash tiles, durably), signs ONE
// checkpoint, collects witness cosignatures when a policy is configured, makes entries and
// checkpoint durable in one WAL write (TileStorage::Commit), and only then completes every request of the batch with a C2SP tlog-proof under that
// checkpoint. So an acknowledged entry is always in a durable, published checkpoint (group commit:
// while one batch is being made durable, the next one accumulates).
//
// If publishing fails (witness quorum not reached, disk error) the batch's requests fail with
// Unavailable; their records stay in storage and are published by the next successful checkpoint
// (a client retry is deduplicated to the same index). Unpublished records are retried at least once
// per `republish_interval` even without new adds.
//
// Thread-safety: Add(), checkpoint() and stats() are thread-safe; Start()/Stop() from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <span>
#include <thread>

#include "common/bytes.h"
#include "common/status.h"
#include "log/tile_storage.h"
#include "log/witness_client.h"
#include "tlog/note.h"

namespace keyward::log {

struct SequencerOptions {
  size_t max_batch = 8192;    // entries per integration
  size_t max_pending = 65536; // queued entries beyond which Add fails with ResourceExhausted
  std::chrono::milliseconds batch_delay{0};  // extra wait to let a batch grow (0: group commit only)
  std::chrono::milliseconds republish_interval{1000};
  // How often tiles are fsynced and DIR/checkpoint (the static-server view) is rewritten.
  std::chrono::milliseconds flush_interval{1000};
};

struct AddOutcome {
  uint64_t index = 0;
  bool duplicate = false;
  std::string proof;  // C2SP tlog-proof text
};

struct SequencerStats {
  uint64_t adds = 0;
  uint64_t duplicates = 0;
  uint64_t batches = 0;
  uint64_t checkpoints = 0;
  uint64_t publish_failures = 0;
  uint64_t tree_size = 0;
};

class Sequencer {
 public:
  // `storage` must outlive the Sequencer. `witnesses` may be null (no witnessing).
  Sequencer(TileStorage* storage, std::shared_ptr<const tlog::NoteSigner> signer, std::string origin,
            std::unique_ptr<WitnessCollector> witnesses, SequencerOptions options);
  ~Sequencer();

  // Publishes a checkpoint if none exists or records are unpublished, then starts the thread.
  Status Start();
  // The result is ready once the entry is in a durable published checkpoint, or failed.
  std::future<StatusOr<AddOutcome>> Add(Bytes entry);
  // Stops accepting, integrates what is queued, publishes, joins the thread.
  void Stop();

  std::string checkpoint() const;  // latest published note
  SequencerStats stats() const;

 private:
  struct Pending {
    Bytes entry;
    std::promise<StatusOr<AddOutcome>> done;
  };
  void Run();
  void ProcessBatch(std::vector<Pending> batch);
  // Commits `fresh` (possibly none) with a new checkpoint; force: even if nothing changed.
  Status Commit(std::span<const Bytes> fresh, bool force);

  TileStorage* storage_;
  std::shared_ptr<const tlog::NoteSigner> signer_;
  std::string origin_;
  std::unique_ptr<WitnessCollector> witnesses_;
  SequencerOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  std::string checkpoint_;     // guarded by mu_
  SequencerStats stats_;       // guarded by mu_
  std::thread thread_;
};

}  // namespace keyward::log
