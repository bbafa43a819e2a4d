#include "core/raft/messages.h"

#include <gtest/gtest.h>

namespace keyward::raft {
namespace {

Message SampleAppend() {
  Message m;
  m.type = MessageType::kAppend;
  m.from = 1;
  m.to = 2;
  m.from_incarnation = 99;
  m.term = 3;
  m.prev_index = 4;
  m.prev_hash[0] = 7;
  m.commit = 4;
  m.seq = 12;
  Hash h = m.prev_hash;
  for (uint64_t i = 5; i <= 6; ++i) {
    Entry e{3, i, EntryType::kCommand, ToBytes("x"), {}};
    e.hash = ChainHash(h, e.term, e.index, e.type, e.data);
    h = e.hash;
    m.entries.push_back(e);
  }
  return m;
}

TEST(MessagesTest, RoundTripsEveryType) {
  std::vector<Message> all;
  all.push_back(SampleAppend());
  for (auto t : {MessageType::kPreVote, MessageType::kVote, MessageType::kPreVoteReply, MessageType::kVoteReply,
                 MessageType::kAppendReply, MessageType::kSnapshotReply, MessageType::kJoin}) {
    Message m;
    m.type = t;
    m.from = 3;
    m.to = 1;
    m.from_incarnation = 5;
    m.term = 8;
    if (t == MessageType::kPreVote || t == MessageType::kVote) m.last_log_index = m.last_log_term = 2;
    if (t == MessageType::kPreVoteReply || t == MessageType::kVoteReply || t == MessageType::kAppendReply) m.granted = true;
    if (t == MessageType::kAppendReply || t == MessageType::kSnapshotReply) m.match_index = 9;
    if (t == MessageType::kAppendReply) m.seq = 4;
    all.push_back(m);
  }
  Message snap;
  snap.type = MessageType::kSnapshot;
  snap.from = 1;
  snap.to = 2;
  snap.from_incarnation = 1;
  snap.snap_index = 10;
  snap.snap_term = 2;
  snap.snap_config.members = {{1, 5, true}, {2, 6, false}};
  snap.snap_data = ToBytes("state");
  all.push_back(snap);
  for (const Message& m : all) {
    StatusOr<Message> back = DecodeMessage(EncodeMessage(m));
    ASSERT_TRUE(back.ok()) << MessageTypeName(m.type) << ": " << back.status().ToString();
    EXPECT_EQ(*back, m) << MessageTypeName(m.type);
  }
}

TEST(MessagesTest, RejectsTrailingAndTruncatedBytes) {
  Bytes b = EncodeMessage(SampleAppend());
  Bytes longer = b;
  longer.push_back(0);
  EXPECT_FALSE(DecodeMessage(longer).ok());
  for (size_t n = 0; n < b.size(); ++n) {
    EXPECT_FALSE(DecodeMessage(ByteSpan(b.data(), n)).ok()) << n;
  }
}

TEST(MessagesTest, RejectsNonConsecutiveEntriesAndBadBooleans) {
  Message m = SampleAppend();
  m.entries[1].index = 9;
  EXPECT_FALSE(DecodeMessage(EncodeMessage(m)).ok());
  Message r;
  r.type = MessageType::kVoteReply;
  Bytes b = EncodeMessage(r);
  b.back() = 2;  // granted must be 0 or 1
  EXPECT_FALSE(DecodeMessage(b).ok());
}

TEST(MessagesTest, MembershipMustBeSortedAndUnique) {
  Membership m;
  m.members = {{2, 1, true}, {1, 1, true}};
  EXPECT_FALSE(Membership::Decode(m.Encode()).ok());
  m.members = {{1, 1, true}, {2, 1, false}};
  ASSERT_TRUE(Membership::Decode(m.Encode()).ok());
  EXPECT_EQ(Membership::Decode(m.Encode()).value(), m);
}

}  // namespace
}  // namespace keyward::raft

namespace keyward::raft {
namespace {

// Regression (fuzz_raft_messages): a peer message with term 2^64-1 was accepted; the node adopted
// it and the next election wrapped the term to 0, failing the log's term-order CHECK.
TEST(MessagesTest, RejectsTermsAndIndicesThatCouldOverflow) {
  Message m;
  m.type = MessageType::kVote;
  m.from = 2;
  m.to = 1;
  m.term = UINT64_MAX;
  EXPECT_FALSE(DecodeMessage(EncodeMessage(m)).ok());
  m.term = kMaxTerm;
  EXPECT_TRUE(DecodeMessage(EncodeMessage(m)).ok());
  m.last_log_term = kMaxTerm + 1;
  EXPECT_FALSE(DecodeMessage(EncodeMessage(m)).ok());
  m.last_log_term = 1;
  m.last_log_index = UINT64_MAX;
  EXPECT_FALSE(DecodeMessage(EncodeMessage(m)).ok());
}

}  // namespace
}  // namespace keyward::raft
