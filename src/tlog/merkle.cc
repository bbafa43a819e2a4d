#include "tlog/merkle.h"

#include <bit>

#include "crypto/hash.h"

namespace keyward::tlog {
namespace {

// Largest power of two strictly less than n (RFC 6962 §2.1 split point). REQUIRES n >= 2.
uint64_t SplitPoint(uint64_t n) {
  KW_CHECK(n >= 2);
  return std::bit_floor(n - 1);
}

// Hash lookups for proof generation run twice over the same control flow: first to record which
// stored hashes are needed (so they are fetched in one batched ReadHashes call), then to replay the
// fetched values. The control flow of the algorithms below never depends on hash values.
class HashPlan {
 public:
  Hash Get(int level, uint64_t n) {
    if (recording_) {
      indexes_.push_back(StoredHashIndex(level, n));
      return Hash{};
    }
    KW_CHECK(pos_ < values_.size());
    return values_[pos_++];
  }
  Status Fetch(const HashReader& reader) {
    ASSIGN_OR_RETURN(values_, reader.ReadHashes(indexes_));
    if (values_.size() != indexes_.size()) {
      return Internal("hash reader returned " + std::to_string(values_.size()) + " hashes, want " +
                      std::to_string(indexes_.size()));
    }
    recording_ = false;
    return Status::Ok();
  }

 private:
  bool recording_ = true;
  std::vector<uint64_t> indexes_;
  std::vector<Hash> values_;
  size_t pos_ = 0;
};

// MTH(D[lo:hi]). REQUIRES hi > lo and lo aligned to a power of two >= hi - lo (true for every
// range the RFC 6962 recursions produce). Decomposes into complete stored subtrees, largest first,
// and folds them right to left.
Hash RangeHash(uint64_t lo, uint64_t hi, HashPlan& plan) {
  KW_CHECK(hi > lo);
  Hash parts[64];
  int count = 0;
  while (lo < hi) {
    uint64_t k = std::bit_floor(hi - lo);
    int level = std::countr_zero(k);
    KW_CHECK((lo & (k - 1)) == 0);
    parts[count++] = plan.Get(level, lo >> level);
    lo += k;
  }
  Hash h = parts[count - 1];
  for (int i = count - 2; i >= 0; --i) h = NodeHash(parts[i], h);
  return h;
}

// RFC 6962 §2.1.1 PATH(m, D[lo:hi]) with m absolute.
void Path(uint64_t m, uint64_t lo, uint64_t hi, HashPlan& plan, std::vector<Hash>& out) {
  if (hi - lo <= 1) return;
  uint64_t k = SplitPoint(hi - lo);
  if (m < lo + k) {
    Path(m, lo, lo + k, plan, out);
    out.push_back(RangeHash(lo + k, hi, plan));
  } else {
    Path(m, lo + k, hi, plan, out);
    out.push_back(RangeHash(lo, lo + k, plan));
  }
}

// RFC 6962 §2.1.2 SUBPROOF(m, D[lo:hi], b) with m relative to lo.
void SubProof(uint64_t m, uint64_t lo, uint64_t hi, bool b, HashPlan& plan, std::vector<Hash>& out) {
  uint64_t n = hi - lo;
  if (m == n) {
    if (!b) out.push_back(RangeHash(lo, hi, plan));
    return;
  }
  uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(m, lo, lo + k, b, plan, out);
    out.push_back(RangeHash(lo + k, hi, plan));
  } else {
    SubProof(m - k, lo + k, hi, false, plan, out);
    out.push_back(RangeHash(lo, lo + k, plan));
  }
}

template <typename F>
StatusOr<std::vector<Hash>> RunPlanned(const HashReader& reader, F&& algorithm) {
  HashPlan plan;
  std::vector<Hash> scratch;
  algorithm(plan, scratch);
  RETURN_IF_ERROR(plan.Fetch(reader));
  std::vector<Hash> out;
  algorithm(plan, out);
  return out;
}

bool Lsb(uint64_t x) { return (x & 1) != 0; }

}  // namespace

const Hash& EmptyTreeHash() {
  static const Hash kEmpty = crypto::Sha256(ByteSpan{});
  return kEmpty;
}

Hash LeafHash(ByteSpan data) {
  static const uint8_t kPrefix[1] = {0x00};
  return crypto::Sha256({ByteSpan(kPrefix), data});
}

Hash NodeHash(const Hash& left, const Hash& right) {
  uint8_t buf[65];
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 33);
  return crypto::Sha256(ByteSpan(buf, sizeof buf));
}

std::string HashToBase64(const Hash& h) { return Base64Encode(h); }

