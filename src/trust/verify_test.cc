// The adversarial suite of issue 5 ("What must be shown" 2): every case asserts its rejection code.
#include "trust/verify.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/vectors.h"
#include "trust/delivered.h"
#include "trust/trust_fixture.h"

namespace keyward::trust {
namespace {

using testing::TestFleet;
using testing::TrustWorld;

constexpr UnixSeconds kNow = TrustWorld::kNow;

std::string CodeOf(const TrustResult<VerifiedBundle>& r) {
  return r.ok() ? "accepted" : RejectionCode(r.rejection().code);
}

class VerifyTest : public ::testing::Test {
 protected:
  TrustResult<VerifiedBundle> Verify(const std::string& delivered, UnixSeconds now = kNow,
                                     ConsistencyFetcher* fetcher = nullptr) {
    TrustState before = state_;
    auto r = VerifyBundle(policy_, AsBytes(delivered), state_, now, fetcher);
    if (!r.ok()) {
      EXPECT_EQ(state_, before) << "a rejection must not change the state";
      EXPECT_FALSE(r.rejection().message.empty());
    }
    return r;
  }
  std::string Code(const std::string& delivered, UnixSeconds now = kNow) {
    return CodeOf(Verify(delivered, now));
  }

  TrustWorld w_;
  TrustPolicy policy_ = w_.Policy();
  TrustState state_;
};

TEST_F(VerifyTest, AcceptsAValidBundleAndUpdatesState) {
  std::string d = w_.Deliver(w_.Signed(w_.MakePayload(3, {TestFleet("fleet-1"), TestFleet("fleet-2")})));
  auto r = Verify(d);
  ASSERT_TRUE(r.ok()) << r.rejection().ToString();
  EXPECT_EQ(r->epoch, 3u);
  EXPECT_EQ(r->fleets().size(), 2u);
  EXPECT_EQ(r->signers, (std::vector<std::string>{"org-a", "org-b"}));
  EXPECT_EQ(r->witnesses.size(), 3u);
  EXPECT_FALSE(r->redelivery);
  ASSERT_EQ(state_.namespaces.count(std::string(TrustWorld::kNamespace)), 1u);
  EXPECT_EQ(state_.namespaces.begin()->second.epoch, 3u);
  ASSERT_EQ(state_.logs.count(std::string(TrustWorld::kOrigin)), 1u);
  EXPECT_EQ(state_.logs.begin()->second.size, w_.size());
  // The same bundle again is a re-delivery.
  auto again = Verify(d);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->redelivery);
  // A newer epoch is adopted; the stored checkpoint grows.
  auto r4 = Verify(w_.Deliver(w_.Signed(w_.MakePayload(4))));
  ASSERT_TRUE(r4.ok()) << r4.rejection().ToString();
  EXPECT_EQ(state_.namespaces.begin()->second.epoch, 4u);
  EXPECT_EQ(state_.logs.begin()->second.size, w_.size());
}

TEST_F(VerifyTest, EmergencyPairAndCountersignedBundlesAreAccepted) {
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(1), {"emergency-1", "emergency-2"}))), "accepted");
  // org-b countersigns org-a's signature instead of signing plainly.
  Envelope e = w_.Signed(w_.MakePayload(2), {"org-a"});
  ASSERT_TRUE(AddCountersignature(e, w_.signer("org-b"), w_.signer("org-a").keyid()).ok());
  EXPECT_EQ(Code(w_.Deliver(e)), "accepted");
  // Unknown signers are ignored.
  Envelope f = w_.Signed(w_.MakePayload(3), {"mallory", "org-a", "org-b"});
  EXPECT_EQ(Code(w_.Deliver(f)), "accepted");
}

TEST_F(VerifyTest, SingleOrganisation) {
  // Only one organisation signed.
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(1), {"org-a"}))), "single-organisation");
  // One organisation and half of the emergency pair.
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(1), {"org-a", "emergency-1"}))),
            "single-organisation");
  // One signature twice.
  Envelope twice = w_.Signed(w_.MakePayload(1), {"org-a"});
  twice.signatures.push_back(twice.signatures[0]);
  EXPECT_EQ(Code(w_.Deliver(twice)), "single-organisation");
  // A key countersigning its own organisation's... (mallory is unknown, org-a counts once).
  Envelope self = w_.Signed(w_.MakePayload(1), {"org-a"});
  ASSERT_TRUE(AddCountersignature(self, w_.signer("mallory"), w_.signer("org-a").keyid()).ok());
  EXPECT_EQ(Code(w_.Deliver(self)), "single-organisation");
  // No signatures at all.
  EXPECT_EQ(Code(w_.Deliver(TrustWorld::Unsigned(w_.MakePayload(1)))), "single-organisation");
}

