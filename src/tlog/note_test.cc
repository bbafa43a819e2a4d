#include "tlog/note.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "crypto/random.h"
#include "support/vectors.h"
#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"

namespace keyward::tlog {
namespace {

using keyward::testing::LoadJson;
using keyward::testing::VectorCase;

std::shared_ptr<const NoteVerifier> V(std::string_view vkey) {
  auto v = NoteVerifierFromKey(vkey);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : nullptr;
}

// golang/mod sumdb/note and sumdb/tlog goldens (testdata/vectors/golang-mod-sumdb-note-golden.json).
TEST(NoteGolden, GoSumdbNote) {
  auto j = LoadJson("vectors/golang-mod-sumdb-note-golden.json");
  VectorCase c(j, "golang-mod-sumdb-note-golden.json");
  c.Ignore("_source");
  c.Ignore("rules");  // prose restating the rules tested below

  // Signer key → the same verifier key (Go NewSigner / NewVerifier).
  auto skey = ParseSignerKey(c.StringField("signer_key"));
  ASSERT_TRUE(skey.ok()) << skey.status().ToString();
  EXPECT_EQ(skey->name, "PeterNeumann");
  EXPECT_EQ(skey->key_id, 0xc74f20a3u);
  const std::string peter_vkey = c.StringField("verifier_key_peter");
  EXPECT_EQ(Ed25519VerifierKeyString(skey->name, kSigTypeEd25519, skey->key->public_key()), peter_vkey);
  auto reformatted = FormatSignerKey(skey->name, *skey->key);
  EXPECT_EQ(std::string(AsChars(reformatted.Reveal())), c.StringField("signer_key"));

  // Signing is deterministic (Ed25519): we reproduce Go's signed note byte for byte.
  Ed25519NoteSigner signer(skey->name, skey->key);
  const NoteSigner* signers[] = {&signer};
  auto signed_note = SignNote(c.StringField("note_text"), signers);
  ASSERT_TRUE(signed_note.ok());
  const std::string want = c.StringField("signed_note_peter");
  EXPECT_EQ(*signed_note, want);

  // Open with Peter; with Peter and Enoch on a note carrying both; with only Enoch.
  NoteVerifierSet peter({V(peter_vkey)});
  auto opened = OpenNote(want, peter);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->text, c.StringField("note_text"));
  ASSERT_EQ(opened->verified.size(), 1u);
  EXPECT_EQ(opened->verified[0].name, "PeterNeumann");

  const std::string both = want + c.StringField("sig_line_enoch");
  auto enoch = V(c.StringField("verifier_key_enoch"));
  NoteVerifierSet peter_enoch({V(peter_vkey), enoch});
  auto opened2 = OpenNote(both, peter_enoch);
  ASSERT_TRUE(opened2.ok()) << opened2.status().ToString();
  EXPECT_EQ(opened2->verified.size(), 2u);
  auto opened3 = OpenNote(both, NoteVerifierSet({enoch}));
  ASSERT_TRUE(opened3.ok());
  EXPECT_EQ(opened3->verified.size(), 1u);
  EXPECT_EQ(opened3->unverified.size(), 1u);
  // Unknown keys only → reject.
  EXPECT_FALSE(OpenNote(want, NoteVerifierSet({enoch})).ok());

  // Tampered text → the known key fails → reject.
  std::string tampered = want;
  tampered[0] = 'i';
  EXPECT_EQ(OpenNote(tampered, peter).status().code(), ErrorCode::kAuthenticationFailed);

  // sumdb/tlog tree note: "go.sum database tree" is an origin line to the generic parser.
  const auto& tree = c.Field("tlog_tree_note");
  EXPECT_EQ(tree["record_hash_rule"], "SHA-256(0x00 || data) (RFC 6962 leaf hash)");
  Checkpoint cp{"go.sum database tree", tree["N"].get<uint64_t>(),
                LeafHash(AsBytes(tree["record_hash_input"].get<std::string>())), {}};
  EXPECT_EQ(FormatCheckpoint(cp), tree["formatted"].get<std::string>());
  auto parsed = ParseCheckpoint(tree["formatted"].get<std::string>());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, cp);
  const auto& bad = tree["bad_examples"];
  ASSERT_EQ(bad.size(), 3u);
  auto bad0 = ParseCheckpoint(bad[0].get<std::string>());  // wrong origin: generic parse, origin differs
  ASSERT_TRUE(bad0.ok());
  EXPECT_NE(bad0->origin, "go.sum database tree");
  EXPECT_FALSE(ParseCheckpoint(bad[1].get<std::string>()).ok());  // 0xabcdef size
  EXPECT_FALSE(ParseCheckpoint(bad[2].get<std::string>()).ok());  // bad base64

