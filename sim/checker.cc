#include "sim/checker.h"

#include <algorithm>

#include "common/bytes.h"

namespace keyward::sim {
namespace {
std::string Str(uint64_t v) { return std::to_string(v); }
}  // namespace

std::string Checker::OnLeader(raft::NodeId id, uint64_t term) {
  auto [it, inserted] = leaders_.emplace(term, id);
  if (!inserted && it->second != id) {
    return "election safety: nodes " + Str(it->second) + " and " + Str(id) + " both led term " + Str(term);
  }
  return "";
}

std::string Checker::OnSnapshotBase(raft::NodeId id, uint64_t index, const raft::Hash& hash) {
  if (index == 0) return "";
  if (index > chain_.size()) return "node " + Str(id) + " installed a snapshot at uncommitted index " + Str(index);
  if (chain_[index - 1] != hash) return "node " + Str(id) + " snapshot hash differs at committed index " + Str(index);
  return "";
}

std::string Checker::OnApplied(raft::NodeId id, const raft::Effect& fx) {
  if (fx.index <= chain_.size()) {
    if (chain_[fx.index - 1] != fx.hash) {
      return "committed entry changed: node " + Str(id) + " applied index " + Str(fx.index) +
             " with hash " + HexEncode(fx.hash).substr(0, 16) + ", first seen " +
             HexEncode(chain_[fx.index - 1]).substr(0, 16);
    }
    if (fx.entry_type == raft::EntryType::kCommand && Result::Decode(fx.result) != oracle_results_[fx.index]) {
      return "node " + Str(id) + " computed a different result at index " + Str(fx.index);
    }
    return "";
  }
  if (fx.index != chain_.size() + 1) {
    return "node " + Str(id) + " applied index " + Str(fx.index) + " but only " + Str(chain_.size()) +
           " entries are known committed (gap)";
  }
  chain_.push_back(fx.hash);
  if (fx.entry_type != raft::EntryType::kCommand) return "";
  Bytes oracle_result = oracle_.Apply(fx.index, fx.command);
  Result r = Result::Decode(oracle_result);
  oracle_results_[fx.index] = r;
  if (oracle_result != fx.result) return "node " + Str(id) + " result differs from oracle at " + Str(fx.index);
  std::optional<Command> c = Command::Decode(fx.command);
  if (!c) return "";
  // A retry or replay of an applied (client, seq) is answered from the session table: the same
  // answer, not a new attempt, so only the first application is audited as a release.
  bool first = first_index_.emplace(std::make_pair(c->client, c->seq), fx.index).second;
  return Audit(fx.index, *c, r, first);
}

// The counter invariants, on the committed order.
std::string Checker::Audit(uint64_t index, const Command& c, const Result& r, bool first) {
  std::optional<UserRecord> now = oracle_.Read(c.user);
  auto& hist = user_history_[c.user];
  std::optional<UserRecord> before;
  if (!hist.empty()) before = hist.back().second;
  if (now) {
    if (now->attempts > now->max_attempts) return "attempts exceed max for user " + Str(c.user);
    if (before) {
      bool same = now->attempts == before->attempts;
      bool plus_one = now->attempts == before->attempts + 1 && r.code == Code::kAllowed;
      bool reset = now->attempts == 0 && r.code == Code::kOk && c.op == Op::kSuccess;
      if (!same && !plus_one && !reset) {
        return "attempt counter of user " + Str(c.user) + " moved from " + Str(before->attempts) + " to " +
               Str(now->attempts) + " at index " + Str(index);
      }
      if (before->locked && !now->locked) return "user " + Str(c.user) + " unlocked at index " + Str(index);
    }
    hist.emplace_back(index, *now);
  }
  if (first && c.op == Op::kAttempt && r.code == Code::kAllowed) {
    ++releases_;
    if (++releases_since_success_[c.user] > (now ? now->max_attempts : 0)) {
      return "more KE2 releases than max attempts for user " + Str(c.user) + " between recoveries";
    }
  }
  if (first && c.op == Op::kSuccess && r.code == Code::kOk) releases_since_success_[c.user] = 0;
  return "";
}

std::optional<UserRecord> Checker::OracleAt(uint32_t user, uint64_t index) const {
  auto it = user_history_.find(user);
  if (it == user_history_.end()) return std::nullopt;
  const auto& h = it->second;
  auto pos = std::upper_bound(h.begin(), h.end(), index,
                              [](uint64_t i, const auto& e) { return i < e.first; });
  if (pos == h.begin()) return std::nullopt;
  return std::prev(pos)->second;
}

std::string Checker::CheckHistory(const std::vector<HistoryOp>& ops) const {
  // Linearization points, doubled so a read sits between two indices: write i → 2i, read r → 2r+1.
  std::vector<uint64_t> point(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    const HistoryOp& op = ops[i];
    std::string who = "client " + Str(op.client) + " op " + Str(op.seq);
    if (op.read) {
      if (op.read_at > chain_.size()) return who + ": read at an uncommitted index";
      if (OracleAt(op.user, op.read_at) != op.value) {
        return "linearizability: client " + Str(op.client) + " read user " + Str(op.user) +
               " at index " + Str(op.read_at) + " and saw a state the committed order never had";
      }
      point[i] = 2 * op.read_at + 1;
      continue;
    }
    auto it = first_index_.find({op.client, op.seq});
    if (it == first_index_.end()) return "linearizability: " + who + " was acknowledged but never committed";
    if (oracle_results_.at(it->second) != op.result) {
      return "linearizability: " + who + " saw a result that differs from its committed effect";
    }
    point[i] = 2 * it->second;
  }
  for (size_t a = 0; a < ops.size(); ++a) {
    for (size_t b = 0; b < ops.size(); ++b) {
      if (ops[a].complete >= ops[b].invoke) continue;  // not ordered in real time
      bool both_reads = ops[a].read && ops[b].read;
      if (point[a] > point[b] || (point[a] == point[b] && !both_reads)) {
        return "linearizability: client " + Str(ops[a].client) + " op completed at step " + Str(ops[a].complete) +
               " before client " + Str(ops[b].client) + " op invoked at step " + Str(ops[b].invoke) +
               ", yet it takes effect later in the committed order";
      }
    }
  }
  return "";
}

}  // namespace keyward::sim
