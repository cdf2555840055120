// RFC 6962 (Certificate Transparency) Merkle tree hashing: leaf hash SHA-256(0x00 || entry),
// node hash SHA-256(0x01 || left || right), the tree of n > 1 leaves split at the largest power
// of two smaller than n, the empty tree hashing to SHA-256(""). The root fixes both the entries
// and their order. Inclusion proofs are the RFC 6962 §2.1.1 audit paths; verification follows
// RFC 9162 §2.1.3.2 so an auditor can check a proof with nothing but SHA-256. Consistency proofs
// (an older tree is a prefix of a newer one) are RFC 6962 §2.1.2 / RFC 9162 §2.1.4.1, verified
// by RFC 9162 §2.1.4.2. MerkleAccumulator computes a root while leaves stream by, in O(log n)
// memory. Pure functions and value types, no shared state, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/sha256.h"

namespace writ::evidence {

Digest merkle_leaf_hash(std::string_view entry);
Digest merkle_node_hash(const Digest& left, const Digest& right);

// The Merkle tree hash over leaves given by their leaf hashes, in order.
Digest merkle_root(std::span<const Digest> leaf_hashes);

// Audit path for leaf `index` of the tree over `leaf_hashes`, from the leaf's sibling up.
// Precondition: index < leaf_hashes.size() (throws std::out_of_range otherwise).
std::vector<Digest> merkle_inclusion_proof(std::span<const Digest> leaf_hashes, std::uint64_t index);

// True when `proof` shows that `leaf_hash` is leaf `index` of a tree of `size` leaves whose
// root is `root`. Any malformed input (index >= size, wrong proof length) yields false.
bool merkle_verify_inclusion(const Digest& leaf_hash, std::uint64_t index, std::uint64_t size,
                             std::span<const Digest> proof, const Digest& root);

// The tree hash of leaves added one at a time: a stack of the roots of perfect subtrees (at most
// one per height), so memory is O(log n) whatever the number of leaves.
class MerkleAccumulator {
 public:
  void add(const Digest& leaf_hash);
  std::uint64_t size() const { return size_; }
  Digest root() const;  // of the leaves added so far; SHA-256("") when none

 private:
  struct Subtree {
    std::uint64_t leaves;
    Digest hash;
  };
  std::vector<Subtree> stack_;
  std::uint64_t size_ = 0;
};

// A leaf range [begin, end) whose subtree hash is one element of a consistency proof.
struct LeafRange {
  std::uint64_t begin;
  std::uint64_t end;
};

// The ranges whose hashes, in this order, form the RFC 6962 consistency proof between the
// first `old_size` leaves and a tree of `new_size` leaves (SUBPROOF(m, D[n], true)). Empty
// when old_size is 0 or equals new_size (nothing to prove beyond comparing roots).
// Precondition: old_size <= new_size (throws std::invalid_argument otherwise).
std::vector<LeafRange> merkle_consistency_ranges(std::uint64_t old_size, std::uint64_t new_size);

// Builds the consistency proof between `old_size` and `new_size` leaves while the leaves stream
// by, in O(log² n) memory: each proof element is the root of one leaf range, and the ranges are
// disjoint, so each leaf feeds at most one accumulator.
class ConsistencyProofBuilder {
 public:
  ConsistencyProofBuilder(std::uint64_t old_size, std::uint64_t new_size);  // old_size <= new_size
  void add(const Digest& leaf_hash);  // the leaves in order from the first; those past new_size are ignored
  bool complete() const { return added_ >= new_size_; }
  std::vector<Digest> proof() const;  // precondition: complete()

 private:
  std::uint64_t new_size_;
  std::vector<LeafRange> ranges_;  // in proof order
  std::vector<MerkleAccumulator> roots_;
  std::uint64_t added_ = 0;
};

// The consistency proof between the first `old_size` leaves of `leaf_hashes` and all of them.
std::vector<Digest> merkle_consistency_proof(std::span<const Digest> leaf_hashes, std::uint64_t old_size);

// True when `proof` shows that the tree of `old_size` leaves with root `old_root` is a prefix of
// the tree of `new_size` leaves with root `new_root`. Equal sizes need an empty proof and equal
// roots; an old size of 0 is a prefix of anything (with an empty proof). Malformed input
// (old_size > new_size, a wrong proof length) yields false.
bool merkle_verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Digest& old_root,
                               const Digest& new_root, std::span<const Digest> proof);

}  // namespace writ::evidence
