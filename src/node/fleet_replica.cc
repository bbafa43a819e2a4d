#include "node/fleet_replica.h"

#include <spdlog/spdlog.h>

#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::node {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxBatchCommands = 4096;

}  // namespace

// ------------------------------------------------------------------------------ BatchStateMachine

Bytes BatchStateMachine::EncodeBatch(const std::vector<Bytes>& commands) {
  size_t total = 2;
  for (const Bytes& c : commands) total += 4 + c.size();
  wire::Writer w(total);
  w.U16(static_cast<uint16_t>(commands.size()));
  for (const Bytes& c : commands) w.U32Prefixed(c);
  return w.Take();
}

// Grammar: fleet_replica.h (batch).
Bytes BatchStateMachine::Apply(uint64_t index, ByteSpan command) {
  wire::Reader r(command);
  uint16_t count = 0;
  std::vector<std::span<const uint8_t>> commands;
  if (!r.U16(&count) || count == 0 || count > kMaxBatchCommands) return {};
  commands.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    std::span<const uint8_t> c;
    if (!r.U32Prefixed(&c)) return {};
    commands.push_back(c);
  }
  if (!r.Finish()) return {};
  wire::Writer w(2 + count * 40);
  w.U16(count);
  std::unique_lock lock(mu_);
  for (size_t i = 0; i < commands.size(); ++i) {
    core::ApplyResult result = core_.ApplySerialized(commands[i]);
    if (after_apply_) after_apply_(index, command, i, result);
    w.U8Prefixed(core::SerializeApplyResult(result));
  }
  return w.Take();
}

Bytes BatchStateMachine::Snapshot() const {
  std::shared_lock lock(mu_);
  return core_.Snapshot();
}

Status BatchStateMachine::Restore(ByteSpan snapshot) {
  std::unique_lock lock(mu_);
  return core_.Restore(snapshot);
}

// Grammar: fleet_replica.h (result).
StatusOr<std::vector<core::ApplyResult>> BatchStateMachine::DecodeResults(ByteSpan bytes) {
  wire::Reader r(bytes);
  uint16_t count = 0;
  if (!r.U16(&count)) return InvalidArgument("batch result: truncated");
  std::vector<core::ApplyResult> out;
  out.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    std::span<const uint8_t> one;
    if (!r.U8Prefixed(&one)) return InvalidArgument("batch result: truncated");
    ASSIGN_OR_RETURN(core::ApplyResult a, core::ParseApplyResult(one));
    out.push_back(a);
  }
  if (!r.Finish()) return InvalidArgument("batch result: trailing bytes");
  return out;
}

// ------------------------------------------------------------------------------ FleetReplica

FleetReplica::FleetReplica(FleetReplicaOptions options, raft::KxKeyPair identity, core::VaultCore& core,
                           std::shared_mutex& core_mu, SendFn send)
    : opt_(std::move(options)), core_(core), send_(std::move(send)), sm_(core, core_mu) {
  raft::RaftOptions ro;
  ro.id = opt_.id;
  for (const auto& [id, pk] : opt_.manifest) ro.manifest.push_back(id);
  ro.election_timeout_min_ticks = opt_.election_timeout_min_ticks;
  ro.election_timeout_max_ticks = opt_.election_timeout_max_ticks;
  ro.heartbeat_ticks = opt_.heartbeat_ticks;
  ro.max_entries_per_append = 64;
  ro.max_inflight_appends = 8;
  ro.snapshot_threshold = 1024;
  ro.min_voters = opt_.min_voters != 0 ? opt_.min_voters : static_cast<uint32_t>(opt_.manifest.size() / 2 + 1);
  ro.remove_silent_after_ticks = opt_.remove_silent_after_ticks;
  raft_ = std::make_unique<raft::Raft>(ro, rng_, sm_, opt_.founder ? raft::Raft::Boot::kFounder
                                                                   : raft::Raft::Boot::kJoiner);
  channel_ = std::make_unique<raft::PeerChannel>(opt_.id, std::move(identity), opt_.manifest, rng_);
  sm_.set_after_apply([this](uint64_t index, ByteSpan batch, size_t position, const core::ApplyResult& r) {
    AfterApply(index, batch, position, r);
  });
  PublishInfo();
}

FleetReplica::~FleetReplica() { Stop(); }

void FleetReplica::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void FleetReplica::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Status gone = Unavailable("the node is shutting down; retry on another node");
  for (auto& [index, p] : pending_) FailAll(p.subs, gone);
  pending_.clear();
  std::vector<FleetSubmission> left;
  {
    std::lock_guard lock(mu_);
    left.swap(submissions_);
  }
  FailAll(left, gone);
}

