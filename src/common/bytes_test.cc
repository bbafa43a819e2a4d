#include "common/bytes.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace keyward {
namespace {

TEST(Bytes, HexRoundTripAndErrors) {
  EXPECT_EQ(HexEncode(ToBytes("\x01\xab")), "01ab");
  EXPECT_EQ(*HexDecode("01AB"), ToBytes("\x01\xab"));
  EXPECT_TRUE(HexDecode("").ok());
  EXPECT_TRUE(HexDecode("")->empty());
  EXPECT_EQ(HexEncode({}), "");
  EXPECT_FALSE(HexDecode("abc").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
  EXPECT_FALSE(HexDecode("ab ").ok());
}

TEST(Bytes, Base64StrictCanonical) {
  EXPECT_EQ(Base64Encode(ToBytes("hi")), "aGk=");
  EXPECT_EQ(Base64Encode(ToBytes("hi"), Base64Variant::kUrlSafeNoPadding), "aGk");
  EXPECT_TRUE(Base64Decode("").ok());
  EXPECT_FALSE(Base64Decode("aGk").ok());        // missing padding
  EXPECT_FALSE(Base64Decode("aGl=").ok());       // non-zero trailing bits: non-canonical
  EXPECT_FALSE(Base64Decode("aG k=").ok());      // whitespace
  EXPECT_FALSE(Base64Decode("aGk", Base64Variant::kStandard).ok());
  EXPECT_TRUE(Base64Decode("aGk", Base64Variant::kUrlSafeNoPadding).ok());
}

RC_GTEST_PROP(Bytes, EncodingsRoundTrip, (std::vector<uint8_t> data)) {
  RC_ASSERT(*HexDecode(HexEncode(data)) == data);
  RC_ASSERT(*Base64Decode(Base64Encode(data)) == data);
  RC_ASSERT(*Base64Decode(Base64Encode(data, Base64Variant::kUrlSafeNoPadding),
                          Base64Variant::kUrlSafeNoPadding) == data);
}

}  // namespace
}  // namespace keyward
