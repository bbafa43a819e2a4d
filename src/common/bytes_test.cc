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
// The public-data decoder accepts exactly what the constant-time one accepts, with the same value.
RC_GTEST_PROP(Bytes, Base64PublicAgreesWithStrictDecoderOnEncodings, (std::vector<uint8_t> data)) {
  const std::string enc = Base64Encode(data);
  RC_ASSERT(Base64EncodePublic(data) == enc);
  auto got = Base64DecodePublic(enc);
  RC_ASSERT(got.ok());
  RC_ASSERT(*got == Bytes(data.begin(), data.end()));
}

RC_GTEST_PROP(Bytes, Base64PublicAgreesWithStrictDecoderOnArbitraryText, (std::string raw)) {
  // Bias towards base64-looking text: map arbitrary bytes onto the alphabet, '=' and a few others.
  static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \n-_";
  std::string text;
  for (char c : raw) text.push_back(kChars[static_cast<unsigned char>(c) % (sizeof kChars - 1)]);
  auto ours = Base64DecodePublic(text);
  auto theirs = Base64Decode(text);
  RC_ASSERT(ours.ok() == theirs.ok());
  if (ours.ok()) RC_ASSERT(*ours == *theirs);
}

TEST(Bytes, Base64PublicRejectsNonCanonicalForms) {
  for (const char* bad : {"A", "AA", "AAA", "A===", "AB==", "AAB=", "AA=A", "=AAA", "AA==AA==", " AAA", "AAA\n",
                          "AA-_", "AAAA AAAA", "YQ==\n"}) {
    EXPECT_FALSE(Base64DecodePublic(bad).ok()) << bad;
    EXPECT_FALSE(Base64Decode(bad).ok()) << bad;
  }
  EXPECT_EQ(*Base64DecodePublic(""), Bytes());
  EXPECT_EQ(*Base64DecodePublic("AA=="), Bytes{0});
  EXPECT_EQ(*Base64DecodePublic("AAE="), (Bytes{0, 1}));
  EXPECT_EQ(*Base64DecodePublic("YWJj"), ToBytes("abc"));
}

}  // namespace keyward
