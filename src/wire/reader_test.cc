#include "wire/reader.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "wire/writer.h"

namespace keyward::wire {
namespace {

TEST(Reader, ReadsBigEndianAndRejectsShortInput) {
  const std::vector<uint8_t> data = {0x01, 0x02, 0x03, 0x04, 0x05};
  Reader r(data);
  uint16_t a;
  uint32_t b;
  ASSERT_TRUE(r.U16(&a));
  EXPECT_EQ(a, 0x0102);
  EXPECT_FALSE(r.U32(&b));  // only 3 left
  EXPECT_EQ(r.remaining(), 3u);  // unchanged on failure
  uint8_t c;
  ASSERT_TRUE(r.U8(&c));
  EXPECT_EQ(c, 3);
  EXPECT_FALSE(r.Finish());
  ASSERT_TRUE(r.Skip(2));
  EXPECT_TRUE(r.Finish());
}

TEST(Reader, PrefixedFailureLeavesReaderUnchanged) {
  const std::vector<uint8_t> data = {0x00, 0x05, 'a', 'b'};
  Reader r(data);
  std::span<const uint8_t> s;
  EXPECT_FALSE(r.U16Prefixed(&s));
  EXPECT_EQ(r.remaining(), 4u);
}

TEST(Reader, UntilSplitsOnDelimiter) {
  const std::string text = "old 5\nrest";
  Reader r({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  std::span<const uint8_t> line;
  ASSERT_TRUE(r.Until('\n', &line));
  EXPECT_EQ(std::string(line.begin(), line.end()), "old 5");
  EXPECT_FALSE(r.Until('\n', &line));
  EXPECT_EQ(r.remaining(), 4u);
}

RC_GTEST_PROP(Wire, PrefixedRoundTrip, (std::vector<uint8_t> a, std::vector<uint8_t> b, uint64_t x)) {
  RC_PRE(a.size() <= 0xffff && b.size() <= 0xff);
  Writer w;
  w.U16Prefixed(a).U64(x).U8Prefixed(b);
  auto bytes = w.Take();
  Reader r(bytes);
  std::span<const uint8_t> a2, b2;
  uint64_t x2;
  RC_ASSERT(r.U16Prefixed(&a2));
  RC_ASSERT(r.U64(&x2));
  RC_ASSERT(r.U8Prefixed(&b2));
  RC_ASSERT(r.Finish());
  RC_ASSERT(std::vector<uint8_t>(a2.begin(), a2.end()) == a);
  RC_ASSERT(std::vector<uint8_t>(b2.begin(), b2.end()) == b);
  RC_ASSERT(x2 == x);
}

RC_GTEST_PROP(Wire, TruncationAlwaysFails, (std::vector<uint8_t> a)) {
  RC_PRE(!a.empty() && a.size() <= 0xffff);
  Writer w;
  w.U16Prefixed(a);
  auto bytes = w.Take();
  bytes.pop_back();
  Reader r(bytes);
  std::span<const uint8_t> out;
  RC_ASSERT(!r.U16Prefixed(&out));
}

}  // namespace
}  // namespace keyward::wire
