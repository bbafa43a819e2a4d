// Keyward's log against Go's reference implementation (golang.org/x/mod/sumdb/{note,tlog}), both
// directions: the Go driver reads and verifies a running `keyward log serve` over HTTP, and our
// verifier accepts the notes, proofs and tiles the Go code produces.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "logd/daemons.h"
#include "pkcs11/dev_token.h"
#include "support/subprocess.h"
#include "support/vectors.h"
#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/tiles.h"

namespace keyward::testing {
namespace {

// Runs the Go driver; returns its stdout lines; expects exit 0.
std::vector<std::string> RunDriver(std::vector<std::string> args, bool expect_ok = true) {
  SubprocessOptions o;
  o.argv = {KEYWARD_GO_DRIVER};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.pipe_stdin = false;
  auto p = Subprocess::Start(o);
  EXPECT_TRUE(p.ok()) << "cannot run the Go driver (built by the go_driver_build test): " << p.status().ToString();
  if (!p.ok()) return {};
  std::vector<std::string> lines;
  for (;;) {
    auto l = (*p)->ReadLine(std::chrono::seconds(120));
    if (!l.ok()) break;
    lines.push_back(*l);
  }
  auto st = (*p)->Wait(std::chrono::seconds(60));
  EXPECT_TRUE(st.ok());
  if (st.ok()) {
    EXPECT_EQ(WIFEXITED(*st) && WEXITSTATUS(*st) == 0, expect_ok) << "driver " << args[0];
  }
  return lines;
}

std::vector<tlog::Hash> Hashes(const nlohmann::json& arr) {
  std::vector<tlog::Hash> out;
  for (const auto& s : arr) out.push_back(*tlog::HashFromBase64(s.get<std::string>()));
  return out;
}

TEST(GoInterop, OurVerifierAcceptsGoNotesProofsAndTiles) {
  auto lines = RunDriver({"emit", "-n", "70000"});
  ASSERT_EQ(lines.size(), 1u);
  auto j = nlohmann::json::parse(lines[0]);
  // Go's signer key format is ours: the key parses and yields the same verifier key.
  auto skey = tlog::ParseSignerKey(j["skey"].get<std::string>());
  ASSERT_TRUE(skey.ok()) << skey.status().ToString();
  EXPECT_EQ(tlog::Ed25519VerifierKeyString(skey->name, tlog::kSigTypeEd25519, skey->key->public_key()),
            j["vkey"].get<std::string>());
  auto v = tlog::NoteVerifierFromKey(j["vkey"].get<std::string>());
  ASSERT_TRUE(v.ok());
  auto cp = tlog::OpenCheckpoint(j["note"].get<std::string>(), tlog::NoteVerifierSet({*v}), tlog::NoteVerifierSet());
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  ASSERT_EQ(cp->checkpoint.size, 70000u);
  // Our hashing of the records gives Go's root, and our stored hashes give Go's tiles.
  tlog::MemoryHashStore store;
  for (const auto& r : j["records"]) store.AppendRecord(AsBytes(r.get<std::string>()));
  EXPECT_EQ(*tlog::TreeHash(70000, store), cp->checkpoint.root);
  size_t proofs = 0;
  for (const auto& inc : j["inclusion"]) {
    uint64_t i = inc["index"];
    auto leaf = tlog::LeafHash(AsBytes(j["records"][i].get<std::string>()));
    EXPECT_TRUE(tlog::VerifyInclusion(i, 70000, leaf, Hashes(inc["proof"]), cp->checkpoint.root).ok()) << i;
    EXPECT_EQ(*tlog::InclusionProof(i, 70000, store), Hashes(inc["proof"]));
    ++proofs;
  }
  for (const auto& c : j["consistency"]) {
    uint64_t old = c["old"];
    auto old_root = *tlog::HashFromBase64(c["old_root"].get<std::string>());
    EXPECT_TRUE(tlog::VerifyConsistency(old, 70000, old_root, cp->checkpoint.root, Hashes(c["proof"]),
                                        tlog::ConsistencyFromZero::kReject).ok()) << old;
    ++proofs;
  }
  EXPECT_EQ(proofs, 12u);
  size_t tiles = 0;
  for (const auto& t : j["tiles"]) {
    auto tile = tlog::ParseTilePath(t["path"].get<std::string>());
    ASSERT_TRUE(tile.ok()) << t["path"];
    auto data = Base64Decode(t["data"].get<std::string>());
    ASSERT_TRUE(data.ok());
    EXPECT_EQ(*tlog::ReadHashTileData(*tile, store), *data) << t["path"];
    ++tiles;
  }
  // Go lists every tile a 0→70000 append touches (its NewTiles), a superset of the final tiles.
  EXPECT_GE(tiles, tlog::HashTilesForSize(70000).size());
}

TEST(GoInterop, GoVerifiesARunningLogAndUsesOurKeys) {
  TempDir dir;
  std::string vkey = KeygenCli("interop.keyward.example/log", dir.path() / "log.key");
  ASSERT_FALSE(vkey.empty());
  // Go's note.NewSigner loads our key file and its signature verifies with our vkey.
  auto sign = RunDriver({"sign", "-skey", (dir.path() / "log.key").string(), "-vkey", vkey});
  ASSERT_EQ(sign.size(), 1u);
  EXPECT_EQ(sign[0], "OK name=interop.keyward.example/log");

  {
    std::ofstream(dir.path() / "tokens") << "tok\n";
  }
  auto log = StartDaemon({"log", "serve", "--dir", (dir.path() / "log").string(), "--key",
                          (dir.path() / "log.key").string(), "--token-file", (dir.path() / "tokens").string()});
  ASSERT_FALSE(log.url.empty());
  EXPECT_EQ(log.vkey, vkey);
  for (int i = 0; i < 300; ++i) ASSERT_EQ(AddEntry(log.url, "first " + std::to_string(i), "tok").status, 200);
  auto first = RunDriver({"check-log", "-url", log.url, "-vkey", vkey, "-samples", "30", "-save",
                          (dir.path() / "old.note").string()});
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.back(), "OK size=300 samples=30 consistent_from=none");
  // Grow past several tile boundaries in uneven batches, then prove consistency in Go.
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) EXPECT_EQ(AddEntry(log.url, "t" + std::to_string(t) + " " + std::to_string(i), "tok").status, 200);
    });
  }
  for (auto& t : threads) t.join();
  auto second = RunDriver({"check-log", "-url", log.url, "-vkey", vkey, "-samples", "50", "-old",
                           (dir.path() / "old.note").string()});
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(second.back(), "OK size=1100 samples=50 consistent_from=300");
  // A wrong key is rejected by Go.
  std::string other = KeygenCli("interop.keyward.example/log", dir.path() / "other.key");
  RunDriver({"check-log", "-url", log.url, "-vkey", other}, /*expect_ok=*/false);
}

