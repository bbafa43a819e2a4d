#include "tlog/merkle.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "support/vectors.h"

namespace keyward::tlog {
namespace {

using keyward::testing::LoadJson;
using keyward::testing::TestDataPath;
using keyward::testing::VectorCase;

Bytes B64(const nlohmann::json& v) {
  if (v.is_null()) return {};
  auto b = Base64Decode(v.get<std::string>());
  EXPECT_TRUE(b.ok()) << v;
  return b.ok() ? *b : Bytes{};
}

std::vector<Bytes> B64List(const nlohmann::json& v) {
  std::vector<Bytes> out;
  if (v.is_null()) return out;
  for (const auto& e : v) out.push_back(B64(e));
  return out;
}

std::vector<std::string> JsonFilesUnder(const std::string& rel) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(TestDataPath(rel))) {
    if (e.is_regular_file() && e.path().extension() == ".json") {
      files.push_back(std::filesystem::relative(e.path(), TestDataPath("")).string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

constexpr char kMerkleDir[] = "vectors/transparency-dev-merkle/testdata/";

// transparency-dev/merkle: 518 files in 4 directories. We implement inclusion and consistency
// (98 + 98); subtree proofs (subtreeinclusion 204, subtreeconsistency 118) are not implemented and
// are skipped, and this test pins exactly which files that is.
TEST(MerkleVectors, CountsAndSkippedSubtreeDirs) {
  EXPECT_EQ(JsonFilesUnder(std::string(kMerkleDir) + "inclusion").size(), 98u);
  EXPECT_EQ(JsonFilesUnder(std::string(kMerkleDir) + "consistency").size(), 98u);
  EXPECT_EQ(JsonFilesUnder(std::string(kMerkleDir) + "subtreeinclusion").size(), 204u);
  EXPECT_EQ(JsonFilesUnder(std::string(kMerkleDir) + "subtreeconsistency").size(), 118u);
  EXPECT_EQ(JsonFilesUnder(kMerkleDir).size(), 518u);
}

TEST(MerkleVectors, Inclusion) {
  int pass = 0, fail = 0;
  for (const auto& file : JsonFilesUnder(std::string(kMerkleDir) + "inclusion")) {
    auto j = LoadJson(file);
    VectorCase c(j, file);
    c.Ignore("desc");
    uint64_t index = c.Field("leafIdx").get<uint64_t>();
    uint64_t size = c.Field("treeSize").get<uint64_t>();
    Bytes leaf = B64(c.Field("leafHash"));
    Bytes root = B64(c.Field("root"));
    auto proof = B64List(c.Field("proof"));
    bool want_err = c.Field("wantErr").get<bool>();
    Status s = VerifyInclusionBytes(index, size, leaf, proof, root);
    EXPECT_EQ(!s.ok(), want_err) << file << ": " << s.ToString();
    (want_err ? fail : pass)++;
    c.ExpectAllFieldsUsed();
  }
  EXPECT_EQ(pass + fail, 98);
  EXPECT_GT(pass, 0);
  EXPECT_GT(fail, 0);
}

TEST(MerkleVectors, Consistency) {
  int n = 0;
  for (const auto& file : JsonFilesUnder(std::string(kMerkleDir) + "consistency")) {
    auto j = LoadJson(file);
    VectorCase c(j, file);
    c.Ignore("desc");
    uint64_t size1 = c.Field("size1").get<uint64_t>();
    uint64_t size2 = c.Field("size2").get<uint64_t>();
    Bytes root1 = B64(c.Field("root1"));
    Bytes root2 = B64(c.Field("root2"));
    auto proof = B64List(c.Field("proof"));
    bool want_err = c.Field("wantErr").get<bool>();
    Status s = VerifyConsistencyBytes(size1, size2, root1, root2, proof, ConsistencyFromZero::kReject);
    EXPECT_EQ(!s.ok(), want_err) << file << ": " << s.ToString();
    ++n;
    c.ExpectAllFieldsUsed();
  }
  EXPECT_EQ(n, 98);
}

// The size-0 rule differs per API (REFERENCE.md §F): RFC 9162 rejects, tlog-witness accepts an
// empty proof from the empty tree.
TEST(Merkle, ConsistencyFromZeroIsExplicit) {
  MemoryHashStore store;
  for (int i = 0; i < 5; ++i) store.AppendRecord(AsBytes(std::to_string(i)));
  Hash root = *TreeHash(5, store);
  EXPECT_FALSE(VerifyConsistency(0, 5, EmptyTreeHash(), root, {}, ConsistencyFromZero::kReject).ok());
  EXPECT_TRUE(VerifyConsistency(0, 5, EmptyTreeHash(), root, {}, ConsistencyFromZero::kAcceptEmptyProof).ok());
  EXPECT_TRUE(VerifyConsistency(0, 0, EmptyTreeHash(), EmptyTreeHash(), {},
                                ConsistencyFromZero::kAcceptEmptyProof).ok());
  EXPECT_FALSE(VerifyConsistency(0, 0, EmptyTreeHash(), EmptyTreeHash(), {}, ConsistencyFromZero::kReject).ok());
  // Non-empty proof from 0, or a non-empty-tree old root, is rejected even in witness mode.
  std::vector<Hash> junk = {root};
  EXPECT_FALSE(VerifyConsistency(0, 5, EmptyTreeHash(), root, junk, ConsistencyFromZero::kAcceptEmptyProof).ok());
  EXPECT_FALSE(VerifyConsistency(0, 5, root, root, {}, ConsistencyFromZero::kAcceptEmptyProof).ok());
}

// A real CT log (Google argon2020) via golang/mod sumdb/tlog's ct_test.go: entry 10000's inclusion
// proof and the consistency proof from size 3654490 (old root from ct_test.go).
TEST(MerkleGolden, Argon2020) {
  auto sth = LoadJson("vectors/golang-mod-sumdb-tlog-argon2020/sth.json");
  auto proof = LoadJson("vectors/golang-mod-sumdb-tlog-argon2020/proof.json");
  auto cons = LoadJson("vectors/golang-mod-sumdb-tlog-argon2020/consistency.json");
  auto entries = LoadJson("vectors/golang-mod-sumdb-tlog-argon2020/entries.json");
  uint64_t size = sth["tree_size"].get<uint64_t>();
  ASSERT_EQ(size, 961984013u);
  Hash root = *HashFromBase64(sth["sha256_root_hash"].get<std::string>());
  ASSERT_EQ(entries["entries"].size(), 1u);
  Hash leaf = LeafHash(B64(entries["entries"][0]["leaf_input"]));
  std::vector<Hash> path;
  for (const auto& p : proof["audit_path"]) path.push_back(*HashFromBase64(p.get<std::string>()));
  ASSERT_EQ(path.size(), 30u);
  uint64_t index = proof["leaf_index"].get<uint64_t>();
  EXPECT_EQ(index, 10000u);
  EXPECT_TRUE(VerifyInclusion(index, size, leaf, path, root).ok());
  EXPECT_FALSE(VerifyInclusion(index + 1, size, leaf, path, root).ok());

  std::vector<Hash> cpath;
  for (const auto& p : cons["consistency"]) cpath.push_back(*HashFromBase64(p.get<std::string>()));
  Hash old_root = *HashFromBase64("AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ=");
  EXPECT_TRUE(VerifyConsistency(3654490, size, old_root, root, cpath, ConsistencyFromZero::kReject).ok());
  EXPECT_FALSE(VerifyConsistency(3654491, size, old_root, root, cpath, ConsistencyFromZero::kReject).ok());
}

TEST(Merkle, StoredHashIndexRoundTrip) {
  for (int level = 0; level < 10; ++level) {
    for (uint64_t n = 0; n < 300; ++n) {
      int l2;
      uint64_t n2;
      SplitStoredHashIndex(StoredHashIndex(level, n), &l2, &n2);
      EXPECT_EQ(l2, level);
      EXPECT_EQ(n2, n);
    }
  }
  // Go tlog: record n stores 1 + trailing_ones(n) hashes.
  EXPECT_EQ(StoredHashCount(0), 0u);
  EXPECT_EQ(StoredHashCount(1), 1u);
  EXPECT_EQ(StoredHashCount(2), 3u);
  EXPECT_EQ(StoredHashCount(3), 4u);
  EXPECT_EQ(StoredHashCount(4), 7u);
  EXPECT_EQ(StoredHashIndex(1, 0), 2u);
  EXPECT_EQ(StoredHashIndex(2, 0), 6u);
}

std::vector<Hash> Leaves(uint64_t n) {
  std::vector<Hash> out;
  for (uint64_t i = 0; i < n; ++i) out.push_back(LeafHash(AsBytes("leaf " + std::to_string(i))));
  return out;
}

TEST(Merkle, StoreMatchesDirectComputation) {
  auto leaves = Leaves(300);
  MemoryHashStore store;
  for (uint64_t n = 0; n <= leaves.size(); ++n) {
    EXPECT_EQ(store.hashes().size(), StoredHashCount(n));
    auto th = TreeHash(n, store);
    ASSERT_TRUE(th.ok());
    EXPECT_EQ(*th, RootFromLeafHashes(std::span(leaves).first(n))) << n;
    if (n < leaves.size()) store.AppendLeafHash(leaves[n]);
  }
}

// RFC 6962 §2.1.3 example tree of 7 leaves: PATH(3) = [c, g, l] has 3 hashes, PROOF(3, 7) 4.
TEST(Merkle, Rfc6962ExampleShapes) {
  MemoryHashStore store;
  for (const auto& h : Leaves(7)) store.AppendLeafHash(h);
  EXPECT_EQ(InclusionProof(3, 7, store)->size(), 3u);
  EXPECT_EQ(InclusionProof(6, 7, store)->size(), 2u);
  EXPECT_EQ(ConsistencyProof(3, 7, store)->size(), 4u);
  EXPECT_EQ(ConsistencyProof(4, 7, store)->size(), 1u);
  EXPECT_EQ(ConsistencyProof(6, 7, store)->size(), 3u);
  EXPECT_FALSE(InclusionProof(7, 7, store).ok());
  EXPECT_FALSE(ConsistencyProof(8, 7, store).ok());
}

RC_GTEST_PROP(MerkleProperty, InclusionProofsVerifyAndBitFlipsFail, ()) {
  const uint64_t size = *rc::gen::inRange<uint64_t>(1, 2000);
  const uint64_t index = *rc::gen::inRange<uint64_t>(0, size);
  MemoryHashStore store;
  auto leaves = Leaves(size);
  for (const auto& h : leaves) store.AppendLeafHash(h);
  Hash root = *TreeHash(size, store);
  auto proof = InclusionProof(index, size, store);
  RC_ASSERT(proof.ok());
  RC_ASSERT(VerifyInclusion(index, size, leaves[index], *proof, root).ok());
  // Wrong index / size.
  if (size > 1) {
    const uint64_t other = *rc::gen::inRange<uint64_t>(0, size);
    if (other != index) RC_ASSERT(!VerifyInclusion(other, size, leaves[index], *proof, root).ok());
  }
  // (A proof for size+1 can verify too when the extra leaf is outside the path: only the
  // root binds the size, which is why checkpoints sign size and root together.)
  // Bit flip anywhere in proof, leaf or root.
  if (!proof->empty()) {
    auto bad = *proof;
    size_t which = *rc::gen::inRange<size_t>(0, bad.size());
    size_t bit = *rc::gen::inRange<size_t>(0, 256);
    bad[which][bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    RC_ASSERT(!VerifyInclusion(index, size, leaves[index], bad, root).ok());
    bad.pop_back();
    RC_ASSERT(!VerifyInclusion(index, size, leaves[index], std::span(*proof).first(proof->size() - 1), root).ok());
  }
  Hash bad_root = root;
  bad_root[*rc::gen::inRange<size_t>(0, 32)] ^= 0x80;
  RC_ASSERT(!VerifyInclusion(index, size, leaves[index], *proof, bad_root).ok());
}

RC_GTEST_PROP(MerkleProperty, ConsistencyProofsVerifyAndBitFlipsFail, ()) {
  const uint64_t new_size = *rc::gen::inRange<uint64_t>(1, 2000);
  const uint64_t old_size = *rc::gen::inRange<uint64_t>(1, new_size + 1);
  MemoryHashStore store;
  for (const auto& h : Leaves(new_size)) store.AppendLeafHash(h);
  Hash r1 = *TreeHash(old_size, store);
  Hash r2 = *TreeHash(new_size, store);
  auto proof = ConsistencyProof(old_size, new_size, store);
  RC_ASSERT(proof.ok());
  RC_ASSERT(VerifyConsistency(old_size, new_size, r1, r2, *proof, ConsistencyFromZero::kReject).ok());
  if (!proof->empty()) {
    auto bad = *proof;
    size_t which = *rc::gen::inRange<size_t>(0, bad.size());
    size_t bit = *rc::gen::inRange<size_t>(0, 256);
    bad[which][bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    RC_ASSERT(!VerifyConsistency(old_size, new_size, r1, r2, bad, ConsistencyFromZero::kReject).ok());
    RC_ASSERT(!VerifyConsistency(old_size, new_size, r1, r2, std::span(*proof).first(proof->size() - 1),
                                 ConsistencyFromZero::kReject).ok());
    if (old_size > 1) {
      RC_ASSERT(!VerifyConsistency(old_size - 1, new_size, r1, r2, *proof, ConsistencyFromZero::kReject).ok());
    }
  }
  Hash bad1 = r1;
  bad1[0] ^= 1;
  RC_ASSERT(!VerifyConsistency(old_size, new_size, bad1, r2, *proof, ConsistencyFromZero::kReject).ok());
}

}  // namespace
}  // namespace keyward::tlog
