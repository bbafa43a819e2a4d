// Tests for checkpoints, cosignatures, tlog-policy, tlog-proof files and the witness decision,
// using one small log with a log key and three witnesses.
#include "tlog/proof_file.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "crypto/random.h"
#include "tlog/cosignature.h"
#include "tlog/policy.h"
#include "tlog/witness_check.h"

namespace keyward::tlog {
namespace {

std::shared_ptr<const crypto::Ed25519PrivateKey> Key(uint64_t seed) {
  crypto::DeterministicRng rng(seed);
  return std::make_shared<const crypto::Ed25519PrivateKey>(crypto::Ed25519PrivateKey::Generate(rng));
}

struct Fixture {
  static constexpr char kOrigin[] = "example.com/keyward-log";
  Ed25519NoteSigner log{kOrigin, Key(1)};
  Cosigner w1{"witness.example/w1", Key(2)};
  Cosigner w2{"witness.example/w2", Key(3)};
  Cosigner w3{"witness.example/w3", Key(4)};
  MemoryHashStore store;
  std::vector<Bytes> entries;

  Fixture() {
    for (int i = 0; i < 100; ++i) {
      entries.push_back(ToBytes("entry " + std::to_string(i)));
      store.AppendRecord(entries.back());
    }
  }
  std::string PolicyText(const std::string& quorum_lines) const {
    return "# test policy\nlog " + log.VerifierKeyString() + " https://log.example/\n" +
           "witness W1 " + w1.VerifierKeyString() + "\n" + "  witness\tW2 " + w2.VerifierKeyString() +
           "\nwitness W3 " + w3.VerifierKeyString() + "\n\n" + quorum_lines;
  }
  Checkpoint At(uint64_t size) { return Checkpoint{kOrigin, size, *TreeHash(size, store), {}}; }
  // Checkpoint note of `size` signed by the log and cosigned by the given witnesses at time 1700000000.
  std::string Signed(uint64_t size, std::vector<const Cosigner*> witnesses) {
    std::string note = *SignCheckpoint(At(size), log);
    std::string body = FormatCheckpoint(At(size));
    for (const Cosigner* w : witnesses) note += FormatSignatureLine(*w->Cosign(body, 1700000000));
    return note;
  }
  TlogProof ProofFor(uint64_t index, uint64_t size, std::vector<const Cosigner*> witnesses) {
    return TlogProof{std::nullopt, index, *InclusionProof(index, size, store), Signed(size, witnesses)};
  }
};

TEST(Checkpoint, ParseFormatAndStrictness) {
  Checkpoint c{"example.com/log", 20852163, LeafHash(AsBytes("x")), {"ext one"}};
  std::string body = FormatCheckpoint(c);
  EXPECT_EQ(*ParseCheckpoint(body), c);
  const std::string root = HashToBase64(c.root);
  for (const std::string& bad :
       {std::string("example.com/log\n020852163\n") + root + "\n", std::string("example.com/log\n-1\n") + root + "\n",
        std::string("example.com/log\n18446744073709551616\n") + root + "\n",
        std::string("\n1\n") + root + "\n", std::string("example.com/log\n1\n") + root,
        std::string("example.com/log\n1\n") + root + "\n\n", std::string("example.com/log\n1\n"),
        std::string("example.com/log\n1\nAAAA\n"), std::string("example.com/log\n1\n") + root + "=\n"}) {
    EXPECT_FALSE(ParseCheckpoint(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseCheckpoint("o\n18446744073709551615\n" + root + "\n")->size, UINT64_MAX);
  EXPECT_EQ(ParseCheckpoint("o\n0\n" + root + "\n")->size, 0u);
}

TEST(Checkpoint, OpenRequiresOriginLogKeyAndRejectsBadCosignature) {
  Fixture f;
  auto policy = *Policy::Parse(f.PolicyText("quorum none\n"));
  std::string note = f.Signed(10, {&f.w1, &f.w2});
  auto cp = OpenCheckpoint(note, policy.LogVerifiers(), policy.WitnessVerifiers());
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->checkpoint.size, 10u);
  EXPECT_EQ(cp->cosignatures.size(), 2u);
  EXPECT_EQ(policy.WitnessNamesFor(cp->cosignatures), (std::vector<std::string>{"W1", "W2"}));
  auto ts = ParseCosignature(cp->cosignatures[0].signature);
  EXPECT_EQ(ts->timestamp, 1700000000u);

  // A cosignature for another checkpoint body under a known witness key → the note is rejected.
  std::string other_body = FormatCheckpoint(f.At(11));
  std::string bad = *SignCheckpoint(f.At(10), f.log) + FormatSignatureLine(*f.w3.Cosign(other_body, 1));
  EXPECT_EQ(OpenCheckpoint(bad, policy.LogVerifiers(), policy.WitnessVerifiers()).status().code(),
            ErrorCode::kAuthenticationFailed);
  // Only witness signatures, no log signature → rejected.
  std::string body = FormatCheckpoint(f.At(10));
  std::string witness_only = body + "\n" + FormatSignatureLine(*f.w1.Cosign(body, 5));
  EXPECT_FALSE(OpenCheckpoint(witness_only, policy.LogVerifiers(), policy.WitnessVerifiers()).ok());
  // Log key for a different origin → NotFound.
  Ed25519NoteSigner other("example.com/other", Key(1));
  EXPECT_EQ(OpenCheckpoint(*SignCheckpoint(Checkpoint{"example.com/other", 1, f.At(1).root, {}}, other),
                           policy.LogVerifiers(), policy.WitnessVerifiers()).status().code(),
            ErrorCode::kNotFound);
  // Cosignature timestamps are signed: changing one breaks the signature.
  auto sig = *f.w1.Cosign(body, 5);
  sig.signature[7] ^= 1;
  CosignatureVerifier w1v("witness.example/w1", Key(2)->public_key());
  EXPECT_FALSE(w1v.Verify(body, sig.signature));
  sig.signature[7] ^= 1;
  EXPECT_TRUE(w1v.Verify(body, sig.signature));
}

// tlog-policy spec example: X-witnesses 2-of-3, Y-witnesses any-of-3, quorum X-and-Y.
TEST(Policy, SpecExampleQuorum) {
  std::string text;
  text += "log " + Ed25519NoteSigner("example.com/log", Key(10)).VerifierKeyString() + "\n\n";
  for (int i = 1; i <= 3; ++i) {
    text += "witness X" + std::to_string(i) + " " + Cosigner("x" + std::to_string(i), Key(10 + i)).VerifierKeyString() + "\n";
  }
  text += "group X-witnesses 2 X1 X2 X3\n\n";
  for (int i = 1; i <= 3; ++i) {
    text += "witness Y" + std::to_string(i) + " " + Cosigner("y" + std::to_string(i), Key(20 + i)).VerifierKeyString() + "\n";
  }
  text += "group Y-witnesses any Y1 Y2 Y3\n\ngroup X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n";
  auto p = Policy::Parse(text);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->witnesses().size(), 6u);
  EXPECT_TRUE(p->QuorumSatisfied({"X1", "X3", "Y2"}));
  EXPECT_FALSE(p->QuorumSatisfied({"X1", "Y2", "Y3"}));
  EXPECT_FALSE(p->QuorumSatisfied({"X1", "X2", "X3"}));
  EXPECT_FALSE(p->QuorumSatisfied({}));
  EXPECT_FALSE(p->QuorumSatisfied({"X1", "X2", "X-witnesses", "Y-witnesses"}));  // groups are not leaves
  // Format → Parse round trip.
  auto again = Policy::Parse(p->Format());
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << p->Format();
  EXPECT_EQ(again->Format(), p->Format());
}

TEST(Policy, RejectsMalformedPolicies) {
  const std::string log = "log " + Ed25519NoteSigner("example.com/log", Key(10)).VerifierKeyString() + "\n";
  const std::string w1 = "witness A " + Cosigner("a", Key(11)).VerifierKeyString() + "\n";
  const std::string w2 = "witness B " + Cosigner("b", Key(12)).VerifierKeyString() + "\n";
  EXPECT_TRUE(Policy::Parse(log + "quorum none\n").ok());
  EXPECT_TRUE(Policy::Parse(w1 + "quorum A").ok());  // no logs is allowed; missing final newline tolerated
  for (const std::string& bad : {
           log,                                                         // no quorum
           log + "quorum none\nquorum none\n",                          // two quorums
           log + "quorum A\n" + w1,                                     // quorum before definition
           w1 + w2 + "group G 3 A B\nquorum G\n",                       // k > n
           w1 + w2 + "group G 0 A B\nquorum G\n",                       // k = 0
           w1 + w2 + "group G any A A\nquorum G\n",                     // member twice
           w1 + w2 + "group G any A\ngroup H any A B\nquorum H\n",      // member in two groups
           w1 + "group G any B\nquorum G\n",                            // undefined member
           w1 + "group G any\nquorum G\n",                              // no members
           w1 + "witness A " + Cosigner("c", Key(13)).VerifierKeyString() + "\nquorum A\n",  // duplicate name
           w1 + "witness C " + Cosigner("c", Key(11)).VerifierKeyString() + "\nquorum A\n",  // duplicate key
           log + log + "quorum none\n",                                 // duplicate log
           "log " + Cosigner("l", Key(14)).VerifierKeyString() + "\nquorum none\n",  // wrong key type for log
           "witness A " + Ed25519NoteSigner("a", Key(15)).VerifierKeyString() + "\nquorum A\n",  // wrong type
           "witness none " + Cosigner("n", Key(16)).VerifierKeyString() + "\nquorum none\n",  // reserved
           log + "quorum none\nfrobnicate\n",                           // unknown line
           log + "quorum\tnone extra\n",                                // extra field
           log + "quorum none\n\x01\n",                                 // control character
           w1 + "group G all A\ngroup G2 any G\ngroup G3 any G\nquorum G3\n",  // group reused
       }) {
    EXPECT_FALSE(Policy::Parse(bad).ok()) << bad;
  }
  auto e = Policy::Parse(log + "quorum A\n");
  EXPECT_NE(e.status().message().find("policy line 2"), std::string::npos) << e.status().message();
}

TEST(TlogProof, VerifyWithThreeWitnessQuorum) {
  Fixture f;
  auto policy = *Policy::Parse(f.PolicyText("group all-three all W1 W2 W3\nquorum all-three\n"));
  TlogProof proof = f.ProofFor(42, 100, {&f.w1, &f.w2, &f.w3});
  proof.extra = ToBytes("opaque");
  std::string text = FormatTlogProof(proof);
  auto parsed = ParseTlogProof(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, proof);
  Hash leaf = LeafHash(f.entries[42]);
  auto v = VerifyTlogProofText(text, leaf, policy);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->witnesses.size(), 3u);
  EXPECT_EQ(v->index, 42u);

