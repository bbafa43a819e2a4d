#include "trust/payload.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "trust/trust_fixture.h"

namespace keyward::trust {
namespace {

using testing::TestFleet;
using testing::TrustWorld;

TEST(Rfc3339Test, StrictUtcForm) {
  EXPECT_EQ(*ParseRfc3339Utc("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseRfc3339Utc("2026-11-23T01:00:00Z"), 1795395600);
  EXPECT_EQ(*ParseRfc3339Utc("2024-02-29T23:59:59Z"), 1709251199);
  EXPECT_EQ(FormatRfc3339Utc(1795395600), "2026-11-23T01:00:00Z");
  for (const char* bad :
       {"2026-11-23T01:00:00", "2026-11-23 01:00:00Z", "2026-11-23T01:00:00+00:00",
        "2026-11-23T01:00:00.5Z", "2026-11-23t01:00:00z", "2023-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-23T24:00:00Z",
        "2026-11-23T23:60:00Z", "2026-11-23T23:59:60Z", "1969-12-31T23:59:59Z", "", "x"}) {
    EXPECT_FALSE(ParseRfc3339Utc(bad).ok()) << bad;
  }
}

RC_GTEST_PROP(Rfc3339Property, FormatParseRoundTrip, (uint32_t t)) {
  auto back = ParseRfc3339Utc(FormatRfc3339Utc(t));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == static_cast<UnixSeconds>(t));
}

TEST(PayloadTest, RoundTripAndCanonicalForm) {
  TrustWorld w;
  Payload p = w.MakePayload(42, {TestFleet("eu-1"), TestFleet("us-1", FleetState::kRetiring)});
  auto json = SerializePayload(p);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(json->substr(0, 50), "{\"kind\":\"keyward.fleets/v1\",\"namespace\":\"example.c");
  auto back = ParsePayload(AsBytes(*json));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, p);
}

TEST(PayloadTest, FleetFiles) {
  FleetEntry f = TestFleet("eu-1");
  auto json = SerializeFleetEntry(f);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*ParseFleetEntry(AsBytes(*json)), f);
  // Human-edited whitespace is fine in a fleet file; unknown keys are not.
  std::string pretty = *json;
  pretty.insert(1, "\n  ");
  pretty += "\n";
  EXPECT_TRUE(ParseFleetEntry(AsBytes(pretty)).ok());
  std::string extra = *json;
  extra.insert(1, "\"x\":1,");
  EXPECT_FALSE(ParseFleetEntry(AsBytes(extra)).ok());
}

TEST(PayloadTest, RejectsMalformedPayloads) {
  TrustWorld w;
  std::string json = *SerializePayload(w.MakePayload(1));
  auto mutate = [&](const std::string& from, const std::string& to) {
    std::string s = json;
    size_t i = s.find(from);
    EXPECT_NE(i, std::string::npos) << from;
    if (i != std::string::npos) s.replace(i, from.size(), to);
    return s;
  };
  const std::vector<std::string> bad = {
      mutate("\"epoch\":1", "\"epoch\":1.0"),
      mutate("\"epoch\":1", "\"epoch\":-1"),
      mutate("\"epoch\":1", "\"epoch\":\"1\""),
      mutate("\"epoch\":1", "\"epoch\":18446744073709551616"),
      mutate("keyward.fleets/v1", "keyward.fleets/v2"),
      mutate("\"state\":\"active\"", "\"state\":\"paused\""),
      mutate("\"kind\"", "\"kind\":\"keyward.fleets/v1\",\"kind\""),  // duplicate key
      mutate("\"endpoints\"", "\"extra\":[],\"endpoints\""),           // unknown key
      mutate("\"memory_kib\":65536", "\"memory_kib\":1"),              // Argon2 out of range
      mutate("T", "t"),                                                 // time form
      mutate("{\"kind\"", "{ \"kind\""),                                // non-canonical
      mutate("\"fleets\":[", "\"fleets\":[],\"x\":["),
  };
  for (const std::string& b : bad) EXPECT_FALSE(ParsePayload(AsBytes(b)).ok()) << b;
  // issued after expires
  Payload p = w.MakePayload(1);
  p.expires = p.issued - 1;
  EXPECT_FALSE(SerializePayload(p).ok());
  // duplicate fleet ids, identity key, empty fleets
  p = w.MakePayload(1, {TestFleet("a"), TestFleet("a")});
  EXPECT_FALSE(SerializePayload(p).ok());
  p = w.MakePayload(1);
  p.fleets[0].opaque_public_key = {};
  EXPECT_FALSE(SerializePayload(p).ok());
  p.fleets.clear();
  EXPECT_FALSE(SerializePayload(p).ok());
  p = w.MakePayload(1);
  p.fleets[0].member_keys = {"not a vkey"};
  EXPECT_FALSE(SerializePayload(p).ok());
  p = w.MakePayload(1);
  p.fleets[0].evidence_sha256 = Bytes(31, 0);
  EXPECT_FALSE(SerializePayload(p).ok());
  // Too many fleets.
  p = w.MakePayload(1, {});
  for (size_t i = 0; i <= kMaxPayloadFleets; ++i) p.fleets.push_back(TestFleet("f" + std::to_string(i)));
  EXPECT_EQ(SerializePayload(p).status().code(), ErrorCode::kResourceExhausted);
}

}  // namespace
}  // namespace keyward::trust