TEST_F(VerifyTest, BothSignaturesByOneOrganisationsKeys) {
  // org-a holds two keys; both signing is still one organisation.
  std::string text = "namespace " + std::string(TrustWorld::kNamespace) + "\n" +
                     "signer a1 " + w_.signer("org-a").verifier_key() + "\n" +
                     "signer a2 " + w_.signer("org-c").verifier_key() + "\n" +
                     "signer b " + w_.signer("org-b").verifier_key() + "\n" +
                     "group org-a any a1 a2\ngroup main all org-a b\nbundle-quorum main\n" + w_.LogLines();
  auto p = TrustPolicy::Parse(text);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  policy_ = std::move(*p);
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(1), {"org-a", "org-c"}))), "single-organisation");
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(1), {"org-c", "org-b"}))), "accepted");
}

TEST_F(VerifyTest, CountersignatureOverMissingOrInvalidSignature) {
  policy_ = w_.Policy("2", "countersign org-b over org-a\n");
  // Valid: org-b countersigns org-a.
  Envelope ok = w_.Signed(w_.MakePayload(1), {"org-a"});
  ASSERT_TRUE(AddCountersignature(ok, w_.signer("org-b"), w_.signer("org-a").keyid()).ok());
  // A plain org-b signature does not satisfy `countersign org-b over org-a`.
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(1)))), "single-organisation");
  // Missing: the covered signature is removed.
  Envelope missing = ok;
  missing.signatures.erase(missing.signatures.begin());
  EXPECT_EQ(Code(w_.Deliver(missing)), "countersignature");
  // Covering a signature that is not valid under the policy (an unknown key's).
  Envelope unknown = w_.Signed(w_.MakePayload(1), {"mallory", "org-a"});
  ASSERT_TRUE(AddCountersignature(unknown, w_.signer("org-b"), w_.signer("mallory").keyid()).ok());
  EXPECT_EQ(Code(w_.Deliver(unknown)), "countersignature");
  // Covering an invalid signature by a policy key: the bad signature is named.
  Envelope invalid = ok;
  invalid.signatures[0].sig[5] ^= 1;
  EXPECT_EQ(Code(w_.Deliver(invalid)), "bad-signature");
  EXPECT_EQ(Code(w_.Deliver(ok)), "accepted");
}

TEST_F(VerifyTest, BadSignaturesIncludingMalleableOnes) {
  Envelope e = w_.Signed(w_.MakePayload(1));
  Envelope flipped = e;
  flipped.signatures[1].sig[0] ^= 0x80;
  EXPECT_EQ(Code(w_.Deliver(flipped)), "bad-signature");
  // Malleable: S' = S + L (same point equation, non-canonical scalar; strict verifiers refuse).
  static const uint8_t kL[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                 0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                 0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
  Envelope malleable = e;
  unsigned carry = 0;
  for (int i = 0; i < 32; ++i) {
    unsigned v = malleable.signatures[0].sig[32 + i] + kL[i] + carry;
    malleable.signatures[0].sig[32 + i] = static_cast<uint8_t>(v);
    carry = v >> 8;
  }
  ASSERT_EQ(carry, 0u);
  EXPECT_EQ(Code(w_.Deliver(malleable)), "bad-signature");
  // Non-canonical R (y >= p): all-ones R.
  Envelope bad_r = e;
  std::fill(bad_r.signatures[0].sig.begin(), bad_r.signatures[0].sig.begin() + 32, 0xff);
  bad_r.signatures[0].sig[31] = 0x7f;
  EXPECT_EQ(Code(w_.Deliver(bad_r)), "bad-signature");
  // A signature made over the payload bytes instead of PAE.
  Envelope no_pae = w_.Signed(w_.MakePayload(1), {"org-a"});
  auto raw = w_.signer("org-b").Sign(no_pae.payload);
  ASSERT_TRUE(raw.ok());
  no_pae.signatures.push_back({w_.signer("org-b").keyid(), *raw, std::nullopt});
  EXPECT_EQ(Code(w_.Deliver(no_pae)), "bad-signature");
}

TEST_F(VerifyTest, WrongNamespace) {
  Payload p = w_.MakePayload(1);
  p.ns = "example.com/other";
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(p))), "namespace");
}

