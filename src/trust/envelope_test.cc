#include "trust/envelope.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fstream>

#include "crypto/random.h"
#include "support/vectors.h"
#include "trust/delivered.h"
#include "trust/trust_fixture.h"

namespace keyward::trust {
namespace {

using testing::TrustWorld;

TEST(PaeTest, MatchesDsseSpecExample) {
  // DSSE protocol.md: PAE("http://example.com/HelloWorld", "hello world").
  Bytes pae = Pae("http://example.com/HelloWorld", AsBytes("hello world"));
  EXPECT_EQ(AsChars(pae), "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  EXPECT_EQ(AsChars(Pae("", {})), "DSSEv1 0  0 ");
}

TEST(EnvelopeTest, SignSerializeParseRoundTrip) {
  TrustWorld w;
  Envelope e = w.Signed(w.MakePayload(1));
  ASSERT_TRUE(AddCountersignature(e, w.signer("org-c"), w.signer("org-a").keyid()).ok());
  std::string bytes = SerializeEnvelope(e);
  auto parsed = ParseEnvelope(AsBytes(bytes));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, e);
  ASSERT_EQ(parsed->signatures.size(), 3u);
  EXPECT_EQ(parsed->signatures[2].countersigns, w.signer("org-a").keyid());
  EXPECT_EQ(bytes.substr(0, 15), "{\"payloadType\":");
  // The keyid is the vkey's name+hex8 prefix.
  std::string vkey = w.signer("org-a").verifier_key();
  EXPECT_EQ(vkey.substr(0, w.signer("org-a").keyid().size() + 1), w.signer("org-a").keyid() + "+");
  // The countersignature message commits to SHA-256(payload) and the covered signature.
  auto msg = SignedMessage(e, e.signatures[2]);
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(*msg, CountersignatureMessage(e.payload, e.signatures[0].sig));
  EXPECT_EQ(AsChars(*msg).substr(0, 57), "DSSEv1 43 application/vnd.keyward.countersignature.v1 96 ");
  EXPECT_EQ(msg->size(), 57u + 32 + 64);
}

TEST(EnvelopeTest, SignerRules) {
  TrustWorld w;
  Envelope e = w.Signed(w.MakePayload(1), {"org-a"});
  EXPECT_EQ(AddSignature(e, w.signer("org-a")).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(AddCountersignature(e, w.signer("org-b"), "nobody+00000000").code(), ErrorCode::kNotFound);
  EXPECT_EQ(AddCountersignature(e, w.signer("org-a"), w.signer("org-a").keyid()).code(),
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(AddCountersignature(e, w.signer("org-b"), w.signer("org-a").keyid()).ok());
  EXPECT_EQ(AddCountersignature(e, w.signer("org-b"), w.signer("org-a").keyid()).code(),
            ErrorCode::kFailedPrecondition);
}

TEST(EnvelopeTest, LoadsKeygenKeyFiles) {
  keyward::testing::TempDir dir;
  crypto::SystemRng rng;
  auto gen = tlog::GenerateNoteKey("org-z.example", rng);
  ASSERT_TRUE(gen.ok());
  std::string path = (dir.path() / "org-z.key").string();
  {
    std::ofstream out(path);
    out << AsChars(gen->signer_key.Reveal()) << "\n";
  }
  auto s = LoadFileSigner(path);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->verifier_key(), gen->verifier_key);
  EXPECT_FALSE(LoadFileSigner((dir.path() / "missing").string()).ok());
}

Envelope Simple() {
  return Envelope{"application/vnd.keyward.fleets+json", ToBytes("{}"),
                  {{"a.example+0000000a", Bytes(64, 1), std::nullopt}}};
}

TEST(EnvelopeTest, RejectsNonCanonicalAndMalformed) {
  std::string good = SerializeEnvelope(Simple());
  ASSERT_TRUE(ParseEnvelope(AsBytes(good)).ok());
  std::string sig64 = Base64Encode(Bytes(64, 1));
  const std::vector<std::string> bad = {
      "",
      good + " ",
      " " + good,
      good + "x",
      good.substr(0, good.size() - 1),
      // duplicate key
      R"({"payloadType":"t","payloadType":"t","payload":"e30=","signatures":[]})",
      // duplicate inside a signature
      R"({"payloadType":"t","payload":"e30=","signatures":[{"keyid":"a+0000000a","keyid":"a+0000000a","sig":")" + sig64 + R"("}]})",
      // unknown field
      R"({"payloadType":"t","payload":"e30=","signatures":[],"x":1})",
      R"({"payloadType":"t","payload":"e30=","signatures":[{"keyid":"a+0000000a","sig":")" + sig64 + R"(","extra":1}]})",
      // key order
      R"({"payload":"e30=","payloadType":"t","signatures":[]})",
      // whitespace inside
      R"({"payloadType": "t","payload":"e30=","signatures":[]})",
      // non-canonical base64 (padding bits set)
      R"({"payloadType":"t","payload":"e31=","signatures":[]})",
      // URL-safe base64
      R"({"payloadType":"t","payload":"-_8=","signatures":[]})",
      // short signature
      R"({"payloadType":"t","payload":"e30=","signatures":[{"keyid":"a+0000000a","sig":"AAAA"}]})",
      // bad keyid
      R"({"payloadType":"t","payload":"e30=","signatures":[{"keyid":"a","sig":")" + sig64 + R"("}]})",
      R"({"payloadType":"t","payload":"e30=","signatures":[{"keyid":"a+0000000A","sig":")" + sig64 + R"("}]})",
      // wrong types
      R"({"payloadType":1,"payload":"e30=","signatures":[]})",
      R"({"payloadType":"t","payload":"e30=","signatures":{}})",
      // escaped character that need not be escaped
      R"({"payloadType":"\u0074","payload":"e30=","signatures":[]})",
      // deep nesting
      R"({"payloadType":"t","payload":"e30=","signatures":[[[[[[[[[[]]]]]]]]]]})",
      // invalid UTF-8
      "{\"payloadType\":\"\xff\",\"payload\":\"e30=\",\"signatures\":[]}",
  };
  for (const std::string& b : bad) {
    EXPECT_FALSE(ParseEnvelope(AsBytes(b)).ok()) << b;
  }
}

TEST(EnvelopeTest, SizeLimits) {
  Envelope big = Simple();
  big.payload = Bytes(kMaxPayloadBytes + 1, 'a');
  std::string json = "{\"payloadType\":\"t\",\"payload\":\"" + Base64Encode(big.payload) +
                     "\",\"signatures\":[]}";
  auto r = ParseEnvelope(AsBytes(json));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(ParseEnvelope(Bytes(kMaxEnvelopeBytes + 1, '{')).status().code(),
            ErrorCode::kResourceExhausted);
  Envelope many = Simple();
  std::string sigs;
  for (size_t i = 0; i <= kMaxEnvelopeSignatures; ++i) {
    sigs += std::string(i ? "," : "") + "{\"keyid\":\"a+0000000a\",\"sig\":\"" +
            Base64Encode(Bytes(64, 1)) + "\"}";
  }
  EXPECT_FALSE(ParseEnvelope(AsBytes("{\"payloadType\":\"t\",\"payload\":\"e30=\",\"signatures\":[" +
                                     sigs + "]}")).ok());
}

RC_GTEST_PROP(EnvelopeProperty, SerializeParseRoundTrip,
              (const std::vector<uint8_t>& payload, const std::vector<bool>& counters)) {
  Envelope e;
  e.payload_type = "application/x";
  e.payload = payload.size() > 1000 ? Bytes(payload.begin(), payload.begin() + 1000) : payload;
  for (size_t i = 0; i < std::min<size_t>(counters.size(), kMaxEnvelopeSignatures); ++i) {
    Signature s{"k" + std::to_string(i) + ".example+0000abcd", Bytes(64, static_cast<uint8_t>(i)), std::nullopt};
    if (counters[i] && i > 0) s.countersigns = "k0.example+0000abcd";
    e.signatures.push_back(s);
  }
  std::string bytes = SerializeEnvelope(e);
  auto parsed = ParseEnvelope(AsBytes(bytes));
  RC_ASSERT(parsed.ok());
  RC_ASSERT(*parsed == e);
}

TEST(DeliveredTest, RoundTripAndStrictness) {
  TrustWorld w;
  std::string d = w.Deliver(w.Signed(w.MakePayload(1)));
  auto parsed = ParseDeliveredBundle(AsBytes(d));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(SerializeDeliveredBundle(*parsed), d);
  EXPECT_FALSE(ParseDeliveredBundle(AsBytes(d.substr(0, d.size() - 1))).ok());  // truncated
  EXPECT_FALSE(ParseDeliveredBundle(AsBytes(d + "x")).ok());                    // trailing garbage
  EXPECT_FALSE(ParseDeliveredBundle(AsBytes("keyward.dev/delivered@v2" + d.substr(24))).ok());
  std::string no_proof = std::string(kDeliveredHeader) + "\n" + Base64Encode(AsBytes("{}")) + "\n";
  EXPECT_FALSE(ParseDeliveredBundle(AsBytes(no_proof)).ok());
  EXPECT_FALSE(ParseDeliveredBundle(AsBytes(std::string(kDeliveredHeader) + "\n")).ok());
  EXPECT_EQ(ParseDeliveredBundle(Bytes(kMaxDeliveredBytes + 1, 'a')).status().code(),
            ErrorCode::kResourceExhausted);
}

}  // namespace
}  // namespace keyward::trust

#include "trust/json_util.h"

namespace keyward::trust {
namespace {

// The OpenSSL-based strict decoder must agree exactly with libsodium's strict decoder
// (common/bytes.h Base64Decode) on acceptance and value.
RC_GTEST_PROP(Base64StrictProperty, AgreesWithLibsodium, (const std::vector<uint8_t>& data)) {
  std::string enc = Base64Encode(data);
  RC_ASSERT(internal::Base64EncodeFast(data) == enc);
  auto ours = internal::Base64DecodeStrict(enc);
  RC_ASSERT(ours.ok());
  RC_ASSERT(*ours == data);
}

RC_GTEST_PROP(Base64StrictProperty, AgreesOnArbitraryText, (const std::string& raw)) {
  // Bias towards the base64 alphabet so that near-valid inputs are common.
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \n-_";
  std::string text;
  for (char c : raw) text += kAlphabet[static_cast<uint8_t>(c) % (sizeof(kAlphabet) - 1)];
  auto ours = internal::Base64DecodeStrict(text);
  auto theirs = Base64Decode(text);
  RC_ASSERT(ours.ok() == theirs.ok());
  if (ours.ok()) RC_ASSERT(*ours == *theirs);
}

TEST(Base64StrictTest, EdgeCases) {
  for (const char* bad : {"A", "AA", "AAA", "AB==", "AAB=", "====", "A===", "AA=A", " AAA", "AAAA\n",
                          "AA==AAAA", "-_8="}) {
    EXPECT_FALSE(internal::Base64DecodeStrict(bad).ok()) << bad;
    EXPECT_FALSE(Base64Decode(bad).ok()) << bad;
  }
  EXPECT_EQ(*internal::Base64DecodeStrict(""), Bytes());
  EXPECT_EQ(*internal::Base64DecodeStrict("AA=="), Bytes{0});
  EXPECT_EQ(*internal::Base64DecodeStrict("AAE="), (Bytes{0, 1}));
}

}  // namespace
}  // namespace keyward::trust