void FleetReplica::Deliver(Bytes envelope) {
  {
    std::lock_guard lock(mu_);
    if (inbox_.size() > 100000) return;  // a flooding host: drop (Raft retransmits)
    inbox_.push_back(std::move(envelope));
  }
  cv_.notify_one();
}

void FleetReplica::Deliver(std::vector<Bytes> envelopes) {
  if (envelopes.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (inbox_.size() > 100000) return;  // a flooding host: drop (Raft retransmits)
    for (Bytes& e : envelopes) inbox_.push_back(std::move(e));
  }
  cv_.notify_one();
}

void FleetReplica::Submit(FleetSubmission submission) {
  {
    std::unique_lock lock(mu_);
    if (!stop_) {
      if (submissions_.empty()) submissions_since_ = Clock::now();
      submissions_.push_back(std::move(submission));
      bool wake = wake_on_submit_ || submissions_.size() >= opt_.max_batch;
      lock.unlock();
      if (wake) cv_.notify_one();
      return;
    }
  }
  submission.failed(Unavailable("the node is shutting down; retry on another node"));
}

Status FleetReplica::RunOnLoop(CoreFn fn, std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> result = done->get_future();
  {
    std::lock_guard lock(mu_);
    if (stop_) return Unavailable("the node is shutting down; retry on another node");
    controls_.emplace_back(std::move(fn), done);
  }
  cv_.notify_one();
  if (result.wait_for(timeout) != std::future_status::ready) {
    return Unavailable("the fleet member did not run the membership operation in time; retry");
  }
  return result.get();
}

FleetInfo FleetReplica::info() const {
  std::lock_guard lock(mu_);
  return info_;
}

void FleetReplica::FailAll(std::vector<FleetSubmission>& subs, const Status& status) {
  for (auto& s : subs) s.failed(status);
  subs.clear();
}

void FleetReplica::PublishInfo() {
  FleetInfo i;
  i.role = raft_->role();
  i.term = raft_->term();
  i.leader = raft_->leader();
  i.commit_index = raft_->commit_index();
  i.applied_index = raft_->applied_index();
  i.voters = static_cast<uint32_t>(raft_->config().VoterCount());
  i.self_voter = raft_->IsSelfVoter();
  i.incarnation = raft_->incarnation();
  i.entries_proposed = entries_proposed_;
  i.commands_proposed = commands_proposed_;
  i.ready_leader = i.role == raft::Role::kLeader && raft_->log().TermAt(i.applied_index) == i.term;
  std::lock_guard lock(mu_);
  info_ = i;
}

void FleetReplica::Loop() {
  auto next_tick = Clock::now() + opt_.tick;
  std::vector<Bytes> inbox;
  std::vector<FleetSubmission> batch;  // held back until ProposeAt (group commit)
  Clock::time_point batch_since;       // when the oldest command of `batch` arrived
  std::vector<std::pair<CoreFn, std::shared_ptr<std::promise<Status>>>> controls;
  while (true) {
    {
      std::unique_lock lock(mu_);
      // New commands wake the loop only if it holds none and could propose one now; otherwise the
      // commit that frees a slot (an acknowledgement in the inbox), the end of the batching window
      // or the next tick does.
      wake_on_submit_ = batch.empty() && ProposeAt(1, Clock::now()) != Clock::time_point::max();
      Clock::time_point until = next_tick;
      // (not before batch_since: no extreme time_point reaches the wait)
      if (!batch.empty()) until = std::min(until, std::max(ProposeAt(batch.size(), batch_since), batch_since));
      cv_.wait_until(lock, until, [&] {
        return stop_ || !inbox_.empty() || !controls_.empty() ||
               (!submissions_.empty() && (wake_on_submit_ || submissions_.size() >= opt_.max_batch));
      });
      wake_on_submit_ = false;
      if (stop_) {
        for (auto& [fn, done] : controls_) done->set_value(Unavailable("the node is shutting down"));
        controls_.clear();
        lock.unlock();
        FailAll(batch, Unavailable("the node is shutting down; retry on another node"));
        return;
      }
      inbox.swap(inbox_);
      if (batch.empty()) {
        batch.swap(submissions_);
        batch_since = submissions_since_;
      } else {
        for (FleetSubmission& s : submissions_) batch.push_back(std::move(s));
        submissions_.clear();
      }
      controls.swap(controls_);
    }
    for (auto& [fn, done] : controls) done->set_value(fn(*raft_, *channel_));
    controls.clear();
    for (Bytes& env : inbox) {
      StatusOr<raft::PeerChannel::Opened> opened = channel_->Open(env);
      if (!opened.ok()) {
        spdlog::debug("event=peer_envelope_refused reason=\"{}\"", opened.status().message());
        continue;
      }
      if (opened->hello) continue;
      Status st = raft_->Receive(opened->from, opened->plaintext);
      if (!st.ok()) spdlog::debug("event=raft_refused from={} reason=\"{}\"", opened->from, st.message());
    }
    inbox.clear();
    auto now = Clock::now();
    while (now >= next_tick) {
      raft_->Tick();
      next_tick += opt_.tick;
      if (now - next_tick > std::chrono::seconds(1)) next_tick = now + opt_.tick;  // host was stopped
    }
    if (!batch.empty() && ProposeAt(batch.size(), batch_since) <= Clock::now()) ProposeBatch(batch);
    Flush();
    // Time out entries that never committed (leadership lost while they were in flight).
    if (!pending_.empty()) {
      auto t = Clock::now();
      for (auto it = pending_.begin(); it != pending_.end();) {
        if (t < it->second.deadline) break;
        if (!it->second.applied) FailAll(it->second.subs, Unavailable("the command did not commit in time; retry"));
        it = pending_.erase(it);
      }
    }
    PublishInfo();
  }
}

