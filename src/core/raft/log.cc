#include "core/raft/log.h"

#include "common/check.h"

namespace keyward::raft {

const Entry& RaftLog::At(uint64_t index) const {
  KW_CHECK(Has(index));
  return entries_[index - base_index_ - 1];
}

std::optional<uint64_t> RaftLog::TermAt(uint64_t index) const {
  if (index == base_index_) return base_term_;
  if (!Has(index)) return std::nullopt;
  return At(index).term;
}

std::optional<Hash> RaftLog::HashAt(uint64_t index) const {
  if (index == base_index_) return base_hash_;
  if (!Has(index)) return std::nullopt;
  return At(index).hash;
}

const Entry& RaftLog::AppendNew(uint64_t term, EntryType type, Bytes data) {
  KW_CHECK(term >= last_term());  // terms never decrease along the log (Raft §5.3)
  Entry e;
  e.term = term;
  e.index = last_index() + 1;
  e.type = type;
  e.hash = ChainHash(last_hash(), e.term, e.index, e.type, data);
  e.data = std::move(data);
  entries_.push_back(std::move(e));
  return entries_.back();
}

void RaftLog::AppendVerified(Entry e) {
  KW_CHECK(e.index == last_index() + 1);
  KW_CHECK(e.hash == ChainHash(last_hash(), e.term, e.index, e.type, e.data));
  entries_.push_back(std::move(e));
}

void RaftLog::TruncateAfter(uint64_t index) {
  KW_CHECK(index >= base_index_);
  while (last_index() > index) entries_.pop_back();
}

void RaftLog::CompactTo(uint64_t index) {
  KW_CHECK(index >= base_index_ && index <= last_index());
  if (index == base_index_) return;
  const Entry& e = At(index);
  base_term_ = e.term;
  base_hash_ = e.hash;
  size_t drop = index - base_index_;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(drop));
  base_index_ = index;
}

void RaftLog::ResetTo(uint64_t index, uint64_t term, const Hash& hash) {
  entries_.clear();
  base_index_ = index;
  base_term_ = term;
  base_hash_ = hash;
}

}  // namespace keyward::raft