TEST_F(VerifyTest, ExpiredFutureDatedAndStale) {
  Payload p = w_.MakePayload(1);
  p.issued = kNow - 10 * 86400;
  p.expires = kNow - 301;  // beyond the 5-minute skew
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(p))), "expired");
  p.expires = kNow - 299;  // within the skew
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(p))), "accepted");

  Payload future = w_.MakePayload(2);
  future.issued = kNow + 301;
  future.expires = kNow + 86400;
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(future))), "not-yet-valid");
  future.issued = kNow + 299;
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(future))), "accepted");

  Payload old = w_.MakePayload(3);
  old.issued = kNow - 31 * 86400;
  old.expires = kNow + 86400;
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(old))), "stale");
  // The time is the caller's fixed `now`, not the wall clock.
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(4))), kNow + 31 * 86400), "expired");
}

TEST_F(VerifyTest, RollbackAndEquivocation) {
  ASSERT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(5)))), "accepted");
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(4)))), "rollback");
  // Same epoch, other bytes (another fleet list), even though properly signed and logged.
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(5, {TestFleet("fleet-9")})))), "equivocation");
  // Same epoch, same payload, but re-signed (other envelope bytes: org order swapped).
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(5), {"org-b", "org-a"}))), "equivocation");
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(6)))), "accepted");
}

TEST_F(VerifyTest, EnvelopeNotInTheLog) {
  std::string a = SerializeEnvelope(w_.Signed(w_.MakePayload(1)));
  std::string b = SerializeEnvelope(w_.Signed(w_.MakePayload(2)));
  w_.AppendFiller(2);
  uint64_t ib = w_.Append(AsBytes(b));
  w_.AppendFiller(1);
  // A proof for other bytes stapled to envelope a.
  std::string d = SerializeDeliveredBundle({ToBytes(a), w_.Proof(ib)});
  EXPECT_EQ(Code(d), "not-logged");
  // Envelope b with its own proof is fine.
  EXPECT_EQ(Code(SerializeDeliveredBundle({ToBytes(b), w_.Proof(ib)})), "accepted");
}

TEST_F(VerifyTest, CheckpointSignedByAnUnknownKey) {
  std::string e = SerializeEnvelope(w_.Signed(w_.MakePayload(1)));
  uint64_t i = w_.Append(AsBytes(e));
  tlog::TlogProof p;
  p.index = i;
  p.inclusion = *tlog::InclusionProof(i, w_.size(), w_.store());
  p.checkpoint = w_.CheckpointNote({0, 1, 2}, /*rogue_log=*/true);
  EXPECT_EQ(Code(SerializeDeliveredBundle({ToBytes(e), tlog::FormatTlogProof(p)})), "unknown-log");
  // A policy that does not know this log at all.
  TrustWorld other;  // same keys: build a policy with a different log key instead
  std::string text = w_.PolicyText();
  std::string log_line = text.substr(text.find("log "), text.find('\n', text.find("log ")) - text.find("log ") + 1);
  auto rogue_vkey = tlog::Ed25519VerifierKeyString("elsewhere.example", tlog::kSigTypeEd25519,
                                                   testing::TestKey("elsewhere")->public_key());
  text.replace(text.find(log_line), log_line.size(), "log " + rogue_vkey + "\n");
  auto q = TrustPolicy::Parse(text);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  policy_ = std::move(*q);
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(1)))), "unknown-log");
}

TEST_F(VerifyTest, WitnessQuorumNotMet) {
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(1)), {2})), "witness-quorum");
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(1)), {})), "witness-quorum");
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(1)), {0, 2})), "accepted");
  policy_ = w_.Policy("all");
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(2)), {0, 1})), "witness-quorum");
}

TEST_F(VerifyTest, CorruptWitnessCosignatureIsABadSignature) {
  std::string d = w_.Deliver(w_.Signed(w_.MakePayload(1)));
  // Flip one base64 character inside the last cosignature line.
  size_t pos = d.rfind("\xE2\x80\x94 w3.example ");
  ASSERT_NE(pos, std::string::npos);
  size_t c = d.size() - 10;
  d[c] = d[c] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Code(d), "bad-signature");
}

class HonestFetcher : public ConsistencyFetcher {
 public:
  explicit HonestFetcher(const tlog::MemoryHashStore& store) : store_(store) {}
  StatusOr<std::vector<tlog::Hash>> FetchConsistencyProof(std::string_view, const std::optional<std::string>& url,
                                                          uint64_t old_size, uint64_t new_size) override {
    ++calls;
    EXPECT_EQ(url, "https://log.example/");
    return tlog::ConsistencyProof(old_size, new_size, store_);
  }
  int calls = 0;