  // Wrong leaf, wrong index, missing witness, tampered proof hash.
  EXPECT_FALSE(VerifyTlogProof(proof, LeafHash(f.entries[41]), policy).ok());
  TlogProof wrong_index = proof;
  wrong_index.index = 43;
  EXPECT_FALSE(VerifyTlogProof(wrong_index, leaf, policy).ok());
  TlogProof two = f.ProofFor(42, 100, {&f.w1, &f.w3});
  auto s = VerifyTlogProof(two, leaf, policy);
  EXPECT_EQ(s.status().code(), ErrorCode::kAuthenticationFailed);
  EXPECT_NE(s.status().message().find("quorum"), std::string::npos);
  auto two_of_three = *Policy::Parse(f.PolicyText("group g 2 W1 W2 W3\nquorum g\n"));
  EXPECT_TRUE(VerifyTlogProof(two, leaf, two_of_three).ok());
  TlogProof tampered = proof;
  tampered.inclusion[0][0] ^= 1;
  EXPECT_FALSE(VerifyTlogProof(tampered, leaf, policy).ok());
}

TEST(TlogProof, ParserIsStrict) {
  Fixture f;
  std::string good = FormatTlogProof(f.ProofFor(3, 10, {&f.w1}));
  ASSERT_TRUE(ParseTlogProof(good).ok());
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_FALSE(ParseTlogProof(replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2")).ok());
  EXPECT_FALSE(ParseTlogProof(replace("index 3", "index 03")).ok());
  EXPECT_FALSE(ParseTlogProof(replace("index 3", "index  3")).ok());
  EXPECT_FALSE(ParseTlogProof(replace("index 3\n", "index 3\nextra AAAA\n")).ok());  // extra after index
  EXPECT_TRUE(ParseTlogProof(replace("index 3\n", "extra AAAA\nindex 3\n")).ok());
  EXPECT_FALSE(ParseTlogProof(replace("index 3\n", "extra AA=A\nindex 3\n")).ok());
  EXPECT_FALSE(ParseTlogProof(good.substr(0, good.find("\n\n") + 1)).ok());  // no checkpoint
  EXPECT_FALSE(ParseTlogProof(replace("index 3\n", "index 3\nAAAA\n")).ok());  // short hash
}

// C2SP tlog-witness add-checkpoint: every status the spec mandates.
TEST(WitnessCheck, StatusCodes) {
  Fixture f;
  WitnessedLog state;
  state.log_keys.Add(*Ed25519NoteVerifier::FromVerifierKey(f.log.VerifierKeyString()));
  state.size = 0;
  state.root = EmptyTreeHash();
  auto lookup = [&](std::string_view origin) -> const WitnessedLog* {
    return origin == Fixture::kOrigin ? &state : nullptr;
  };
  auto body = [&](uint64_t old_size, uint64_t size, std::vector<Hash> proof) {
    return FormatAddCheckpointRequest({old_size, std::move(proof), f.Signed(size, {})});
  };
  // First contact: old 0, empty proof → 200.
  auto d = EvaluateAddCheckpoint(body(0, 10, {}), lookup);
  EXPECT_EQ(d.http_status, 200) << d.message;
  ASSERT_TRUE(d.checkpoint.has_value());
  state.size = 10;
  state.root = d.checkpoint->checkpoint.root;
  // Consistent growth 10 → 50.
  EXPECT_EQ(EvaluateAddCheckpoint(body(10, 50, *ConsistencyProof(10, 50, f.store)), lookup).http_status, 200);
  // Same size, same root → 200; bad proof → 422; old > new → 400; stale old → 409 with size.
  EXPECT_EQ(EvaluateAddCheckpoint(body(10, 10, {}), lookup).http_status, 200);
  EXPECT_EQ(EvaluateAddCheckpoint(body(10, 50, *ConsistencyProof(11, 50, f.store)), lookup).http_status, 422);
  EXPECT_EQ(EvaluateAddCheckpoint(body(11, 10, {}), lookup).http_status, 400);
  auto conflict = EvaluateAddCheckpoint(body(0, 50, {}), lookup);
  EXPECT_EQ(conflict.http_status, 409);
  EXPECT_EQ(conflict.conflict_size, 10u);
  // Unknown origin → 404; unsigned / wrongly signed → 403; garbage → 400.
  Ed25519NoteSigner stranger(Fixture::kOrigin, Key(99));
  std::string forged = *SignCheckpoint(f.At(50), stranger);
  EXPECT_EQ(EvaluateAddCheckpoint("old 10\n\n" + forged, lookup).http_status, 403);
  Ed25519NoteSigner other_log("example.com/other", Key(1));
  std::string other = *SignCheckpoint(Checkpoint{"example.com/other", 1, f.At(1).root, {}}, other_log);
  EXPECT_EQ(EvaluateAddCheckpoint("old 0\n\n" + other, lookup).http_status, 404);
  EXPECT_EQ(EvaluateAddCheckpoint("old 010\n\n" + f.Signed(10, {}), lookup).http_status, 400);
  EXPECT_EQ(EvaluateAddCheckpoint("garbage", lookup).http_status, 400);
  // Size-0 checkpoint with a non-empty root → 422; proof from old 0 must be empty → 422.
  state.size = 0;
  state.root = EmptyTreeHash();
  std::string zero_bad = *SignCheckpoint(Checkpoint{Fixture::kOrigin, 0, f.At(1).root, {}}, f.log);
  EXPECT_EQ(EvaluateAddCheckpoint("old 0\n\n" + zero_bad, lookup).http_status, 422);
  EXPECT_EQ(EvaluateAddCheckpoint(body(0, 10, {f.At(1).root}), lookup).http_status, 422);
  std::string zero_ok = *SignCheckpoint(Checkpoint{Fixture::kOrigin, 0, EmptyTreeHash(), {}}, f.log);
  EXPECT_EQ(EvaluateAddCheckpoint("old 0\n\n" + zero_ok, lookup).http_status, 200);
  // Same size, different root → 422.
  state.size = 10;
  state.root = f.At(9).root;
  EXPECT_EQ(EvaluateAddCheckpoint(body(10, 10, {}), lookup).http_status, 422);
}

RC_GTEST_PROP(GroupSetProperty, ThresholdMatchesCount, ()) {
  const size_t n = *rc::gen::inRange<size_t>(1, 20);
  const size_t k = *rc::gen::inRange<size_t>(1, n + 1);
  GroupSet g;
  std::vector<std::string> members;
  for (size_t i = 0; i < n; ++i) {
    members.push_back("w" + std::to_string(i));
    RC_ASSERT(g.AddLeaf(members.back()).ok());
  }
  RC_ASSERT(g.AddGroup("q", k, members).ok());
  std::set<std::string> present;
  for (const auto& m : members) {
    if (*rc::gen::arbitrary<bool>()) present.insert(m);
  }
  RC_ASSERT(g.Satisfied("q", present) == (present.size() >= k));
}

}  // namespace
}  // namespace keyward::tlog