StatusOr<Hash> HashFromBytes(ByteSpan bytes) {
  if (bytes.size() != 32) {
    return InvalidArgument("a Merkle tree hash must be 32 bytes, got " + std::to_string(bytes.size()));
  }
  Hash h;
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

StatusOr<Hash> HashFromBase64(std::string_view text) {
  if (text.size() != 44) {
    return InvalidArgument("a base64 Merkle tree hash must be 44 characters, got " +
                           std::to_string(text.size()));
  }
  ASSIGN_OR_RETURN(Bytes raw, Base64DecodePublic(text));  // public data: the fast decoder
  return HashFromBytes(raw);
}

Hash RootFromLeafHashes(std::span<const Hash> leaves) {
  if (leaves.empty()) return EmptyTreeHash();
  if (leaves.size() == 1) return leaves[0];
  uint64_t k = SplitPoint(leaves.size());
  return NodeHash(RootFromLeafHashes(leaves.subspan(0, k)), RootFromLeafHashes(leaves.subspan(k)));
}

// ---- Stored hashes (numbering as Go's golang.org/x/mod/sumdb/tlog) ---------------------------

uint64_t StoredHashIndex(int level, uint64_t n) {
  // Level L's n'th hash is stored right after level L-1's (2n+1)'th hash; walk down to level 0,
  // where record n's leaf hash sits at n + n/2 + n/4 + ... (the hashes completed before it).
  for (int l = level; l > 0; --l) n = 2 * n + 1;
  uint64_t i = 0;
  for (; n > 0; n >>= 1) i += n;
  return i + static_cast<uint64_t>(level);
}

void SplitStoredHashIndex(uint64_t index, int* level, uint64_t* n) {
  // StoredHashIndex(0, n) <= 2n, so the record that stored `index` is in [index/2, index/2 + 64].
  uint64_t rec = index / 2;
  uint64_t index_rec = StoredHashIndex(0, rec);
  KW_CHECK(index_rec <= index);
  for (int steps = 0;; ++steps) {
    KW_CHECK(steps < 130);
    // Record rec stores 1 + trailing_ones(rec) hashes.
    uint64_t next = index_rec + 1 + static_cast<uint64_t>(std::countr_one(rec));
    if (next > index) break;
    ++rec;
    index_rec = next;
  }
  *level = static_cast<int>(index - index_rec);
  *n = rec >> *level;
}

uint64_t StoredHashCount(uint64_t n) {
  if (n == 0) return 0;
  uint64_t count = StoredHashIndex(0, n - 1) + 1;
  count += static_cast<uint64_t>(std::countr_one(n - 1));
  return count;
}

StatusOr<std::vector<Hash>> StoredHashesForRecordHash(uint64_t n, const Hash& leaf_hash,
                                                      const HashReader& reader) {
  // Each trailing one bit of n completes a subtree whose left sibling is already stored.
  int m = std::countr_one(n);
  std::vector<uint64_t> indexes(m);
  for (int i = 0; i < m; ++i) indexes[m - 1 - i] = StoredHashIndex(i, (n >> i) - 1);
  ASSIGN_OR_RETURN(std::vector<Hash> old, reader.ReadHashes(indexes));
  if (old.size() != indexes.size()) return Internal("hash reader returned the wrong number of hashes");
  std::vector<Hash> out;
  out.reserve(m + 1);
  Hash h = leaf_hash;
  out.push_back(h);
  for (int i = 0; i < m; ++i) {
    h = NodeHash(old[m - 1 - i], h);
    out.push_back(h);
  }
  return out;
}

uint64_t MemoryHashStore::AppendLeafHash(const Hash& leaf_hash) {
  auto hashes = StoredHashesForRecordHash(size_, leaf_hash, *this);
  KW_CHECK(hashes.ok());  // reads of our own in-memory hashes cannot fail
  hashes_.insert(hashes_.end(), hashes->begin(), hashes->end());
  return size_++;
}

StatusOr<std::vector<Hash>> MemoryHashStore::ReadHashes(std::span<const uint64_t> indexes) const {
  std::vector<Hash> out;
  out.reserve(indexes.size());
  for (uint64_t i : indexes) {
    if (i >= hashes_.size()) return NotFound("stored hash " + std::to_string(i) + " is beyond the tree");
    out.push_back(hashes_[i]);
  }
  return out;
}

StatusOr<Hash> TreeHash(uint64_t tree_size, const HashReader& reader) {
  if (tree_size == 0) return EmptyTreeHash();
  ASSIGN_OR_RETURN(auto one, RunPlanned(reader, [&](HashPlan& plan, std::vector<Hash>& out) {
                     out.push_back(RangeHash(0, tree_size, plan));
                   }));
  return one[0];
}

StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t tree_size, const HashReader& reader) {
  if (index >= tree_size) {
    return InvalidArgument("leaf index " + std::to_string(index) + " is not below tree size " +
                           std::to_string(tree_size));
  }
  return RunPlanned(reader, [&](HashPlan& plan, std::vector<Hash>& out) {
    Path(index, 0, tree_size, plan, out);
  });
}

StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size,
                                             const HashReader& reader) {
  if (old_size > new_size) {
    return InvalidArgument("old tree size " + std::to_string(old_size) + " exceeds new size " +
                           std::to_string(new_size));
  }
  if (old_size == 0 || old_size == new_size) return std::vector<Hash>{};
  return RunPlanned(reader, [&](HashPlan& plan, std::vector<Hash>& out) {
    SubProof(old_size, 0, new_size, true, plan, out);
  });
}