  // The C2SP tlog-checkpoint example parses (its key is not published; syntax only).
  auto ex = ParseNote(c.StringField("c2sp_checkpoint_example (C2SP/C2SP tlog-checkpoint.md)"));
  ASSERT_TRUE(ex.ok());
  auto excp = ParseCheckpoint(ex->text);
  ASSERT_TRUE(excp.ok());
  EXPECT_EQ(excp->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(excp->size, 20852163u);
  ASSERT_EQ(ex->signatures.size(), 1u);
  c.ExpectAllFieldsUsed();
}

// C2SP signed-note spec example.
TEST(NoteSpec, SignedNoteExample) {
  auto v = V("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
  const std::string note =
      "This is an example message.\n\n"
      "\xE2\x80\x94 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
  auto opened = OpenNote(note, NoteVerifierSet({v}));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->text, "This is an example message.\n");
}

// C2SP tlog-cosignature example line: key ID 8d66cf3f, timestamp 1679315147.
TEST(CosignatureSpec, ExampleLineDecodes) {
  auto sig = ParseSignatureLine(
      "\xE2\x80\x94 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==");
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_EQ(sig->name, "witness.example.com/w1");
  EXPECT_EQ(sig->key_id, 0x8d66cf3fu);
  auto cosig = ParseCosignature(sig->signature);
  ASSERT_TRUE(cosig.ok());
  EXPECT_EQ(cosig->timestamp, 1679315147u);
}

TEST(Note, MalformedNotesAreRejected) {
  crypto::DeterministicRng rng(7);
  auto key = std::make_shared<crypto::Ed25519PrivateKey>(crypto::Ed25519PrivateKey::Generate(rng));
  Ed25519NoteSigner signer("example.com/log", key);
  NoteVerifierSet known({V(signer.VerifierKeyString())});
  const NoteSigner* signers[] = {&signer};
  std::string good = *SignNote("hello\n", signers);
  ASSERT_TRUE(OpenNote(good, known).ok());

  EXPECT_FALSE(OpenNote("hello\n", known).ok());                  // no signature block
  EXPECT_FALSE(OpenNote(good.substr(0, good.size() - 1), known).ok());  // no final newline
  EXPECT_FALSE(OpenNote("he\tllo" + good.substr(5), known).ok());  // control character
  EXPECT_FALSE(OpenNote("h\xffllo" + good.substr(5), known).ok());  // invalid UTF-8
  std::string dash = good;
  dash.replace(dash.find("\xE2\x80\x94"), 3, "-");
  EXPECT_FALSE(OpenNote(dash, known).ok());  // wrong dash
  EXPECT_FALSE(SignNote("no newline", signers).ok());
  EXPECT_FALSE(SignNote("tab\there\n", signers).ok());

  // Text may contain empty lines: the LAST empty line separates signatures.
  std::string multi = *SignNote("a\n\nb\n", signers);
  auto opened = OpenNote(multi, known);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->text, "a\n\nb\n");

  // Unknown signatures are ignored, up to 100 lines in total; 101 is rejected.
  std::string many = good;
  for (int i = 0; i < 99; ++i) {
    many += FormatSignatureLine({"other" + std::to_string(i), static_cast<uint32_t>(i), Bytes(64, 1)});
  }
  EXPECT_TRUE(OpenNote(many, known).ok());
  many += FormatSignatureLine({"one-too-many", 1, Bytes(64, 1)});
  EXPECT_FALSE(OpenNote(many, known).ok());

  // Key names.
  EXPECT_TRUE(IsValidKeyName("example.com/log"));
  EXPECT_FALSE(IsValidKeyName(""));
  EXPECT_FALSE(IsValidKeyName("a+b"));
  EXPECT_FALSE(IsValidKeyName("a b"));
  EXPECT_FALSE(IsValidKeyName("a\xE3\x80\x80" "b"));  // U+3000 ideographic space
}

TEST(Note, VerifierKeyParsingIsStrict) {
  const std::string good = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  ASSERT_TRUE(ParseVerifierKey(good).ok());
  EXPECT_EQ(FormatVerifierKey(*ParseVerifierKey(good)), good);
  EXPECT_FALSE(ParseVerifierKey("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
  EXPECT_FALSE(ParseVerifierKey("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
  EXPECT_FALSE(ParseVerifierKey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10").ok());
  EXPECT_FALSE(ParseVerifierKey("PeterNeumann+c74f20a3").ok());
  EXPECT_FALSE(ParseVerifierKey("").ok());
  EXPECT_FALSE(ParseSignerKey("PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz").ok());
}

RC_GTEST_PROP(NoteProperty, SignParseVerifyRoundTrip, ()) {
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  crypto::DeterministicRng rng(seed);
  auto gen = GenerateNoteKey("example.com/prop", rng);
  RC_ASSERT(gen.ok());
  auto skey = ParseSignerKey(AsChars(gen->signer_key.Reveal()));
  RC_ASSERT(skey.ok());
  Ed25519NoteSigner signer(skey->name, skey->key);
  RC_ASSERT(signer.VerifierKeyString() == gen->verifier_key);
  auto lines = *rc::gen::container<std::vector<std::string>>(
      rc::gen::container<std::string>(rc::gen::inRange<char>(0x20, 0x7f)));
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  if (text.empty()) text = "x\n";
  const NoteSigner* signers[] = {&signer};
  auto note = SignNote(text, signers);
  RC_ASSERT(note.ok());
  NoteVerifierSet known({V(gen->verifier_key)});
  auto opened = OpenNote(*note, known);
  RC_ASSERT(opened.ok());
  RC_ASSERT(opened->text == text);
  auto parsed = ParseNote(*note);
  RC_ASSERT(parsed.ok());
  RC_ASSERT(FormatNote(*parsed) == *note);
  // Flip one byte of the text: never verifies.
  std::string bad = *note;
  size_t pos = *rc::gen::inRange<size_t>(0, text.size());
  bad[pos] = bad[pos] == 'a' ? 'b' : 'a';
  if (bad != *note) RC_ASSERT(!OpenNote(bad, known).ok());
}

}  // namespace
}  // namespace keyward::tlog