// The log key inside a real SoftHSM2 token (keygen --token-label): Go verifies the checkpoints it
// signed with CKM_EDDSA and checks inclusion and tiles.
TEST(GoInterop, GoVerifiesALogSigningInAPkcs11Token) {
  TempDir dir;
  Status s = pkcs11::EnsureSoftHsmDevToken(dir.path() / "hsm", "go-token",
                                           crypto::SecretBytes(AsBytes(std::string_view("so-pin-3"))),
                                           crypto::SecretBytes(AsBytes(std::string_view("user-pin-3"))));
  ASSERT_TRUE(s.ok()) << s.ToString();
  ::setenv("KW_GO_TEST_PIN", "user-pin-3", 1);
  SubprocessOptions o;
  o.argv = {KeywardBinary(), "keygen", "--name", "hsm.interop.keyward.example/log", "--out",
            (dir.path() / "log.ref").string(), "--token-label", "go-token", "--pin-env", "KW_GO_TEST_PIN"};
  o.pipe_stdin = false;
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok());
  auto vkey = (*p)->ReadLine(std::chrono::seconds(60));
  ASSERT_TRUE(vkey.ok());
  {
    std::ofstream(dir.path() / "tokens") << "tok\n";
  }
  auto log = StartDaemon({"log", "serve", "--dir", (dir.path() / "log").string(), "--key",
                          (dir.path() / "log.ref").string(), "--token-file", (dir.path() / "tokens").string()});
  ASSERT_FALSE(log.url.empty());
  EXPECT_EQ(log.vkey, *vkey);
  for (int i = 0; i < 40; ++i) ASSERT_EQ(AddEntry(log.url, "hsm " + std::to_string(i), "tok").status, 200);
  auto out = RunDriver({"check-log", "-url", log.url, "-vkey", *vkey, "-samples", "10"});
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), "OK size=40 samples=10 consistent_from=none");
}

}  // namespace
}  // namespace keyward::testing
