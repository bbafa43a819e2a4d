// RFC 6962 / RFC 9162 Merkle trees: hashing, proof generation from stored hashes, and proof
// verification.
//
// Hashing (RFC 6962 §2.1, SHA-256): MTH({}) = SHA-256(""), leaf = SHA-256(0x00 ‖ d),
// node = SHA-256(0x01 ‖ left ‖ right).
//
// Stored hashes: a log that appends records one at a time keeps every complete subtree hash it
// computes, numbered as in Go's golang.org/x/mod/sumdb/tlog (StoredHashIndex): record n adds
// 1 + (number of trailing one bits of n) hashes, so the store grows by ~2 hashes per record and
// any tree hash, inclusion proof or consistency proof needs O(log n) reads. A HashReader serves
// those hashes by index; the log daemon backs it with tiles on disk, tests with MemoryHashStore.
//
// Verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) plus the edge rules
// of the transparency-dev/merkle vectors: every hash is exactly 32 bytes, the proof length must be
// exactly what the sizes imply, leaf_index >= tree_size fails. Consistency from size 0 is an explicit
// choice per call (ConsistencyFromZero): RFC 9162 / transparency-dev reject it, C2SP tlog-witness
// accepts "old 0" with an empty proof.
//
// Thread-safety: free functions are pure. MemoryHashStore is not synchronised (external locking for
// concurrent append/read); HashReader implementations document their own contract.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace keyward::tlog {

// A SHA-256 Merkle tree hash (leaf, interior node or root).
using Hash = std::array<uint8_t, 32>;

// MTH of the empty tree: SHA-256("").
const Hash& EmptyTreeHash();
// RFC 6962 §2.1 leaf hash: SHA-256(0x00 ‖ data). Go tlog calls it RecordHash.
Hash LeafHash(ByteSpan data);
// RFC 6962 §2.1 interior node hash: SHA-256(0x01 ‖ left ‖ right).
Hash NodeHash(const Hash& left, const Hash& right);

// Standard base64 of a hash (checkpoint roots, proof lines).
std::string HashToBase64(const Hash& h);
// Strict: canonical standard base64 that decodes to exactly 32 bytes.
StatusOr<Hash> HashFromBase64(std::string_view text);
// Exactly 32 bytes, else InvalidArgument.
StatusOr<Hash> HashFromBytes(ByteSpan bytes);

// MTH of a list of leaf hashes computed directly (RFC 6962 §2.1 recursion; O(n) time). For tests,
// small trees and full-log verification.
Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes);

// ---- Stored hash numbering (Go tlog) ---------------------------------------------------------

// Index in the stored-hash sequence of the hash at `level` with index `n` within that level
// (level 0 = leaf hashes; the hash at level L index n covers records [n·2^L, (n+1)·2^L)).
uint64_t StoredHashIndex(int level, uint64_t n);
// Inverse of StoredHashIndex.
void SplitStoredHashIndex(uint64_t index, int* level, uint64_t* n);
// Number of stored hashes for a tree of `n` records.
uint64_t StoredHashCount(uint64_t n);

// Source of stored hashes. Implementations return exactly indexes.size() hashes, in the order
// asked, or an error (NotFound for an index beyond what is stored, IoError for storage failures).
class HashReader {
 public:
  virtual ~HashReader() = default;
  virtual StatusOr<std::vector<Hash>> ReadHashes(std::span<const uint64_t> indexes) const = 0;
};

// The hashes to append to the store when adding record number `n` (0-based) whose leaf hash is
// `leaf_hash`, given a reader over the hashes of records [0, n). They are stored at indexes
// StoredHashCount(n) .. StoredHashCount(n+1)-1, in order.
StatusOr<std::vector<Hash>> StoredHashesForRecordHash(uint64_t n, const Hash& leaf_hash,
                                                      const HashReader& reader);

// An in-memory stored-hash log (tests, tools, benchmarks). Append is amortised O(log n).
class MemoryHashStore final : public HashReader {
 public:
  // Appends one record by its leaf hash; returns its index.
  uint64_t AppendLeafHash(const Hash& leaf_hash);
  uint64_t AppendRecord(ByteSpan record) { return AppendLeafHash(LeafHash(record)); }
  uint64_t size() const { return size_; }  // number of records
  StatusOr<std::vector<Hash>> ReadHashes(std::span<const uint64_t> indexes) const override;
  const std::vector<Hash>& hashes() const { return hashes_; }

 private:
  std::vector<Hash> hashes_;
  uint64_t size_ = 0;
};

// MTH of the first `tree_size` records.
StatusOr<Hash> TreeHash(uint64_t tree_size, const HashReader& reader);

// RFC 6962 §2.1.1 PATH(index, D[tree_size]), leaf sibling first. REQUIRES index < tree_size
// (else InvalidArgument).
StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t tree_size, const HashReader& reader);

// RFC 6962 §2.1.2 PROOF(old_size, D[new_size]). Empty when old_size == new_size or old_size == 0.
// REQUIRES old_size <= new_size (else InvalidArgument).
StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size,
                                             const HashReader& reader);

// ---- Verification ----------------------------------------------------------------------------

// RFC 9162 §2.1.3.2. Returns OK iff `proof` proves that `leaf_hash` is leaf `index` of the tree of
// `tree_size` leaves with root `root`. Fails (InvalidArgument for malformed input such as a wrong
// proof length or index >= tree_size, AuthenticationFailed for a root mismatch) otherwise.
Status VerifyInclusion(uint64_t index, uint64_t tree_size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root);
// The root that `proof` implies for leaf `index` of `tree_size` (RFC 9162 §2.1.3.2 without the
// final comparison).
StatusOr<Hash> RootFromInclusionProof(uint64_t index, uint64_t tree_size, const Hash& leaf_hash,
                                      std::span<const Hash> proof);

// What a consistency proof from size 0 means (REFERENCE.md §F edge case 2).
enum class ConsistencyFromZero {
  kReject,             // RFC 9162 / transparency-dev: old size 0 is an error, even 0 → 0
  kAcceptEmptyProof,   // C2SP tlog-witness: old size 0 with an empty proof is consistent
};

// RFC 9162 §2.1.4.2. OK iff `proof` proves that the tree (old_size, old_root) is a prefix of
// (new_size, new_root). old_size == new_size requires an empty proof and equal roots.
Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof,
                         ConsistencyFromZero from_zero);

// Byte-level variants for untrusted lengths (test vectors, wire input): every hash must be exactly
// 32 bytes, else InvalidArgument.
Status VerifyInclusionBytes(uint64_t index, uint64_t tree_size, ByteSpan leaf_hash,
                            std::span<const Bytes> proof, ByteSpan root);
Status VerifyConsistencyBytes(uint64_t old_size, uint64_t new_size, ByteSpan old_root,
                              ByteSpan new_root, std::span<const Bytes> proof,
                              ConsistencyFromZero from_zero);

}  // namespace keyward::tlog
