#include "log/sequencer.h"

#include <unordered_map>

#include <spdlog/spdlog.h>

#include "tlog/checkpoint.h"
#include "tlog/proof_file.h"

namespace keyward::log {

Sequencer::Sequencer(TileStorage* storage, std::shared_ptr<const tlog::NoteSigner> signer, std::string origin,
                     std::unique_ptr<WitnessCollector> witnesses, SequencerOptions options)
    : storage_(storage),
      signer_(std::move(signer)),
      origin_(std::move(origin)),
      witnesses_(std::move(witnesses)),
      options_(options) {}

Sequencer::~Sequencer() { Stop(); }

Status Sequencer::Start() {
  RETURN_IF_ERROR(Commit({}, storage_->published_note().empty()));
  RETURN_IF_ERROR(storage_->Flush());
  {
    std::lock_guard<std::mutex> l(mu_);
    checkpoint_ = storage_->published_note();
    stats_.tree_size = storage_->published_size();
  }
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void Sequencer::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::future<StatusOr<AddOutcome>> Sequencer::Add(Bytes entry) {
  Pending p;
  p.entry = std::move(entry);
  auto fut = p.done.get_future();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) {
      p.done.set_value(Unavailable("the log is shutting down; retry against another instance or later"));
      return fut;
    }
    if (queue_.size() >= options_.max_pending) {
      p.done.set_value(ResourceExhausted("the log's queue is full (" + std::to_string(queue_.size()) +
                                         " entries); retry after a short delay"));
      return fut;
    }
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
  return fut;
}

std::string Sequencer::checkpoint() const {
  std::lock_guard<std::mutex> l(mu_);
  return checkpoint_;
}

SequencerStats Sequencer::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

void Sequencer::Run() {
  auto last_flush = std::chrono::steady_clock::now();
  for (;;) {
    std::vector<Pending> batch;
    bool stopping;
    {
      std::unique_lock<std::mutex> l(mu_);
      bool woke = cv_.wait_for(l, options_.republish_interval, [&] { return stopping_ || !queue_.empty(); });
      if (woke && !queue_.empty() && !stopping_ && options_.batch_delay.count() > 0 &&
          queue_.size() < options_.max_batch) {
        cv_.wait_for(l, options_.batch_delay, [&] { return stopping_ || queue_.size() >= options_.max_batch; });
      }
      stopping = stopping_;
      size_t n = std::min(queue_.size(), options_.max_batch);
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!batch.empty()) {
      ProcessBatch(std::move(batch));
    } else if (storage_->size() > storage_->published_size()) {
      Status st = Commit({}, false);  // retry publishing records a failed batch left behind
      if (!st.ok()) spdlog::warn("event=republish_failed error=\"{}\"", st.ToString());
    }
    auto now = std::chrono::steady_clock::now();
    bool drained = false;
    if (stopping) {
      std::lock_guard<std::mutex> l(mu_);
      drained = queue_.empty();
    }
    if (drained || now - last_flush >= options_.flush_interval) {
      Status st = storage_->Flush();  // tiles durable, then DIR/checkpoint
      if (!st.ok()) spdlog::error("event=flush_failed error=\"{}\"", st.ToString());
      last_flush = now;
    }
    if (drained) return;
  }
}

Status Sequencer::Commit(std::span<const Bytes> fresh, bool force) {
  if (!force && fresh.empty() && storage_->size() == storage_->published_size()) return Status::Ok();
  Status st = storage_->Commit(fresh, [this](uint64_t size) -> StatusOr<std::string> {
    tlog::Checkpoint cp;
    cp.origin = origin_;
    cp.size = size;
    ASSIGN_OR_RETURN(cp.root, storage_->TreeHash(size));
    ASSIGN_OR_RETURN(std::string note, tlog::SignCheckpoint(cp, *signer_));
    if (witnesses_) {
      std::string body = tlog::FormatCheckpoint(cp);
      auto lines = witnesses_->Collect(note, body, size, [this](uint64_t o, uint64_t n) {
        return storage_->ConsistencyProof(o, n);
      });
      if (!lines.ok()) return lines.status();
      note += *lines;
    }
    return note;
  });
  std::lock_guard<std::mutex> l(mu_);
  if (st.ok()) {
    checkpoint_ = storage_->published_note();
    stats_.checkpoints++;
    stats_.tree_size = storage_->published_size();
  }
  return st;
}

void Sequencer::ProcessBatch(std::vector<Pending> batch) {
  std::vector<uint64_t> index(batch.size());
  std::vector<bool> dup(batch.size(), false);
  std::vector<Bytes> fresh;
  std::unordered_map<tlog::Hash, uint64_t, HashKey> in_batch;
  uint64_t next = storage_->size();
  for (size_t i = 0; i < batch.size(); ++i) {
    tlog::Hash h = tlog::LeafHash(batch[i].entry);
    if (auto found = storage_->Find(h)) {
      index[i] = *found;
      dup[i] = true;
    } else if (auto it = in_batch.find(h); it != in_batch.end()) {
      index[i] = it->second;
      dup[i] = true;
    } else {
      index[i] = next++;
      in_batch.emplace(h, index[i]);
      fresh.push_back(std::move(batch[i].entry));
    }
  }
  Status st = Commit(fresh, false);
  {
    // Counted before any submitter is answered: a client that scrapes the metrics right after its
    // answer must see its batch.
    std::lock_guard<std::mutex> l(mu_);
    stats_.batches++;
    stats_.adds += fresh.size();
    stats_.duplicates += batch.size() - fresh.size();
    if (!st.ok()) stats_.publish_failures++;
  }
  uint64_t size = storage_->published_size();
  std::string note = storage_->published_note();
  size_t ok = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (index[i] >= size) {
      batch[i].done.set_value(st.ok() ? Internal("entry not covered by the checkpoint") :
                              Unavailable("the entry is stored but could not be published yet (" +
                                          st.message() + "); retry the same request"));
      continue;
    }
    auto proof = storage_->InclusionProof(index[i], size);
    if (!proof.ok()) {
      batch[i].done.set_value(proof.status());
      continue;
    }
    tlog::TlogProof tp;
    tp.index = index[i];
    tp.inclusion = std::move(*proof);
    tp.checkpoint = note;
    AddOutcome out{index[i], dup[i], tlog::FormatTlogProof(tp)};
    batch[i].done.set_value(std::move(out));
    ++ok;
  }
  if (!st.ok()) spdlog::error("event=batch_failed entries={} error=\"{}\"", batch.size(), st.ToString());
}

}  // namespace keyward::log