 private:
  const tlog::MemoryHashStore& store_;
};

class FailingFetcher : public ConsistencyFetcher {
 public:
  StatusOr<std::vector<tlog::Hash>> FetchConsistencyProof(std::string_view, const std::optional<std::string>&,
                                                          uint64_t, uint64_t) override {
    return Unavailable("offline");
  }
};

TEST_F(VerifyTest, SplitViewSameSizeDifferentRoot) {
  ASSERT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(1)))), "accepted");
  // A second history with the same keys: the log (and its witnesses) equivocate.
  TrustWorld fork;
  fork.AppendFiller(1);
  std::string d = fork.Deliver(fork.Signed(fork.MakePayload(2)));
  ASSERT_NE(fork.size(), w_.size());
  TrustWorld fork2;
  std::string d2 = fork2.Deliver(fork2.Signed(fork2.MakePayload(2, {TestFleet("evil")})));
  ASSERT_EQ(fork2.size(), w_.size());
  EXPECT_EQ(Code(d2), "split-view");
  // Offline, a larger tree with the witness quorum is accepted (the witnesses vouch for it).
  TrustState saved = state_;
  EXPECT_EQ(Code(d), "accepted");
  // Online, the consistency proof exposes the fork.
  state_ = saved;
  HonestFetcher fork_fetcher(fork.store());
  EXPECT_EQ(CodeOf(Verify(d, kNow, &fork_fetcher)), "split-view");
  EXPECT_EQ(fork_fetcher.calls, 1);
  // An unreachable log falls back to the offline rule.
  FailingFetcher failing;
  auto fallback = Verify(d, kNow, &failing);
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback->consistency, ConsistencyCheck::kFetchFailed);  // and says so
  EXPECT_NE(fallback->consistency_detail.find("offline"), std::string::npos) << fallback->consistency_detail;
  state_ = saved;
  auto offline = Verify(d, kNow, nullptr);
  ASSERT_TRUE(offline.ok());
  EXPECT_EQ(offline->consistency, ConsistencyCheck::kOffline);
}

TEST_F(VerifyTest, OnlineConsistencyWithAnHonestLog) {
  ASSERT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(1)))), "accepted");
  std::string later = w_.Deliver(w_.Signed(w_.MakePayload(2)));
  HonestFetcher fetcher(w_.store());
  auto r = Verify(later, kNow, &fetcher);
  ASSERT_TRUE(r.ok()) << r.rejection().ToString();
  EXPECT_EQ(fetcher.calls, 1);
  EXPECT_EQ(r->consistency, ConsistencyCheck::kProven);
  EXPECT_EQ(state_.logs.begin()->second.size, w_.size());
  // The same checkpoint again needs no proof.
  auto same = Verify(later, kNow, &fetcher);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->consistency, ConsistencyCheck::kSame);
  EXPECT_EQ(fetcher.calls, 1);
}

TEST_F(VerifyTest, OlderCheckpointKeepsTheStoredOne) {
  Envelope e1 = w_.Signed(w_.MakePayload(1));
  std::string early = w_.Deliver(e1);
  std::string late = w_.Deliver(w_.Signed(w_.MakePayload(2)));
  ASSERT_EQ(Code(late), "accepted");
  uint64_t size = state_.logs.begin()->second.size;
  // An older bundle is a rollback; the stored checkpoint never shrinks.
  EXPECT_EQ(Code(early), "rollback");
  EXPECT_EQ(state_.logs.begin()->second.size, size);
}

TEST_F(VerifyTest, MalformedInputs) {
  std::string d = w_.Deliver(w_.Signed(w_.MakePayload(1)));
  EXPECT_EQ(Code(d.substr(0, d.size() / 2)), "malformed");  // truncated
  EXPECT_EQ(Code(d + "garbage\n"), "malformed");            // trailing garbage
  EXPECT_EQ(Code(""), "malformed");
  // Duplicate JSON key inside the signed payload.
  std::string json = *SerializePayload(w_.MakePayload(1));
  std::string dup = json;
  dup.insert(1, "\"epoch\":9,");
  Envelope e{std::string(kFleetsPayloadType), ToBytes(dup), {}};
  ASSERT_TRUE(AddSignature(e, w_.signer("org-a")).ok());
  ASSERT_TRUE(AddSignature(e, w_.signer("org-b")).ok());
  EXPECT_EQ(Code(w_.Deliver(e)), "malformed");
  // Oversized field: a 65-character fleet id, a 300-character endpoint.
  std::string long_id = json;
  long_id.replace(long_id.find("\"fleet-1\""), 9, "\"" + std::string(65, 'f') + "\"");
  Envelope e2{std::string(kFleetsPayloadType), ToBytes(long_id), {}};
  ASSERT_TRUE(AddSignature(e2, w_.signer("org-a")).ok());
  ASSERT_TRUE(AddSignature(e2, w_.signer("org-b")).ok());
  EXPECT_EQ(Code(w_.Deliver(e2)), "malformed");
  Payload p = w_.MakePayload(1);
  p.fleets[0].endpoints = {std::string(300, 'e')};
  EXPECT_FALSE(SerializePayload(p).ok());
  // Wrong payloadType (a policy update presented as a bundle).
  Envelope e3 = w_.Signed(w_.MakePayload(1));
  e3.payload_type = std::string(kPolicyPayloadType);
  EXPECT_EQ(Code(w_.Deliver(e3)), "malformed");
  // Nothing was stored by any of these.
  EXPECT_TRUE(state_.namespaces.empty());
}