// ---- Verification ----------------------------------------------------------------------------

StatusOr<Hash> RootFromInclusionProof(uint64_t index, uint64_t tree_size, const Hash& leaf_hash,
                                      std::span<const Hash> proof) {
  // RFC 9162 §2.1.3.2 steps 1-6.
  if (index >= tree_size) {
    return InvalidArgument("inclusion proof: leaf index " + std::to_string(index) +
                           " is not below tree size " + std::to_string(tree_size));
  }
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return InvalidArgument("inclusion proof is longer than the tree size implies");
    if (Lsb(fn) || fn == sn) {
      r = NodeHash(p, r);
      if (!Lsb(fn)) {
        while (!Lsb(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return InvalidArgument("inclusion proof is shorter than the tree size implies");
  return r;
}

Status VerifyInclusion(uint64_t index, uint64_t tree_size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root) {
  ASSIGN_OR_RETURN(Hash computed, RootFromInclusionProof(index, tree_size, leaf_hash, proof));
  if (computed != root) {
    return AuthenticationFailed("inclusion proof does not lead to the expected root hash");
  }
  return Status::Ok();
}

Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof,
                         ConsistencyFromZero from_zero) {
  if (old_size > new_size) {
    return InvalidArgument("consistency proof: old size " + std::to_string(old_size) +
                           " exceeds new size " + std::to_string(new_size));
  }
  if (old_size == 0) {
    if (from_zero == ConsistencyFromZero::kReject) {
      return InvalidArgument("consistency proof from an empty tree is meaningless (RFC 9162)");
    }
    // C2SP tlog-witness: the empty tree is consistent with any tree; the proof must be empty.
    if (!proof.empty()) return InvalidArgument("consistency proof from size 0 must be empty");
    if (old_root != EmptyTreeHash()) {
      return AuthenticationFailed("the root of a size-0 tree must be the empty-tree hash");
    }
    if (new_size == 0 && new_root != EmptyTreeHash()) {
      return AuthenticationFailed("the root of a size-0 tree must be the empty-tree hash");
    }
    return Status::Ok();
  }
  if (old_size == new_size) {
    if (!proof.empty()) return InvalidArgument("consistency proof between equal sizes must be empty");
    if (old_root != new_root) return AuthenticationFailed("equal tree sizes with different roots");
    return Status::Ok();
  }
  if (proof.empty()) return InvalidArgument("consistency proof is empty");
  // RFC 9162 §2.1.4.2.
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while (Lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return InvalidArgument("consistency proof is longer than the sizes imply");
    if (Lsb(fn) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if (!Lsb(fn)) {
        while (!Lsb(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return InvalidArgument("consistency proof is shorter than the sizes imply");
  if (fr != old_root) return AuthenticationFailed("consistency proof does not match the old root");
  if (sr != new_root) return AuthenticationFailed("consistency proof does not match the new root");
  return Status::Ok();
}

namespace {
StatusOr<std::vector<Hash>> HashesFromBytes(std::span<const Bytes> proof) {
  std::vector<Hash> out;
  out.reserve(proof.size());
  for (const Bytes& b : proof) {
    ASSIGN_OR_RETURN(Hash h, HashFromBytes(b));
    out.push_back(h);
  }
  return out;
}
}  // namespace

Status VerifyInclusionBytes(uint64_t index, uint64_t tree_size, ByteSpan leaf_hash,
                            std::span<const Bytes> proof, ByteSpan root) {
  ASSIGN_OR_RETURN(Hash leaf, HashFromBytes(leaf_hash));
  ASSIGN_OR_RETURN(Hash r, HashFromBytes(root));
  ASSIGN_OR_RETURN(std::vector<Hash> p, HashesFromBytes(proof));
  return VerifyInclusion(index, tree_size, leaf, p, r);
}

Status VerifyConsistencyBytes(uint64_t old_size, uint64_t new_size, ByteSpan old_root,
                              ByteSpan new_root, std::span<const Bytes> proof,
                              ConsistencyFromZero from_zero) {
  // transparency-dev/merkle compares roots byte for byte when the sizes are equal (its vector
  // "sizes are equal (one) and proof is empty" passes 11-byte roots); keep that behaviour here.
  if (old_size == new_size && old_size != 0) {
    if (!proof.empty()) return InvalidArgument("consistency proof between equal sizes must be empty");
    if (!std::equal(old_root.begin(), old_root.end(), new_root.begin(), new_root.end())) {
      return AuthenticationFailed("equal tree sizes with different roots");
    }
    return Status::Ok();
  }
  if (old_size == 0 && from_zero == ConsistencyFromZero::kReject) {
    return InvalidArgument("consistency proof from an empty tree is meaningless (RFC 9162)");
  }
  ASSIGN_OR_RETURN(Hash r1, HashFromBytes(old_root));
  ASSIGN_OR_RETURN(Hash r2, HashFromBytes(new_root));
  ASSIGN_OR_RETURN(std::vector<Hash> p, HashesFromBytes(proof));
  return VerifyConsistency(old_size, new_size, r1, r2, p, from_zero);
}

}  // namespace keyward::tlog