Clock::time_point FleetReplica::ProposeAt(size_t waiting, Clock::time_point since) const {
  // A full batch goes at once; so do a non-leader's commands, which ProposeBatch fails (the caller
  // retries elsewhere).
  if (waiting >= opt_.max_batch || raft_->role() != raft::Role::kLeader) return Clock::time_point::min();
  if (opt_.max_inflight_entries != 0) {
    size_t inflight = 0;
    for (const auto& [index, entry] : pending_) {
      if (!entry.applied) ++inflight;
    }
    if (inflight >= opt_.max_inflight_entries) return Clock::time_point::max();
  }
  return opt_.batch_window.count() == 0 ? Clock::time_point::min() : since + opt_.batch_window;
}

void FleetReplica::ProposeBatch(std::vector<FleetSubmission>& batch) {
  bool ready = raft_->role() == raft::Role::kLeader &&
               raft_->log().TermAt(raft_->applied_index()) == raft_->term();
  if (!ready) {
    FailAll(batch, Unavailable("this node is not the fleet leader (leader: " + std::to_string(raft_->leader()) +
                               "); retry"));
    return;
  }
  for (size_t start = 0; start < batch.size(); start += opt_.max_batch) {
    size_t end = std::min(batch.size(), start + opt_.max_batch);
    std::vector<Bytes> commands;
    commands.reserve(end - start);
    PendingEntry entry;
    for (size_t i = start; i < end; ++i) {
      commands.push_back(std::move(batch[i].command));
      entry.subs.push_back(std::move(batch[i]));
    }
    entry.deadline = Clock::now() + opt_.commit_timeout;
    entry.batch = BatchStateMachine::EncodeBatch(commands);
    StatusOr<uint64_t> index = raft_->Propose(entry.batch);
    if (!index.ok()) {
      FailAll(entry.subs, Unavailable("the leader cannot take more commands now (" + index.status().message() +
                                      "); retry"));
      continue;
    }
    ++entries_proposed_;
    commands_proposed_ += entry.subs.size();
    pending_[*index] = std::move(entry);
  }
  batch.clear();
}

void FleetReplica::AfterApply(uint64_t index, ByteSpan batch, size_t position, const core::ApplyResult& result) {
  // Entries of ours below this index were overwritten by another leader's.
  while (!pending_.empty() && pending_.begin()->first < index) {
    if (!pending_.begin()->second.applied) {
      FailAll(pending_.begin()->second.subs, Unavailable("leadership changed before the command committed; retry"));
    }
    pending_.erase(pending_.begin());
  }
  auto it = pending_.find(index);
  if (it == pending_.end()) return;
  PendingEntry& e = it->second;
  if (e.batch.size() != batch.size() || !std::equal(batch.begin(), batch.end(), e.batch.begin())) {
    FailAll(e.subs, Unavailable("leadership changed before the command committed; retry"));
    pending_.erase(it);
    return;
  }
  if (position < e.subs.size()) e.subs[position].applied(result);
  e.applied = true;
}

void FleetReplica::Flush() {
  for (raft::Message& m : raft_->TakeOutbox()) {
    send_(m.to, channel_->Seal(m.to, raft::EncodeMessage(m)));
  }
  for (auto& [to, env] : channel_->TakeControl()) send_(to, std::move(env));
  HandleEffects();
}

void FleetReplica::HandleEffects() {
  for (raft::Effect& fx : raft_->TakeEffects()) {
    if (fx.kind != raft::Effect::Kind::kApplied) continue;
    // Everything of ours at or below a committed index has been applied or was overwritten.
    while (!pending_.empty() && pending_.begin()->first <= fx.index) {
      if (!pending_.begin()->second.applied) {
        FailAll(pending_.begin()->second.subs, Unavailable("leadership changed before the command committed; retry"));
      }
      pending_.erase(pending_.begin());
    }
  }
}

}  // namespace keyward::node