TEST_F(VerifyTest, PinnedPolicyCannotVerifyBundles) {
  auto pinned = TrustPolicy::Parse("namespace example.com/app\nfleet f1 " +
                                   HexEncode(testing::TestFleetKey("x")) + "\n");
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  policy_ = std::move(*pinned);
  EXPECT_EQ(Code(w_.Deliver(w_.Signed(w_.MakePayload(1)))), "policy");
}

TEST(FindFleetTest, StatesDecideUse) {
  TrustWorld w;
  Payload p = w.MakePayload(1, {TestFleet("a"), TestFleet("b", FleetState::kRetiring),
                                TestFleet("c", FleetState::kRevoked)});
  EXPECT_EQ(FindFleet(p, TestFleet("a").opaque_public_key, FleetUse::kRegister)->id, "a");
  EXPECT_EQ(FindFleet(p, TestFleet("b").opaque_public_key, FleetUse::kRecover)->id, "b");
  EXPECT_EQ(FindFleet(p, TestFleet("b").opaque_public_key, FleetUse::kRegister).status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(FindFleet(p, TestFleet("c").opaque_public_key, FleetUse::kRecover).status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(FindFleet(p, TestFleet("zz").opaque_public_key, FleetUse::kRecover).status().code(),
            ErrorCode::kNotFound);
}

TEST(RejectionTest, CodesAreStableAndInvertible) {
  EXPECT_STREQ(RejectionCode(Rejection::kSingleOrganisation), "single-organisation");
  EXPECT_STREQ(RejectionCode(Rejection::kNotLogged), "not-logged");
  EXPECT_STREQ(RejectionCode(Rejection::kWitnessQuorum), "witness-quorum");
  EXPECT_STREQ(RejectionCode(Rejection::kSplitView), "split-view");
  for (int i = 0; i <= static_cast<int>(Rejection::kRevoked); ++i) {
    auto r = static_cast<Rejection>(i);
    EXPECT_EQ(RejectionFromCode(RejectionCode(r)), r);
  }
  EXPECT_EQ(RejectionFromCode("nope"), std::nullopt);
  RejectionInfo info{Rejection::kExpired, "old"};
  EXPECT_EQ(info.ToString(), "rejected: expired: old");
  EXPECT_EQ(info.ToStatus().code(), ErrorCode::kPermissionDenied);
}

TEST(StateTest, SaveLoadRoundTripAndStrictness) {
  keyward::testing::TempDir dir;
  auto path = dir.path() / "state.json";
  auto fresh = LoadState(path);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(*fresh, TrustState{});
  TrustWorld w;
  TrustPolicy policy = w.Policy();
  TrustState st;
  ASSERT_TRUE(VerifyBundle(policy, AsBytes(w.Deliver(w.Signed(w.MakePayload(7)))), st, kNow).ok());
  st.policy = AdoptedPolicy{2, policy.text(), crypto::Sha256(AsBytes("x"))};
  ASSERT_TRUE(SaveState(path, st).ok());
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
  auto loaded = LoadState(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*loaded, st);
  // Corrupt or unknown content is an error, never a silent reset.
  std::string text = SerializeState(st);
  EXPECT_FALSE(ParseState(text.substr(0, text.size() - 1)).ok());
  std::string extra = text;
  extra.insert(1, "\"x\":1,");
  EXPECT_FALSE(ParseState(extra).ok());
  {
    std::ofstream out(path);
    out << "{}";
  }
  EXPECT_FALSE(LoadState(path).ok());
}

}  // namespace
}  // namespace keyward::trust
